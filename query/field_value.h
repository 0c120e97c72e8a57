// The value of a named field of an Event, as queries see it (query/ast.h): its text form and,
// for numeric fields, its number.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/event.h"

namespace trove::query {

// Where a field name points.
enum class FieldKind { kTime, kLevel, kMessage, kService, kHost, kTraceId, kSpanId,
                       kParentSpanId, kAttribute };
FieldKind KindOfField(std::string_view name);

// The attribute of event called key, or nullptr.
const Attribute* FindAttribute(const Event& event, std::string_view key);

// The text form of field in event, or nullopt when absent. `_time` has none. The view points
// into event or into *scratch.
std::optional<std::string_view> TextForm(const Event& event, std::string_view field,
                                         std::string* scratch);

// The numeric value of field (`_time` ns, level 0..6, int64/double attributes), or nullopt.
std::optional<double> NumericValue(const Event& event, std::string_view field);

// Copies field `name` of from into to (for `fields` projection).
void CopyField(const Event& from, std::string_view name, Event* to);

}  // namespace trove::query
