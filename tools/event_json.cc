#include "tools/event_json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/log_time.h"

namespace trove::ingest {

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

void AppendJsonValue(const AttrValue& v, std::string* out) {
  switch (TypeOf(v)) {
    case ValueType::kString:
      AppendJsonString(std::get<std::string>(v), out);
      return;
    case ValueType::kDouble:
      if (!std::isfinite(std::get<double>(v))) {
        out->append("null");
        return;
      }
      [[fallthrough]];
    case ValueType::kInt64:
    case ValueType::kBool:
      out->append(ValueToString(v));
      return;
  }
}

std::string ToJsonLine(const Event& e, const std::vector<std::string>& fields) {
  auto wanted = [&](std::string_view name) {
    return fields.empty() || std::find(fields.begin(), fields.end(), name) != fields.end();
  };
  std::string out;
  out.reserve(128 + e.message.size() + e.attributes.size() * 32);
  auto key = [&](std::string_view k) {
    out.push_back(out.empty() ? '{' : ',');
    AppendJsonString(k, &out);
    out.push_back(':');
  };
  auto string_field = [&](std::string_view k, std::string_view v) {
    if (v.empty() || !wanted(k)) return;
    key(k);
    AppendJsonString(v, &out);
  };
  if (wanted(kFieldTime)) {
    key(kFieldTime);
    out.push_back('"');
    out.append(FormatRfc3339(e.time_ns, 9));
    out.push_back('"');
  }
  string_field(kFieldService, e.service);
  if (e.level != Level::kUnknown) string_field(kFieldLevel, LevelName(e.level));
  string_field(kFieldHost, e.host);
  if (wanted(kFieldMessage)) {
    key(kFieldMessage);
    AppendJsonString(e.message, &out);
  }
  string_field(kFieldTraceId, e.trace_id);
  string_field(kFieldSpanId, e.span_id);
  string_field(kFieldParentSpanId, e.parent_span_id);
  for (const Attribute& a : e.attributes) {
    if (!wanted(a.key)) continue;
    key(a.key);
    AppendJsonValue(a.value, &out);
  }
  if (out.empty()) out.push_back('{');  // every field filtered out
  out.push_back('}');
  return out;
}

}  // namespace trove::ingest
