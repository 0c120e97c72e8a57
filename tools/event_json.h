// Events as JSON lines: the form `trove search --json` prints and `trove ingest` reads back,
// and the "raw JSON-equivalent" bytes the benchmark measures compression and throughput
// against (DESIGN.md §6). Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/event.h"

namespace trove::ingest {

// The JSON-lines form of an event (no trailing newline):
//   {"_time":"2024-01-01T00:00:00.000000000Z","service":…,"level":"INFO","host":…,"_msg":…,
//    "trace_id":…,"span_id":…,"parent_span_id":…,<attributes as top-level keys>}
// Empty strings and an unknown level are left out (a producer would not send them); _time and
// _msg are always present. Strings are JSON-escaped; invalid UTF-8 becomes U+FFFD. Doubles use
// the shortest round-trip form; NaN and infinities, which JSON cannot hold, become null.
// When fields is non-empty, only the built-in fields and attributes it names are written, in
// the order above (the `fields` pipe of a query).
std::string ToJsonLine(const Event& event, const std::vector<std::string>& fields = {});

// Appends the JSON string literal of s (quotes included) to out.
void AppendJsonString(std::string_view s, std::string* out);

// Appends v as JSON: a string literal, a number, true/false; non-finite doubles as null.
void AppendJsonValue(const AttrValue& v, std::string* out);

}  // namespace trove::ingest
