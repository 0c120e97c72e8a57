#include "tools/json_lines.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "tools/log_time.h"

namespace trove::ingest {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The built-in fields a recognised key can fill.
enum Target : int { kTime, kMessage, kLevel, kService, kTraceId, kSpanId, kParentSpanId, kHost };
constexpr int kNumTargets = 8;

struct Alias {
  std::string_view key;
  Target target;
  int rank;  // lower wins
};

// DESIGN.md §1, in priority order per field.
constexpr Alias kAliases[] = {
    {"_time", kTime, 0},
    {"@timestamp", kTime, 1},
    {"timestamp", kTime, 2},
    {"ts", kTime, 3},
    {"time", kTime, 4},
    {"_msg", kMessage, 0},
    {"message", kMessage, 1},
    {"msg", kMessage, 2},
    {"body", kMessage, 3},
    {"log", kMessage, 4},
    {"level", kLevel, 0},
    {"severity", kLevel, 1},
    {"log.level", kLevel, 2},
    {"severity_text", kLevel, 3},
    {"service", kService, 0},
    {"service.name", kService, 1},
    {"app", kService, 2},
    {"trace_id", kTraceId, 0},
    {"traceId", kTraceId, 1},
    {"correlation_id", kTraceId, 2},
    {"request_id", kTraceId, 3},
    {"span_id", kSpanId, 0},
    {"spanId", kSpanId, 1},
    {"parent_span_id", kParentSpanId, 0},
    {"parentSpanId", kParentSpanId, 1},
    {"host", kHost, 0},
    {"hostname", kHost, 1},
    {"host.name", kHost, 2},
};

const Alias* FindAlias(std::string_view key) {
  for (const Alias& a : kAliases) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

struct Leaf {
  std::string key;  // flattened, dotted
  element value;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// ---- time -------------------------------------------------------------------------------------

// The unit of a positive epoch number by its magnitude (1e11 s is the year 5138; 1e11 ms is
// 1973, so ms times before 1973 read as seconds: no log is that old).
int64_t NanosPerUnit(double magnitude) {
  if (magnitude < 1e11) return 1'000'000'000;
  if (magnitude < 1e14) return 1'000'000;
  if (magnitude < 1e17) return 1'000;
  return 1;
}

// Epoch numbers before 2000-01-01 are not taken as times: a small number under a time key is
// far more likely a duration ("time": 35) than an event of 1970.
constexpr int64_t kMinNumericTimeNs = int64_t{946684800} * 1'000'000'000;

bool TimeFromInt(int64_t v, int64_t* ns) {
  if (v <= 0) return false;
  const int64_t scale = NanosPerUnit(static_cast<double>(v));
  if (v > INT64_MAX / scale || v * scale < kMinNumericTimeNs) return false;
  *ns = v * scale;
  return true;
}

bool TimeFromDouble(double v, int64_t* ns) {
  if (!(v > 0) || !std::isfinite(v)) return false;
  const int64_t scale = NanosPerUnit(v);
  // Whole units and the fraction separately: 1.7e9 s in ns is beyond a double's 53 bits.
  const double whole = std::floor(v);
  const double whole_ns = whole * static_cast<double>(scale);
  if (whole_ns >= 9.2e18) return false;
  const int64_t t =
      static_cast<int64_t>(whole_ns) + std::llround((v - whole) * static_cast<double>(scale));
  if (t < kMinNumericTimeNs) return false;
  *ns = t;
  return true;
}

// "1700000000", "1700000000.25": a number written as a string.
bool TimeFromNumericString(std::string_view s, int64_t* ns) {
  size_t dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  if (s.empty() || dots > 1 || s.front() == '.' || s.back() == '.') return false;
  if (dots == 0) {
    int64_t v;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && TimeFromInt(v, ns);
  }
  return TimeFromDouble(std::strtod(std::string(s).c_str(), nullptr), ns);
}

bool ToTime(element v, int64_t* ns) {
  switch (v.type()) {
    case element_type::INT64:
      return TimeFromInt(int64_t(v), ns);
    case element_type::UINT64:
      return false;  // beyond int64 ns: not a time
    case element_type::DOUBLE:
      return TimeFromDouble(double(v), ns);
    case element_type::STRING: {
      const std::string_view s = Trim(std::string_view(v));
      if (TimeFromNumericString(s, ns)) return true;
      int64_t t;
      if (ParseTimestampPrefix(s, &t) != s.size()) return false;  // all of it, or nothing
      *ns = t;
      return true;
    }
    default:
      return false;
  }
}

// ---- level ------------------------------------------------------------------------------------

bool LevelFromNumber(int64_t v, Level* level) {
  if (v >= 10 && v <= 60 && v % 10 == 0) {  // pino / bunyan
    *level = static_cast<Level>(v / 10);
    return true;
  }
  if (v >= 1 && v <= 24) {  // OpenTelemetry SeverityNumber: four per level
    *level = static_cast<Level>((v - 1) / 4 + 1);
    return true;
  }
  return false;
}

bool ToLevel(element v, Level* level) {
  if (v.type() == element_type::INT64) return LevelFromNumber(int64_t(v), level);
  if (v.type() != element_type::STRING) return false;
  std::string_view s = Trim(std::string_view(v));
  Level l = ParseLevel(s);
  // OpenTelemetry's short names carry a digit: "INFO2", "ERROR4".
  if (l == Level::kUnknown && s.size() > 1 && s.back() >= '1' && s.back() <= '4') {
    l = ParseLevel(s.substr(0, s.size() - 1));
  }
  if (l == Level::kUnknown) return false;
  *level = l;
  return true;
}

// ---- strings and attributes --------------------------------------------------------------------

std::string DoubleText(double d) { return ValueToString(AttrValue(d)); }

// Any scalar or array as text: strings as they are, the rest as JSON text.
bool ToText(element v, std::string* out) {
  switch (v.type()) {
    case element_type::STRING:
      out->assign(std::string_view(v));
      return true;
    case element_type::INT64:
      *out = std::to_string(int64_t(v));
      return true;
    case element_type::UINT64:
      *out = std::to_string(uint64_t(v));
      return true;
    case element_type::DOUBLE:
      *out = DoubleText(double(v));
      return true;
    case element_type::BOOL:
      *out = bool(v) ? "true" : "false";
      return true;
    case element_type::ARRAY:
      *out = simdjson::minify(v);
      return true;
    default:  // null; objects never reach here (flattened)
      return false;
  }
}

// False for values that are skipped (null, empty objects).
bool ToAttrValue(element v, AttrValue* out) {
  switch (v.type()) {
    case element_type::STRING:
      *out = std::string(std::string_view(v));
      return true;
    case element_type::INT64:
      *out = int64_t(v);
      return true;
    case element_type::UINT64:
      *out = std::to_string(uint64_t(v));
      return true;
    case element_type::DOUBLE:
      *out = double(v);
      return true;
    case element_type::BOOL:
      *out = bool(v);
      return true;
    case element_type::ARRAY:
      *out = simdjson::minify(v);
      return true;
    default:
      return false;
  }
}

void Flatten(simdjson::dom::object obj, const std::string& prefix, std::vector<Leaf>* leaves) {
  for (auto field : obj) {
    std::string key = prefix;
    if (!key.empty()) key.push_back('.');
    if (field.key.empty()) {
      key.push_back('_');
    } else {
      key.append(field.key);
    }
    if (field.value.type() == element_type::OBJECT) {
      Flatten(simdjson::dom::object(field.value), key, leaves);
    } else {
      leaves->push_back(Leaf{std::move(key), field.value});
    }
  }
}

// Escapes raw control characters inside JSON strings (strictly invalid, but some producers
// write tabs and NULs raw). Outside strings they are left for the parser to judge.
void EscapeControlCharsInStrings(std::string* s) {
  std::string out;
  out.reserve(s->size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < s->size(); ++i) {
    const char c = (*s)[i];
    if (in_string && c == '\\' && i + 1 < s->size()) {
      out.push_back(c);
      out.push_back((*s)[++i]);
      continue;
    }
    if (c == '"') in_string = !in_string;
    if (in_string && static_cast<unsigned char>(c) < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out.append("\\u00");
      out.push_back(kHex[(c >> 4) & 0xf]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  s->swap(out);
}

std::string DescribeError(simdjson::error_code err, size_t max_depth) {
  switch (err) {
    case simdjson::TAPE_ERROR:
      return "invalid JSON: malformed or truncated object (a missing or extra comma, brace, "
             "bracket, colon or key)";
    case simdjson::UNCLOSED_STRING:
      return "invalid JSON: a string is opened but never closed";
    case simdjson::DEPTH_ERROR:
      return "invalid JSON: nested deeper than " + std::to_string(max_depth) + " levels";
    case simdjson::STRING_ERROR:
      return "invalid JSON: bad escape sequence in a string";
    case simdjson::NUMBER_ERROR:
      return "invalid JSON: malformed or out-of-range number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "invalid JSON: unknown literal (expected true, false or null)";
    case simdjson::CAPACITY:
    case simdjson::MEMALLOC:
      return "line too large to parse";
    default:
      return std::string("invalid JSON: ") + simdjson::error_message(err);
  }
}

const char* TypeName(element_type t) {
  switch (t) {
    case element_type::ARRAY:
      return "an array";
    case element_type::STRING:
      return "a string";
    case element_type::NULL_VALUE:
      return "null";
    case element_type::BOOL:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace

struct JsonLineParser::Impl {
  simdjson::dom::parser parser;
  std::string buffer;  // the line plus SIMDJSON_PADDING, reused across lines
  std::string repaired;
  std::vector<Leaf> leaves;

  simdjson::error_code ParseInto(std::string_view text, element* doc) {
    buffer.assign(text);
    buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    return parser.parse(buffer.data(), text.size(), false).get(*doc);
  }
};

JsonLineParser::JsonLineParser(JsonParseOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
  // Capacity grows on demand; only the depth is fixed here. simdjson fails a document whose
  // depth reaches its max_depth (the 64th nested object of max_depth 64), so allow one more to
  // accept exactly max_depth levels, as JsonParseOptions promises.
  if (impl_->parser.allocate(1 << 16, options_.max_depth + 1) != simdjson::SUCCESS) {
    fprintf(stderr, "JsonLineParser: cannot allocate the simdjson parser\n");
    abort();
  }
}

JsonLineParser::~JsonLineParser() = default;

Status JsonLineParser::Parse(std::string_view line, Event* event) {
  repaired_ = false;
  line = Trim(line);
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line = Trim(line.substr(3));  // byte-order mark
  if (line.empty()) return Status::InvalidArgument("empty line");

  element doc;
  simdjson::error_code err = impl_->ParseInto(line, &doc);
  if (err == simdjson::UTF8_ERROR || err == simdjson::UNESCAPED_CHARS) {
    impl_->repaired.assign(line);
    SanitizeUtf8(&impl_->repaired);
    EscapeControlCharsInStrings(&impl_->repaired);
    err = impl_->ParseInto(impl_->repaired, &doc);
    repaired_ = true;
  }
  if (err != simdjson::SUCCESS) {
    repaired_ = false;
    return Status::InvalidArgument(DescribeError(err, options_.max_depth));
  }
  if (doc.type() != element_type::OBJECT) {
    return Status::InvalidArgument(std::string("expected a JSON object, found ") +
                                   TypeName(doc.type()));
  }

  std::vector<Leaf>& leaves = impl_->leaves;
  leaves.clear();
  Flatten(simdjson::dom::object(doc), std::string(), &leaves);

  *event = Event{};
  std::array<int, kNumTargets> rank;
  std::array<size_t, kNumTargets> winner;
  rank.fill(INT_MAX);
  winner.fill(SIZE_MAX);
  std::string* text_field[kNumTargets] = {
      nullptr,         &event->message,        nullptr,     &event->service, &event->trace_id,
      &event->span_id, &event->parent_span_id, &event->host};
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Alias* alias = FindAlias(leaves[i].key);
    if (alias == nullptr || alias->rank >= rank[alias->target]) continue;
    const element v = leaves[i].value;
    bool usable;
    if (alias->target == kTime) {
      int64_t t;
      usable = ToTime(v, &t);
      if (usable) event->time_ns = t;
    } else if (alias->target == kLevel) {
      Level l;
      usable = ToLevel(v, &l);
      if (usable) event->level = l;
    } else {
      std::string text;
      usable = ToText(v, &text);
      if (usable) *text_field[alias->target] = std::move(text);
    }
    if (!usable) continue;  // stays an attribute; an earlier, lower-ranked winner stands
    rank[alias->target] = alias->rank;
    winner[alias->target] = i;
  }

  for (size_t i = 0; i < leaves.size(); ++i) {
    bool won = false;
    for (size_t w : winner) won = won || w == i;
    if (won) continue;
    AttrValue value;
    if (!ToAttrValue(leaves[i].value, &value)) continue;
    std::string key = std::move(leaves[i].key);
    if (IsBuiltinField(key)) key.append("_raw");
    event->attributes.push_back(Attribute{std::move(key), std::move(value)});
  }
  if (event->service.empty()) event->service = options_.service;
  return Status::OK();
}

bool LooksLikeJsonLine(std::string_view first_line) {
  if (first_line.substr(0, 3) == "\xEF\xBB\xBF") first_line.remove_prefix(3);
  first_line = Trim(first_line);
  return !first_line.empty() && first_line.front() == '{';
}

}  // namespace trove::ingest
