// How `trove` prints: human tables (aligned, coloured by level on a terminal) and JSON lines
// (one object per event or row, for scripts). Stateless functions; thread-compatible.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "proto/trove.pb.h"
#include "storage/event.h"

namespace trove::cli {

// Terminal colour of a level: ERROR/FATAL red, WARN yellow, DEBUG/TRACE dim, else none ("").
std::string_view LevelColor(Level level);
inline constexpr std::string_view kColorReset = "\033[0m";

// s with control characters other than tab shown as "\xNN", so that no log line can move the
// cursor or recolour a terminal; newlines become "\n" + indent when indent is given, else "\n"
// is escaped too.
std::string Printable(std::string_view s, const std::string* newline_indent = nullptr);

// Columns a string takes on a terminal (UTF-8 code points; wide characters count one).
size_t DisplayWidth(std::string_view s);

// The value of a field of an event as text: built-in names (_time as RFC 3339 with ms, level
// as its name) or an attribute key. Empty when the event does not have it.
std::string FieldText(const Event& event, std::string_view field);

// Prints events as aligned lines: "time  service  level  message  host=… trace_id=… k=v…",
// or, when fields (from a `fields` pipe) is non-empty, exactly those fields as columns.
// color: wrap each line in its level's colour.
void PrintEventTable(const std::vector<Event>& events, const std::vector<std::string>& fields,
                     bool color, std::FILE* out);

// One event as a single table line with a fixed service column, for streams whose width is
// not known in advance (tail); time is relative to base_ns as "+12.345ms" when base_ns > 0.
std::string FormatEventLine(const Event& event, size_t service_width, bool color,
                            int64_t base_ns = 0);

// One JSON object per event, one per line (tools/event_json.h ToJsonLine).
void PrintEventsJson(const std::vector<Event>& events, const std::vector<std::string>& fields,
                     std::FILE* out);

// A table of text cells with a header row. Columns are padded to their widest cell; columns
// marked numeric are right-aligned.
struct TextTable {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column; missing entries are left-aligned
  std::vector<std::vector<std::string>> rows;
};
void PrintTable(const TextTable& table, std::FILE* out);

// A stats cell as text: numbers in their shortest form, time buckets in RFC 3339, null "-".
std::string CellText(const v1::Cell& cell);
bool CellIsNumeric(const v1::Cell& cell);
// A stats cell as JSON: strings, numbers, times as RFC 3339 strings (9-digit fraction, like
// event _time), null.
void AppendCellJson(const v1::Cell& cell, std::string* out);

// The plan and counters of an explain, several lines ending in "\n".
std::string FormatExplain(const v1::Explain& explain);

// "12.345ms", "1.500s": a duration for humans.
std::string FormatDuration(int64_t ns);
// A configured duration the way troved's flags spell it: "7d", "1h30m", "500ms", "0".
std::string FormatDurationSetting(int64_t ns);

// "120,000": a count for humans.
std::string Grouped(uint64_t n);
// "1 segment", "120,000 events": a count with its noun; the plural is noun + "s" unless given.
std::string Counted(uint64_t n, std::string_view noun, std::string_view plural = {});

}  // namespace trove::cli
