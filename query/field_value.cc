#include "query/field_value.h"

namespace trove::query {

FieldKind KindOfField(std::string_view name) {
  if (name == kFieldTime) return FieldKind::kTime;
  if (name == kFieldLevel) return FieldKind::kLevel;
  if (name == kFieldMessage) return FieldKind::kMessage;
  if (name == kFieldService) return FieldKind::kService;
  if (name == kFieldHost) return FieldKind::kHost;
  if (name == kFieldTraceId) return FieldKind::kTraceId;
  if (name == kFieldSpanId) return FieldKind::kSpanId;
  if (name == kFieldParentSpanId) return FieldKind::kParentSpanId;
  return FieldKind::kAttribute;
}

const Attribute* FindAttribute(const Event& event, std::string_view key) {
  for (const Attribute& a : event.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

namespace {
std::optional<std::string_view> NonEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return std::string_view(s);
}
}  // namespace

std::optional<std::string_view> TextForm(const Event& event, std::string_view field,
                                         std::string* scratch) {
  switch (KindOfField(field)) {
    case FieldKind::kTime: return std::nullopt;
    case FieldKind::kLevel: return LevelName(event.level);
    case FieldKind::kMessage: return NonEmpty(event.message);
    case FieldKind::kService: return NonEmpty(event.service);
    case FieldKind::kHost: return NonEmpty(event.host);
    case FieldKind::kTraceId: return NonEmpty(event.trace_id);
    case FieldKind::kSpanId: return NonEmpty(event.span_id);
    case FieldKind::kParentSpanId: return NonEmpty(event.parent_span_id);
    case FieldKind::kAttribute: break;
  }
  const Attribute* a = FindAttribute(event, field);
  if (!a) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&a->value)) return std::string_view(*s);
  *scratch = ValueToString(a->value);
  return std::string_view(*scratch);
}

std::optional<double> NumericValue(const Event& event, std::string_view field) {
  switch (KindOfField(field)) {
    case FieldKind::kTime: return static_cast<double>(event.time_ns);
    case FieldKind::kLevel: return static_cast<double>(event.level);
    case FieldKind::kAttribute: break;
    default: return std::nullopt;
  }
  const Attribute* a = FindAttribute(event, field);
  if (!a) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(&a->value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&a->value)) return *d;
  return std::nullopt;
}

void CopyField(const Event& from, std::string_view name, Event* to) {
  switch (KindOfField(name)) {
    case FieldKind::kTime: to->time_ns = from.time_ns; return;
    case FieldKind::kLevel: to->level = from.level; return;
    case FieldKind::kMessage: to->message = from.message; return;
    case FieldKind::kService: to->service = from.service; return;
    case FieldKind::kHost: to->host = from.host; return;
    case FieldKind::kTraceId: to->trace_id = from.trace_id; return;
    case FieldKind::kSpanId: to->span_id = from.span_id; return;
    case FieldKind::kParentSpanId: to->parent_span_id = from.parent_span_id; return;
    case FieldKind::kAttribute: break;
  }
  if (const Attribute* a = FindAttribute(from, name)) to->attributes.push_back(*a);
}

}  // namespace trove::query
