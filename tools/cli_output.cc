#include "tools/cli_output.h"

#include <algorithm>
#include <cinttypes>

#include "query/time_format.h"
#include "tools/event_json.h"
#include "tools/log_time.h"

namespace trove::cli {

namespace {

// Service names longer than this are not allowed to push every message far to the right.
constexpr size_t kMaxServiceWidth = 24;
constexpr size_t kLevelWidth = 5;  // "ERROR"

void Pad(std::string* line, std::string_view cell, size_t width) {
  line->append(cell);
  const size_t w = DisplayWidth(cell);
  if (w < width) line->append(width - w, ' ');
}

std::string LevelText(Level level) {
  return level == Level::kUnknown ? "-" : std::string(LevelName(level));
}

// " host=h trace_id=t k=v": everything but time, service, level and message.
std::string ExtraFields(const Event& e) {
  std::string out;
  auto add = [&](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    out += "  ";
    out.append(k);
    out.push_back('=');
    out += Printable(v);
  };
  add(kFieldHost, e.host);
  add(kFieldTraceId, e.trace_id);
  add(kFieldSpanId, e.span_id);
  add(kFieldParentSpanId, e.parent_span_id);
  for (const Attribute& a : e.attributes) add(a.key, ValueToString(a.value));
  return out;
}

void Emit(std::string line, Level level, bool color, std::FILE* out) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  const std::string_view c = color ? LevelColor(level) : std::string_view();
  if (!c.empty()) {
    line.insert(0, c);
    line.append(kColorReset);
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out);
}

}  // namespace

std::string_view LevelColor(Level level) {
  switch (level) {
    case Level::kError:
    case Level::kFatal:
      return "\033[31m";
    case Level::kWarn:
      return "\033[33m";
    case Level::kDebug:
    case Level::kTrace:
      return "\033[2m";
    default:
      return "";
  }
}

std::string Printable(std::string_view s, const std::string* newline_indent) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' && newline_indent != nullptr) {
      out.push_back('\n');
      out += *newline_indent;
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string FieldText(const Event& e, std::string_view field) {
  if (field == kFieldTime) return ingest::FormatRfc3339(e.time_ns, 3);
  if (field == kFieldMessage) return e.message;
  if (field == kFieldService) return e.service;
  if (field == kFieldLevel)
    return e.level == Level::kUnknown ? "" : std::string(LevelName(e.level));
  if (field == kFieldHost) return e.host;
  if (field == kFieldTraceId) return e.trace_id;
  if (field == kFieldSpanId) return e.span_id;
  if (field == kFieldParentSpanId) return e.parent_span_id;
  for (const Attribute& a : e.attributes) {
    if (a.key == field) return ValueToString(a.value);
  }
  return "";
}

void PrintEventTable(const std::vector<Event>& events, const std::vector<std::string>& fields,
                     bool color, std::FILE* out) {
  if (!fields.empty()) {
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> width(fields.size(), 0);
    for (const Event& e : events) {
      auto& row = cells.emplace_back();
      for (size_t c = 0; c < fields.size(); ++c) {
        row.push_back(Printable(FieldText(e, fields[c])));
        width[c] = std::max(width[c], DisplayWidth(row.back()));
      }
    }
    for (size_t i = 0; i < events.size(); ++i) {
      std::string line;
      for (size_t c = 0; c < fields.size(); ++c) {
        Pad(&line, cells[i][c], c + 1 < fields.size() ? width[c] + 2 : 0);
      }
      Emit(std::move(line), events[i].level, color, out);
    }
    return;
  }
  size_t service_width = 0;
  for (const Event& e : events) {
    service_width = std::max(service_width, std::min(kMaxServiceWidth, DisplayWidth(e.service)));
  }
  for (const Event& e : events) {
    Emit(FormatEventLine(e, service_width, false), e.level, color, out);
  }
}

std::string FormatEventLine(const Event& e, size_t service_width, bool color, int64_t base_ns) {
  std::string line;
  if (base_ns > 0) {
    Pad(&line, "+" + FormatDuration(e.time_ns - base_ns), 12);
  } else {
    line = ingest::FormatRfc3339(e.time_ns, 3);
  }
  line += "  ";
  if (service_width > 0) {
    Pad(&line, Printable(e.service), service_width);
    line += "  ";
  }
  Pad(&line, LevelText(e.level), kLevelWidth);
  line += "  ";
  // Continuation lines of a multi-line message start under its first line.
  const std::string indent(DisplayWidth(line), ' ');
  line += Printable(e.message, &indent);
  line += ExtraFields(e);
  if (color && !LevelColor(e.level).empty()) {
    line.insert(0, LevelColor(e.level));
    line.append(kColorReset);
  }
  return line;
}

void PrintEventsJson(const std::vector<Event>& events, const std::vector<std::string>& fields,
                     std::FILE* out) {
  for (const Event& e : events) {
    std::string line = ingest::ToJsonLine(e, fields);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out);
  }
}

void PrintTable(const TextTable& t, std::FILE* out) {
  std::vector<size_t> width(t.header.size(), 0);
  for (size_t c = 0; c < t.header.size(); ++c) width[c] = DisplayWidth(t.header[c]);
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], DisplayWidth(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? Printable(row[c]) : "";
      const bool right = c < t.numeric.size() && t.numeric[c];
      const size_t w = DisplayWidth(cell);
      if (right && w < width[c]) line.append(width[c] - w, ' ');
      line += cell;
      if (!right && c + 1 < width.size() && w < width[c]) line.append(width[c] - w, ' ');
      if (c + 1 < width.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  };
  print_row(t.header);
  for (const auto& row : t.rows) print_row(row);
}

std::string CellText(const v1::Cell& cell) {
  switch (cell.kind_case()) {
    case v1::Cell::kStringValue:
      return cell.string_value();
    case v1::Cell::kIntValue:
      return std::to_string(cell.int_value());
    case v1::Cell::kDoubleValue:
      return ValueToString(AttrValue(cell.double_value()));
    case v1::Cell::kTimeNs:
      return query::FormatTimestamp(cell.time_ns());
    default:
      return "-";
  }
}

bool CellIsNumeric(const v1::Cell& cell) {
  return cell.kind_case() == v1::Cell::kIntValue || cell.kind_case() == v1::Cell::kDoubleValue;
}

void AppendCellJson(const v1::Cell& cell, std::string* out) {
  switch (cell.kind_case()) {
    case v1::Cell::kStringValue:
      ingest::AppendJsonString(cell.string_value(), out);
      return;
    case v1::Cell::kIntValue:
      ingest::AppendJsonValue(AttrValue(cell.int_value()), out);
      return;
    case v1::Cell::kDoubleValue:
      ingest::AppendJsonValue(AttrValue(cell.double_value()), out);
      return;
    case v1::Cell::kTimeNs:
      ingest::AppendJsonString(ingest::FormatRfc3339(cell.time_ns(), 9), out);
      return;
    default:
      out->append("null");
  }
}

std::string FormatExplain(const v1::Explain& x) {
  auto u = [](uint64_t v) { return std::to_string(v); };
  std::string out = "plan: " + x.plan() + "\n";
  out += "segments: " + u(x.segments_total()) + " total, " + u(x.segments_pruned_time()) +
         " pruned by time, " + u(x.segments_pruned_filter()) + " pruned by term filter, " +
         u(x.segments_pruned_index()) + " pruned by index, " +
         u(x.segments_skipped_limit()) + " skipped by limit, " + u(x.segments_searched()) +
         " searched\n";
  auto list = [](const auto& items) {
    std::string s;
    for (const std::string& item : items) s += (s.empty() ? "" : ", ") + item;
    return s.empty() ? std::string("-") : s;
  };
  // Reading a cold segment costs cold-tier reads: say how many and which.
  out += "segments read: " + u(x.segments_hot()) + " hot, " + u(x.segments_cold()) +
         " cold: " + list(x.segments_read()) + "\n";
  out += "blocks pruned: " + u(x.blocks_pruned()) + "\n";
  out += "rows: " + u(x.candidate_rows()) + " candidates, " + u(x.verified_rows()) + " verified, " +
         u(x.matched_rows()) + " matched; " + u(x.buffered_events()) + " buffered events scanned\n";
  out += "index terms: " + list(x.terms()) + "\n";
  out += "columns read: " + list(x.columns_read()) + "\n";
  char buf[64];
  snprintf(buf, sizeof buf, "elapsed: %.3f ms\n", x.elapsed_ms());
  out += buf;
  return out;
}

std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Counted(uint64_t n, std::string_view noun, std::string_view plural) {
  if (n == 1) return "1 " + std::string(noun);
  return Grouped(n) + " " + (plural.empty() ? std::string(noun) + "s" : std::string(plural));
}

std::string FormatDurationSetting(int64_t ns) {
  if (ns <= 0) return ns == 0 ? "0" : std::to_string(ns) + "ns";
  static constexpr struct {
    const char* name;
    int64_t ns;
  } kUnits[] = {{"d", int64_t{86400} * 1'000'000'000},
                {"h", int64_t{3600} * 1'000'000'000},
                {"m", int64_t{60} * 1'000'000'000},
                {"s", 1'000'000'000},
                {"ms", 1'000'000},
                {"us", 1'000},
                {"ns", 1}};
  std::string out;
  for (const auto& u : kUnits) {
    if (ns >= u.ns) {
      out += std::to_string(ns / u.ns) + u.name;
      ns %= u.ns;
    }
  }
  return out;
}

std::string FormatDuration(int64_t ns) {
  char buf[48];
  const double ms = static_cast<double>(ns) / 1e6;
  if (ns < 0 || ms < 10'000) {
    snprintf(buf, sizeof buf, "%.3fms", ms);
  } else {
    snprintf(buf, sizeof buf, "%.3fs", ms / 1000);
  }
  return buf;
}

}  // namespace trove::cli
