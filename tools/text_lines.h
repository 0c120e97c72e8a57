// Plain-text log lines → events (DESIGN.md §1, "Plain text mapping").
//
// One line is one event: the whole line (without "\n" / "\r\n") is the message, a timestamp at
// or near its start (FindLogTimestamp) is the time, the first standalone level word
// (FindLevelWord) is the level, and the service comes from the options. In the opt-in
// multi-line mode, continuation lines (stack traces) are joined to the event before them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/event.h"

namespace trove::ingest {

// The first token of line (DESIGN.md §2 tokens) that is one of INFO, WARN, WARNING, ERROR,
// FATAL, DEBUG, TRACE, NOTICE, SEVERE, CRITICAL (any case), mapped with ParseLevel;
// Level::kUnknown if none. Single letters (logcat's "D", "I") are not taken: in free text they
// are far more often not levels.
Level FindLevelWord(std::string_view line);

struct TextParseOptions {
  // The service of every event; empty leaves it unset.
  std::string service;
  // Join continuation lines to the event before them. A continuation line starts with a space
  // or a tab ("\tat com.example.Foo.bar(Foo.java:42)"), or, once the event being built has a
  // timestamp of its own, has none near its start ("java.io.IOException: …",
  // "Traceback (most recent call last):"): in a timestamped log every new event starts with
  // one. Off by default because in a log without timestamps that rule would join everything.
  bool multiline = false;
  // A multi-line event stops growing at this many bytes; the next line starts a new event.
  // Matches the default event limit (EventLimits::max_event_bytes) so a runaway trace is cut
  // into storable events rather than rejected whole.
  size_t max_event_bytes = 1 << 20;
};

// A parsed event and the number (1-based) of the input line it starts on.
struct LineEvent {
  Event event;
  uint64_t line = 0;
};

// Turns lines into events, one at a time. Not thread-safe; one parser per input stream.
//
// Time: a line without a timestamp of its own takes the time of the previous event of the
// same stream (keeping it next to the lines around it); before the first timestamp, time_ns
// is 0 and the server stamps the arrival time. Bytes are kept as read: invalid UTF-8 is the
// caller's to repair before sending (proto strings must be UTF-8).
class TextLineParser {
 public:
  explicit TextLineParser(TextParseOptions options);

  // Consumes one line (without its "\n"; a trailing "\r" is dropped) numbered line_no.
  // Blank lines (empty, or only spaces and tabs) are skipped. Appends every event that this line
  // completes to *out: in single-line mode the line's own event, in multi-line mode the previous
  // event once this line turns out not to continue it.
  void AddLine(std::string_view line, uint64_t line_no, std::vector<LineEvent>* out);

  // Appends the event still being built (multi-line mode), if any. Call at the end of input.
  void Finish(std::vector<LineEvent>* out);

 private:
  void StartEvent(std::string_view line, uint64_t line_no, bool has_time, int64_t time_ns);

  const TextParseOptions options_;
  LineEvent pending_;
  bool has_pending_ = false;
  bool pending_has_time_ = false;  // the pending event's first line had a timestamp
  int64_t last_time_ns_ = 0;
};

}  // namespace trove::ingest
