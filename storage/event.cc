#include "storage/event.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "storage/coding.h"

namespace trove {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace: return "TRACE";
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
    case Level::kFatal: return "FATAL";
    case Level::kUnknown: break;
  }
  return "UNKNOWN";
}

Level ParseLevel(std::string_view word) {
  std::string w(word);
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::unordered_map<std::string, Level> kWords = {
      {"trace", Level::kTrace},   {"finest", Level::kTrace},  {"v", Level::kTrace},
      {"verbose", Level::kTrace}, {"debug", Level::kDebug},   {"fine", Level::kDebug},
      {"d", Level::kDebug},       {"info", Level::kInfo},     {"information", Level::kInfo},
      {"notice", Level::kInfo},   {"i", Level::kInfo},        {"warn", Level::kWarn},
      {"warning", Level::kWarn},  {"w", Level::kWarn},        {"error", Level::kError},
      {"err", Level::kError},     {"e", Level::kError},       {"severe", Level::kError},
      {"fatal", Level::kFatal},   {"critical", Level::kFatal}, {"crit", Level::kFatal},
      {"panic", Level::kFatal},   {"emerg", Level::kFatal},   {"alert", Level::kFatal},
      {"f", Level::kFatal},
  };
  auto it = kWords.find(w);
  return it == kWords.end() ? Level::kUnknown : it->second;
}

namespace {

// Significant digits of a number as std::to_chars writes it in scientific form ("-1.25e+03"
// → 3, "1e-03" → 1, "0e+00" → 1).
int SignificantDigits(const char* first, const char* last) {
  std::string digits;
  for (const char* p = first; p != last && *p != 'e'; ++p) {
    if (*p >= '0' && *p <= '9') digits.push_back(*p);
  }
  const size_t begin = digits.find_first_not_of('0');
  if (begin == std::string::npos) return 1;
  const size_t end = digits.find_last_not_of('0');
  return static_cast<int>(end - begin + 1);
}

}  // namespace

std::string DoubleToString(double d) {
  // The answer is the %.*g form with the fewest digits that reads back as d. The shortest
  // round-trip digits (std::to_chars, no precision) say how many that is; the loop only
  // confirms it, where the old code tried every precision from 1 with snprintf and strtod.
  char buf[64];
  // Scientific: fixed notation may spell a large integer out in full ("7629982456429815808").
  const auto shortest = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  for (int prec = SignificantDigits(buf, shortest.ptr); prec <= 17; ++prec) {
    const auto g = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::general, prec);
    double back = 0;
    const auto parsed = std::from_chars(buf, g.ptr, back);
    if (parsed.ec == std::errc() && parsed.ptr == g.ptr && back == d) return std::string(buf, g.ptr);
  }
  snprintf(buf, sizeof buf, "%.17g", d);  // NaN: never equal to itself
  return buf;
}

std::string ValueToString(const AttrValue& v) {
  switch (v.index()) {
    case 0: return std::get<std::string>(v);
    case 1: return std::to_string(std::get<int64_t>(v));
    case 2: return DoubleToString(std::get<double>(v));
    default: return std::get<bool>(v) ? "true" : "false";
  }
}

bool IsBuiltinField(std::string_view name) {
  return name == kFieldTime || name == kFieldMessage || name == kFieldService ||
         name == kFieldLevel || name == kFieldHost || name == kFieldTraceId ||
         name == kFieldSpanId || name == kFieldParentSpanId;
}

size_t Event::ApproximateSize() const {
  size_t n = 24 + service.size() + host.size() + message.size() + trace_id.size() +
             span_id.size() + parent_span_id.size();
  for (const Attribute& a : attributes) {
    n += a.key.size() + 10;
    if (const auto* s = std::get_if<std::string>(&a.value)) n += s->size();
  }
  return n;
}

namespace {

// Length of the valid UTF-8 sequence starting at p (1..4), or 0 if invalid.
size_t ValidSequenceLength(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (avail < len) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

bool SanitizeUtf8(std::string* s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s->data());
  size_t n = s->size();
  size_t i = 0;
  // Fast path: ASCII and valid sequences leave the string untouched.
  while (i < n) {
    size_t len = ValidSequenceLength(p + i, n - i);
    if (len == 0) break;
    i += len;
  }
  if (i == n) return false;
  std::string out(s->data(), i);
  while (i < n) {
    size_t len = ValidSequenceLength(p + i, n - i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s->data() + i, len);
      i += len;
    }
  }
  *s = std::move(out);
  return true;
}

Status NormalizeEvent(const EventLimits& limits, int64_t now_ns, Event* e) {
  if (e->time_ns < 0) {
    return Status::InvalidArgument("_time " + std::to_string(e->time_ns) +
                                   " is before 1970-01-01T00:00:00Z");
  }
  if (e->time_ns > now_ns && e->time_ns - now_ns > limits.max_future_ns) {
    return Status::InvalidArgument("_time " + std::to_string(e->time_ns) +
                                   " is more than " +
                                   std::to_string(limits.max_future_ns / 1'000'000'000) +
                                   " s in the future");
  }
  if (e->trace_id.size() > limits.max_trace_id_bytes) {
    return Status::InvalidArgument("trace_id is " + std::to_string(e->trace_id.size()) +
                                   " bytes; the limit is " +
                                   std::to_string(limits.max_trace_id_bytes));
  }
  if (e->span_id.size() > limits.max_span_id_bytes ||
      e->parent_span_id.size() > limits.max_span_id_bytes) {
    return Status::InvalidArgument("span_id/parent_span_id longer than " +
                                   std::to_string(limits.max_span_id_bytes) + " bytes");
  }
  if (e->attributes.size() > limits.max_attributes) {
    return Status::InvalidArgument("event has " + std::to_string(e->attributes.size()) +
                                   " attributes; the limit is " +
                                   std::to_string(limits.max_attributes));
  }
  size_t size = e->ApproximateSize();
  if (size > limits.max_event_bytes) {
    return Status::InvalidArgument("event is " + std::to_string(size) +
                                   " bytes; the limit is " +
                                   std::to_string(limits.max_event_bytes));
  }
  if (static_cast<uint8_t>(e->level) >= kNumLevels) {
    return Status::InvalidArgument("level " + std::to_string(static_cast<int>(e->level)) +
                                   " is not a known level");
  }
  SanitizeUtf8(&e->message);
  SanitizeUtf8(&e->service);
  SanitizeUtf8(&e->host);
  for (Attribute& a : e->attributes) {
    if (a.key.empty()) return Status::InvalidArgument("attribute with an empty key");
    if (a.key.find('\0') != std::string::npos) {
      return Status::InvalidArgument("attribute key contains a NUL byte");
    }
    if (a.key.size() > limits.max_key_bytes) {
      return Status::InvalidArgument("attribute key longer than " +
                                     std::to_string(limits.max_key_bytes) + " bytes");
    }
    SanitizeUtf8(&a.key);
    if (IsBuiltinField(a.key)) {
      return Status::InvalidArgument("attribute key '" + a.key + "' is a built-in field");
    }
    if (auto* s = std::get_if<std::string>(&a.value)) SanitizeUtf8(s);
  }
  // Again after the repair: each invalid byte became a 3-byte U+FFFD.
  size = e->ApproximateSize();
  if (size > limits.max_event_bytes) {
    return Status::InvalidArgument("event is " + std::to_string(size) +
                                   " bytes after replacing invalid UTF-8; the limit is " +
                                   std::to_string(limits.max_event_bytes));
  }
  // Last value wins for duplicate keys; keep attributes sorted by key for stable output.
  std::stable_sort(e->attributes.begin(), e->attributes.end(),
                   [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
  auto last = std::unique(e->attributes.rbegin(), e->attributes.rend(),
                          [](const Attribute& a, const Attribute& b) { return a.key == b.key; });
  e->attributes.erase(e->attributes.begin(), last.base());
  return Status::OK();
}

void EncodeEvent(const Event& e, std::string* dst) {
  PutVarint64(dst, static_cast<uint64_t>(e.time_ns));
  dst->push_back(static_cast<char>(e.level));
  PutLengthPrefixed(dst, e.service);
  PutLengthPrefixed(dst, e.host);
  PutLengthPrefixed(dst, e.message);
  PutLengthPrefixed(dst, e.trace_id);
  PutLengthPrefixed(dst, e.span_id);
  PutLengthPrefixed(dst, e.parent_span_id);
  PutVarint64(dst, e.attributes.size());
  for (const Attribute& a : e.attributes) {
    PutLengthPrefixed(dst, a.key);
    dst->push_back(static_cast<char>(TypeOf(a.value)));
    switch (TypeOf(a.value)) {
      case ValueType::kString: PutLengthPrefixed(dst, std::get<std::string>(a.value)); break;
      case ValueType::kInt64: PutVarint64(dst, ZigZag(std::get<int64_t>(a.value))); break;
      case ValueType::kDouble: {
        uint64_t bits;
        double d = std::get<double>(a.value);
        std::memcpy(&bits, &d, 8);
        PutFixed64(dst, bits);
        break;
      }
      case ValueType::kBool: dst->push_back(std::get<bool>(a.value) ? 1 : 0); break;
    }
  }
}

bool DecodeEvent(std::string_view* input, Event* e) {
  Decoder d(*input);
  uint64_t time;
  uint8_t level;
  std::string_view s[6];
  uint64_t nattrs;
  if (!d.GetVarint64(&time) || !d.GetByte(&level) || level >= kNumLevels) return false;
  for (auto& part : s) {
    if (!d.GetLengthPrefixed(&part)) return false;
  }
  if (!d.GetVarint64(&nattrs) || nattrs > d.remaining()) return false;
  e->time_ns = static_cast<int64_t>(time);
  e->level = static_cast<Level>(level);
  e->service = s[0];
  e->host = s[1];
  e->message = s[2];
  e->trace_id = s[3];
  e->span_id = s[4];
  e->parent_span_id = s[5];
  e->attributes.clear();
  e->attributes.reserve(nattrs);
  for (uint64_t i = 0; i < nattrs; ++i) {
    std::string_view key;
    uint8_t type;
    if (!d.GetLengthPrefixed(&key) || !d.GetByte(&type)) return false;
    Attribute a{std::string(key), {}};
    switch (static_cast<ValueType>(type)) {
      case ValueType::kString: {
        std::string_view v;
        if (!d.GetLengthPrefixed(&v)) return false;
        a.value = std::string(v);
        break;
      }
      case ValueType::kInt64: {
        uint64_t v;
        if (!d.GetVarint64(&v)) return false;
        a.value = UnZigZag(v);
        break;
      }
      case ValueType::kDouble: {
        uint64_t bits;
        if (!d.GetFixed64(&bits)) return false;
        double v;
        std::memcpy(&v, &bits, 8);
        a.value = v;
        break;
      }
      case ValueType::kBool: {
        uint8_t b;
        if (!d.GetByte(&b) || b > 1) return false;
        a.value = b == 1;
        break;
      }
      default: return false;
    }
    e->attributes.push_back(std::move(a));
  }
  std::string_view rest;
  d.GetBytes(d.remaining(), &rest);
  *input = rest;
  return true;
}

}  // namespace trove
