// JSON lines → events (DESIGN.md §1, "JSON lines mapping").
//
// Each line is one JSON object. Nested objects are flattened with dots, so
// {"service":{"name":"x"}} has the key "service.name". Recognised keys fill the built-in
// fields; for each field the first alias in this order that is present with a usable value
// wins (document order breaks ties between equal keys):
//
//   _time           _time, @timestamp, timestamp, ts, time
//   _msg            _msg, message, msg, body, log
//   level           level, severity, log.level, severity_text
//   service         service, service.name, app
//   trace_id        trace_id, traceId, correlation_id, request_id
//   span_id         span_id, spanId
//   parent_span_id  parent_span_id, parentSpanId
//   host            host, hostname, host.name
//
// Values:
//  * time: an RFC 3339 string (or any format of ParseTimestampPrefix, taking the whole string),
//    or a number — as a JSON number or a numeric string — read by magnitude: below 1e11
//    seconds (fractions kept), below 1e14 ms, below 1e17 µs, else ns. Unparseable times and
//    numbers before 2000-01-01 (more likely a duration, "time": 35) are not usable.
//  * level: a word ParseLevel knows, or a number: pino/bunyan's 10, 20, …, 60 (trace … fatal),
//    else OpenTelemetry's severity number 1..24. Anything else is not usable.
//  * the string fields take any scalar: numbers and booleans as their JSON text.
// A recognised key that does not win (a second alias, an unusable value) is kept as an
// attribute — renamed "<key>_raw" when its name is a built-in field name ("level_raw"), since
// attributes may not shadow built-in fields. Nothing the line says is lost.
//
// Every other key becomes an attribute with its JSON type: string, int64, double or bool;
// integers beyond int64 become their decimal text (they are IDs, and a double would change
// them); arrays become their compact JSON text. null values and empty objects are skipped:
// they say nothing that a query could find. An empty key segment is named "_".
//
// Leniency, so that real-world producers' lines are not lost: invalid UTF-8 is replaced with
// U+FFFD (DESIGN.md §1) and raw control characters inside strings (a tab, a NUL) are taken as
// if escaped. Everything else that is not one JSON object — truncated lines, trailing text,
// nesting deeper than max_depth, a top-level array — is an error.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "storage/event.h"
#include "storage/status.h"

namespace trove::ingest {

struct JsonParseOptions {
  // The service of events whose line names none; empty leaves it unset.
  std::string service;
  // Deepest nesting of objects and arrays accepted. Real logs nest a few levels; the cap bounds
  // the flattened key length and the parser's stack, whatever the input.
  size_t max_depth = 64;
};

// Parses JSON lines with simdjson. Not thread-safe: one parser per thread (it reuses its
// buffers across lines, which is what makes it fast).
class JsonLineParser {
 public:
  explicit JsonLineParser(JsonParseOptions options = {});
  ~JsonLineParser();
  JsonLineParser(const JsonLineParser&) = delete;
  JsonLineParser& operator=(const JsonLineParser&) = delete;

  // Parses one line (without its "\n"; a trailing "\r" and surrounding whitespace are
  // ignored) into *event, which is overwritten. Returns OK, or InvalidArgument saying what was
  // wrong ("invalid JSON: a string is opened but never closed"); the message does not name
  // the line, which only the caller knows. Strings in *event are valid UTF-8 on success.
  Status Parse(std::string_view line, Event* event);

  // Whether the last successful Parse replaced invalid UTF-8 or escaped control characters.
  bool repaired() const { return repaired_; }

 private:
  struct Impl;  // keeps simdjson out of this header (STYLE.md: third-party stays in its module)
  JsonParseOptions options_;
  std::unique_ptr<Impl> impl_;
  bool repaired_ = false;
};

// Whether a file whose first non-blank line is `first_line` holds JSON lines: the line starts
// with '{' after whitespace and an optional UTF-8 byte-order mark.
bool LooksLikeJsonLine(std::string_view first_line);

}  // namespace trove::ingest
