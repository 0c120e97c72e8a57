#include "tools/text_lines.h"

#include <utility>

#include "index/tokenizer.h"
#include "tools/log_time.h"

namespace trove::ingest {

Level FindLevelWord(std::string_view line) {
  static constexpr std::string_view kWords[] = {"info",  "warn",  "warning", "error",  "fatal",
                                                "debug", "trace", "notice",  "severe", "critical"};
  Level found = Level::kUnknown;
  index::ForEachToken(line, [&](std::string_view token) {
    if (found != Level::kUnknown || token.size() < 4 || token.size() > 8) return;
    for (std::string_view w : kWords) {
      if (w.size() != token.size()) continue;
      bool same = true;
      for (size_t i = 0; i < w.size() && same; ++i) same = index::AsciiLower(token[i]) == w[i];
      if (same) {
        found = ParseLevel(token);
        return;
      }
    }
  });
  return found;
}

namespace {

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace

TextLineParser::TextLineParser(TextParseOptions options) : options_(std::move(options)) {}

void TextLineParser::StartEvent(std::string_view line, uint64_t line_no, bool has_time,
                                int64_t time_ns) {
  pending_ = LineEvent{};
  pending_.line = line_no;
  Event& e = pending_.event;
  if (has_time) last_time_ns_ = time_ns;
  e.time_ns = last_time_ns_;
  e.service = options_.service;
  e.level = FindLevelWord(line);
  e.message.assign(line);
  has_pending_ = true;
  pending_has_time_ = has_time;
}

void TextLineParser::AddLine(std::string_view line, uint64_t line_no, std::vector<LineEvent>* out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (IsBlank(line)) return;
  int64_t time_ns = 0;
  const bool has_time = FindLogTimestamp(line, &time_ns);
  if (options_.multiline && has_pending_) {
    const bool indented = line[0] == ' ' || line[0] == '\t';
    const bool continues = indented || (!has_time && pending_has_time_);
    std::string& message = pending_.event.message;
    if (continues && message.size() + 1 + line.size() <= options_.max_event_bytes) {
      message.push_back('\n');
      message.append(line);
      return;
    }
  }
  if (has_pending_) out->push_back(std::move(pending_));
  has_pending_ = false;
  StartEvent(line, line_no, has_time, time_ns);
  if (!options_.multiline) {
    out->push_back(std::move(pending_));
    has_pending_ = false;
  }
}

void TextLineParser::Finish(std::vector<LineEvent>* out) {
  if (has_pending_) out->push_back(std::move(pending_));
  has_pending_ = false;
}

}  // namespace trove::ingest
