#include "bench/loghub_loader.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "bench/log_time.h"
#include "index/tokenizer.h"

namespace trove::bench {

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

std::vector<Event> LoadTextLog(const std::string& path, const std::string& service,
                               Status* status) {
  if (status) *status = Status::OK();
  std::vector<Event> events;
  std::string text;
  int err = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    err = errno;
  } else {
    char chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
    if (std::ferror(f)) err = errno ? errno : EIO;  // a directory fails here with EISDIR
    std::fclose(f);
  }
  if (err != 0) {
    if (status) *status = Status::IOError("cannot read " + path + ": " + std::strerror(err));
    return events;
  }
  int64_t last_time = kDefaultStartNs - kFallbackStepNs;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    Event e;
    if (!ParseLogTimestamp(line, &e.time_ns)) e.time_ns = last_time + kFallbackStepNs;
    last_time = e.time_ns;
    e.service = service;
    e.level = FindLevelWord(line);
    e.message.assign(line);
    events.push_back(std::move(e));
  }
  return events;
}

void AppendJsonString(std::string_view s, std::string* out) {
  std::string sanitized;
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      sanitized.assign(s);
      SanitizeUtf8(&sanitized);
      s = sanitized;
      break;
    }
  }
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
          out->append(esc);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string ToJsonLine(const Event& e) {
  std::string out;
  out.reserve(128 + e.message.size() + e.attributes.size() * 32);
  auto key = [&](std::string_view k) {
    out.push_back(out.empty() ? '{' : ',');
    AppendJsonString(k, &out);
    out.push_back(':');
  };
  auto string_field = [&](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    key(k);
    AppendJsonString(v, &out);
  };
  key(kFieldTime);
  out.push_back('"');
  out.append(FormatRfc3339(e.time_ns, 9));
  out.push_back('"');
  string_field(kFieldService, e.service);
  if (e.level != Level::kUnknown) string_field(kFieldLevel, LevelName(e.level));
  string_field(kFieldHost, e.host);
  key(kFieldMessage);
  AppendJsonString(e.message, &out);
  string_field(kFieldTraceId, e.trace_id);
  string_field(kFieldSpanId, e.span_id);
  string_field(kFieldParentSpanId, e.parent_span_id);
  for (const Attribute& a : e.attributes) {
    key(a.key);
    switch (TypeOf(a.value)) {
      case ValueType::kString:
        AppendJsonString(std::get<std::string>(a.value), &out);
        break;
      case ValueType::kDouble:
        if (!std::isfinite(std::get<double>(a.value))) {
          out.append("null");
          break;
        }
        [[fallthrough]];
      case ValueType::kInt64:
      case ValueType::kBool:
        out.append(ValueToString(a.value));
        break;
    }
  }
  out.push_back('}');
  return out;
}

}  // namespace trove::bench
