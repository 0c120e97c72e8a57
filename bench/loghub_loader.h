// Loads plain-text log files (the Loghub samples in ../shared/data/loghub) as events, and
// renders events as JSON lines, whose size is the "raw JSON-equivalent" bytes that the
// compression and throughput figures of DESIGN.md §6 are measured against.
//
// A deliberately simple stand-in for the real text ingest parser. Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/event.h"
#include "storage/status.h"

namespace trove::bench {

// First event time of a file whose first line has no recognisable timestamp:
// 2024-01-01T00:00:00Z.
inline constexpr int64_t kDefaultStartNs = int64_t{1704067200} * 1'000'000'000;
// Gap given to a line without a timestamp after the previous event.
inline constexpr int64_t kFallbackStepNs = 1'000'000;

// One line = one event: message = the line without "\n" / "\r\n", service = `service`,
// level = FindLevelWord(line), time = ParseLogTimestamp(line), else the previous event's time
// + kFallbackStepNs (kDefaultStartNs for the first line). Empty lines are skipped; a last line
// without "\n" is an event. Bytes are kept as read: the store replaces invalid UTF-8.
// On an unreadable file returns no events and, when status is given, sets *status to IOError
// naming the file (otherwise OK).
std::vector<Event> LoadTextLog(const std::string& path, const std::string& service,
                               Status* status = nullptr);

// The first token of line (DESIGN.md §2 tokens) that is one of INFO, WARN, WARNING, ERROR,
// FATAL, DEBUG, TRACE, NOTICE, SEVERE, CRITICAL (any case), mapped with ParseLevel;
// Level::kUnknown if none. Single letters (logcat's "D", "I") are not taken: in free text they
// are far more often not levels.
Level FindLevelWord(std::string_view line);

// The JSON-lines form of an event (no trailing newline):
//   {"_time":"2024-01-01T00:00:00.000000000Z","service":…,"level":"INFO","host":…,"_msg":…,
//    "trace_id":…,"span_id":…,"parent_span_id":…,<attributes as top-level keys>}
// Empty strings and an unknown level are left out (a producer would not send them); _time and
// _msg are always present. Strings are JSON-escaped; invalid UTF-8 becomes U+FFFD. Doubles use
// the shortest round-trip form; NaN and infinities, which JSON cannot hold, become null.
std::string ToJsonLine(const Event& event);
// Appends the JSON string literal of s (quotes included) to out.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace trove::bench
