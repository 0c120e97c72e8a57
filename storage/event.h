// The event: one log record with its context (DESIGN.md §1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/status.h"

namespace trove {

// Severity, ordered. Values are written to disk: never change or reuse.
enum class Level : uint8_t {
  kUnknown = 0,
  kTrace = 1,
  kDebug = 2,
  kInfo = 3,
  kWarn = 4,
  kError = 5,
  kFatal = 6,
};
inline constexpr int kNumLevels = 7;

// "TRACE", "DEBUG", …, "UNKNOWN".
std::string_view LevelName(Level level);
// Parses level words case-insensitively, including common aliases (warning, err, crit,
// critical, panic, notice, emerg, alert, fine, verbose, and single letters V D I W E F).
// Returns kUnknown for anything else.
Level ParseLevel(std::string_view word);

// An attribute value: string, int64, double or bool. Types are written to disk (ValueType).
using AttrValue = std::variant<std::string, int64_t, double, bool>;

// Values are written to disk: never change or reuse.
enum class ValueType : uint8_t { kString = 0, kInt64 = 1, kDouble = 2, kBool = 3 };
inline ValueType TypeOf(const AttrValue& v) { return static_cast<ValueType>(v.index()); }
// The text form used for indexing and display: 42, 1.5, true, or the string itself.
std::string ValueToString(const AttrValue& v);
// A double as ValueToString writes it: the shortest "%.*g" form that reads back as the same
// double ("0.1", "1e+20", "123.456"); "nan"/"-nan" for NaNs.
std::string DoubleToString(double d);

struct Attribute {
  std::string key;  // dotted path for flattened JSON: "http.status"
  AttrValue value;
  bool operator==(const Attribute&) const = default;
};

struct Event {
  int64_t time_ns = 0;  // ns since the Unix epoch, UTC
  std::string service;
  Level level = Level::kUnknown;
  std::string host;
  std::string message;          // "_msg"
  std::string trace_id;         // correlation ID, ≤ 64 bytes
  std::string span_id;          // ≤ 32 bytes
  std::string parent_span_id;   // ≤ 32 bytes
  std::vector<Attribute> attributes;

  bool operator==(const Event&) const = default;
  // Approximate bytes held; used for flush thresholds and size limits.
  size_t ApproximateSize() const;
};

// Names of the built-in fields as they appear in queries and JSON output.
inline constexpr std::string_view kFieldTime = "_time";
inline constexpr std::string_view kFieldMessage = "_msg";
inline constexpr std::string_view kFieldService = "service";
inline constexpr std::string_view kFieldLevel = "level";
inline constexpr std::string_view kFieldHost = "host";
inline constexpr std::string_view kFieldTraceId = "trace_id";
inline constexpr std::string_view kFieldSpanId = "span_id";
inline constexpr std::string_view kFieldParentSpanId = "parent_span_id";
bool IsBuiltinField(std::string_view name);

// Limits checked on ingest. Defaults follow DESIGN.md §1.
struct EventLimits {
  // Larger events are rejected with a per-event error; 1 MiB keeps one event from dominating
  // a block while allowing long stack traces.
  size_t max_event_bytes = 1 << 20;
  size_t max_trace_id_bytes = 64;
  size_t max_span_id_bytes = 32;
  // Attributes per event; far above any real log, but bounds per-event index work.
  size_t max_attributes = 100000;
  size_t max_key_bytes = 256;
  // Events stamped further than this ahead of the clock are rejected (clock skew guard).
  int64_t max_future_ns = int64_t{2} * 24 * 3600 * 1'000'000'000;
};

// Checks and normalises one event in place: invalid UTF-8 in strings becomes U+FFFD,
// duplicate attribute keys keep the last value, attributes named like built-in fields are
// rejected. Returns InvalidArgument naming the problem when the event cannot be stored
// (too large, negative or far-future time, over-long IDs, empty attribute key).
Status NormalizeEvent(const EventLimits& limits, int64_t now_ns, Event* event);

// Replaces every invalid UTF-8 sequence with U+FFFD. Returns true if anything changed.
bool SanitizeUtf8(std::string* s);

// Compact binary encoding of events (the write-ahead buffer in RocksDB). See FORMAT.md.
void EncodeEvent(const Event& event, std::string* dst);
// Returns false on malformed input.
bool DecodeEvent(std::string_view* input, Event* event);

}  // namespace trove
