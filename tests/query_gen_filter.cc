// Random filters as text and as the Filter they are meant to parse to (query_gen.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "index/tokenizer.h"
#include "tests/query_gen.h"

namespace trove::query::testing {
namespace {

// Safe inside "…": no quote, backslash or control byte (escapes are not part of the contract).
bool Quotable(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string Rfc3339(int64_t ns, int offset_minutes) {
  int64_t local = ns + int64_t{offset_minutes} * kMinute;
  int64_t secs = local / kSecond;
  int64_t frac = local % kSecond;
  if (frac < 0) {
    frac += kSecond;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (frac) {
    char f[16];
    snprintf(f, sizeof f, ".%09lld", static_cast<long long>(frac));
    std::string fs = f;
    while (fs.back() == '0') fs.pop_back();
    s += fs;
  }
  if (offset_minutes == 0) return s + "Z";
  int m = std::abs(offset_minutes);
  snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  return s + buf;
}

}  // namespace

Filter QueryGenerator::Leaf(Predicate p) {
  Filter f;
  f.op = Filter::Op::kLeaf;
  f.leaf = std::move(p);
  return f;
}

Predicate QueryGenerator::Pred(Predicate::Kind kind, std::string field, std::string text) {
  Predicate p;
  p.kind = kind;
  p.field = std::move(field);
  p.text = std::move(text);
  return p;
}

std::string QueryGenerator::RandomCase(std::string s) {
  int mode = static_cast<int>(rng_.Uniform(0, 3));
  for (char& c : s) {
    if (mode == 0) break;
    bool upper = mode == 1 || (mode == 3 && rng_.Chance(0.5));
    if (c >= 'a' && c <= 'z' && upper) c = static_cast<char>(c - 32);
    if (c >= 'A' && c <= 'Z' && !upper && mode != 1) c = static_cast<char>(c + 32);
  }
  return s;
}

std::string QueryGenerator::FieldValue(const std::string& field) {
  auto it = vocab_.values.find(field);
  if (it == vocab_.values.end() || it->second.empty()) return "absent";
  return rng_.Pick(it->second);
}

// A substring of text that starts on a token start and ends on a token end (spanning
// separators), cut on UTF-8 character boundaries.
std::string QueryGenerator::TokenSpan(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> tokens;
  index::ForEachToken(text, [&](std::string_view t) {
    tokens.push_back({static_cast<size_t>(t.data() - text.data()), t.size()});
  });
  if (tokens.empty()) return text;
  auto a = static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(tokens.size()) - 1));
  auto b = std::min(tokens.size() - 1, a + static_cast<size_t>(rng_.Uniform(0, 2)));
  return text.substr(tokens[a].first, tokens[b].first + tokens[b].second - tokens[a].first);
}

QueryGenerator::Part QueryGenerator::FieldLeaf(const std::string& field, Predicate p,
                                               const std::string& value_text) {
  std::string text = field == "_msg" && rng_.Chance(0.5) ? value_text : field + ":" + value_text;
  return {text, Leaf(std::move(p)), 3};
}

QueryGenerator::Part QueryGenerator::Word() {
  std::string w = RandomCase(rng_.Pick(vocab_.words));
  return {w, Leaf(Pred(Predicate::Kind::kPhrase, "_msg", w)), 3};
}

QueryGenerator::Part QueryGenerator::Phrase() {
  std::string phrase;
  if (rng_.Chance(0.06)) {  // no whole token at all: the index cannot help
    static const std::vector<std::string> kOdd = {".", "/",     ":",    ", ", "=", "-",
                                                  "_", "/api/", ".q&a", "]",  "=5"};
    phrase = rng_.Pick(kOdd);
  }
  for (int attempt = 0; attempt < 20 && !Quotable(phrase); ++attempt) {
    if (rng_.Chance(0.3)) {
      phrase = rng_.Pick(kFragments);
      int more = static_cast<int>(rng_.Uniform(0, 2));
      for (int i = 0; i < more; ++i) phrase += rng_.Pick(kSeparators) + rng_.Pick(kFragments);
      if (phrase.find('\t') != std::string::npos) phrase.clear();
      continue;
    }
    const std::string& m = rng_.Pick(vocab_.messages);
    if (rng_.Chance(0.6)) {
      phrase = TokenSpan(m);
    } else {  // any substring: may start or end mid-token, or hold no token at all
      auto a = static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(m.size()) - 1));
      auto len = static_cast<size_t>(rng_.Uniform(1, 24));
      while (a > 0 && IsUtf8Continuation(m[a])) --a;
      size_t b = std::min(m.size(), a + len);
      while (b < m.size() && IsUtf8Continuation(m[b])) ++b;
      phrase = m.substr(a, b - a);
    }
    bool only_space = phrase.find_first_not_of(" \t") == std::string::npos;
    if (only_space || phrase.find('\t') != std::string::npos) phrase.clear();
  }
  if (!Quotable(phrase)) return Word();
  phrase = RandomCase(phrase);
  return {Quote(phrase), Leaf(Pred(Predicate::Kind::kPhrase, "_msg", phrase)), 3};
}

QueryGenerator::Part QueryGenerator::FieldPhrase() {
  std::string field = rng_.Pick(kTextFields);
  if (field == "level") {
    static const std::vector<std::string> kLevelWords = {"error", "WARN",  "Info",    "debug",
                                                         "TRACE", "fatal", "unknown", "warning"};
    std::string w = rng_.Pick(kLevelWords);
    Level level = ParseLevel(w);
    return FieldLeaf(field, Pred(Predicate::Kind::kExact, "level", std::string(LevelName(level))),
                     w);
  }
  std::string v = rng_.Chance(0.1) ? "absent" : FieldValue(field);
  if (rng_.Chance(0.5)) v = TokenSpan(v);
  v = RandomCase(v);
  if (!Quotable(v)) return Word();
  std::string text = IsBare(v) ? v : Quote(v);
  return FieldLeaf(field, Pred(Predicate::Kind::kPhrase, field, v), text);
}

QueryGenerator::Part QueryGenerator::Exact() {
  std::string field = rng_.Pick(kTextFields);
  std::string v = field == "_msg" ? rng_.Pick(vocab_.messages) : FieldValue(field);
  if (rng_.Chance(0.2)) v = RandomCase(v);
  if (rng_.Chance(0.1) && v.size() > 1) v.pop_back();
  if (!Quotable(v) || v.find('\t') != std::string::npos) return Word();
  std::string meant = v;
  if (field == "level") {
    // ast.h: the parser canonicalises level words, in exact values too.
    Level level = ParseLevel(v);
    if (level != Level::kUnknown || index::AsciiLower(v) == "unknown") meant = LevelName(level);
  }
  return {field + ":=" + Quote(v), Leaf(Pred(Predicate::Kind::kExact, field, meant)), 3};
}

QueryGenerator::Part QueryGenerator::Prefix() {
  static const std::vector<std::string> kPrefixFields = {
      "_msg",     "_msg",    "_msg",     "service", "host",       "user.id",
      "trace_id", "span_id", "category", "code",    "http.status"};
  std::string field = rng_.Pick(kPrefixFields);
  std::string source = field == "_msg" ? rng_.Pick(vocab_.messages) : FieldValue(field);
  std::vector<size_t> starts;
  index::ForEachToken(source, [&](std::string_view t) {
    starts.push_back(static_cast<size_t>(t.data() - source.data()));
  });
  if (starts.empty()) return Word();
  size_t s = rng_.Pick(starts);
  // The run of token bytes, extended across '-' and '.' when it goes on with a token.
  size_t end = s;
  bool separators = rng_.Chance(0.35);
  while (end < source.size()) {
    auto c = static_cast<unsigned char>(source[end]);
    if (index::IsTokenByte(c) || (separators && (c == '-' || c == '.'))) {
      ++end;
    } else {
      break;
    }
  }
  std::vector<size_t> ends;
  for (size_t e = s + 1; e <= end; ++e) {
    bool boundary = e == source.size() || !IsUtf8Continuation(source[e]);
    if (boundary && index::IsTokenByte(static_cast<unsigned char>(source[e - 1]))) {
      ends.push_back(e);
    }
  }
  if (ends.empty()) return Word();
  std::string p = RandomCase(source.substr(s, rng_.Pick(ends) - s));
  if (IsKeyword(p)) return Word();
  return FieldLeaf(field, Pred(Predicate::Kind::kPrefix, field, p), p + "*");
}

QueryGenerator::Part QueryGenerator::Regex() {
  static const std::vector<std::pair<std::string, std::string>> kRegexes = {
      {"_msg", "blk_-?[0-9]+"},
      {"_msg", "(?i)error:"},
      {"_msg", "^GET"},
      {"_msg", "café"},
      {"_msg", "ti?meout"},
      {"_msg", "[0-9]{3,}"},
      {"_msg", "a.b"},
      {"_msg", "x-y-z$"},
      {"_msg", "Connection|reconnect"},
      {"_msg", "^$"},
      {"_msg", "日本"},
      {"_msg", "(?i)^warn"},
      {"_msg", "[A-Z]{5}"},
      {"_msg", "/api/v[12]/"},
      {"_msg", "(?i)payment.*declined"},
      {"host", "^web-"},
      {"host", "^10[.]"},
      {"service", "api$"},
      {"service", "(?i)^front"},
      {"user.id", "^u1"},
      {"http.status", "^5"},
      {"level", "ERR|FAT"},
      {"trace_id", "^req-"},
      {"trace_id", "^[0-9a-f]{32}$"},
      {"http.route", "/v1/"},
      {"code", "^E"},
      {"code", "^[0-9]+$"},
      {"cached", "true"},
      {"duration", "[.]"},
      {"category", "(?i)billing"},
      {"span_id", "^[0-9a-f]+$"},
      {"parent_span_id", "gone"}};
  const auto& [field, re] = rng_.Pick(kRegexes);
  std::string text = "~" + Quote(re);
  if (field != "_msg" || rng_.Chance(0.3)) text = field + ":" + text;
  return {text, Leaf(Pred(Predicate::Kind::kRegex, field, re)), 3};
}

std::string QueryGenerator::Number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  return ValueToString(AttrValue{d});
}

double QueryGenerator::Bound(const std::string& field) {
  auto it = vocab_.numbers.find(field);
  double d = (it == vocab_.numbers.end() || it->second.empty() || rng_.Chance(0.2))
                 ? static_cast<double>(rng_.Uniform(-10, 600))
                 : rng_.Pick(it->second);
  if (rng_.Chance(0.2)) d += rng_.Chance(0.5) ? 1 : 0.25;
  return std::strtod(Number(d).c_str(), nullptr);  // exactly the value the text says
}

QueryGenerator::Part QueryGenerator::Range() {
  static const std::vector<std::string> kRangeFields = {
      "http.status", "latency_ms", "duration", "code",   "delta",   "level",    "http.status",
      "latency_ms",  "duration",   "user.id",  "cached", "service", "category", "no.such.field"};
  std::string field = rng_.Pick(kRangeFields);
  Predicate p = Pred(Predicate::Kind::kRange, field, "");
  std::string text;
  int form = static_cast<int>(rng_.Uniform(0, 5));
  if (form < 4) {
    static const char* kOps[] = {">", ">=", "<", "<="};
    double b = Bound(field);
    text = field + ":" + kOps[form] + Number(b);
    if (form < 2) {
      p.lo = b;
      p.lo_inclusive = form == 1;
    } else {
      p.hi = b;
      p.hi_inclusive = form == 3;
    }
  } else {
    double a = Bound(field), b = Bound(field);
    if (a > b && rng_.Chance(0.8)) std::swap(a, b);
    bool inclusive = rng_.Chance(0.5);
    text = field + ":" + (inclusive ? "[" : "{") + Number(a) + " TO " + Number(b) +
           (inclusive ? "]" : "}");
    p.lo = a;
    p.hi = b;
    p.lo_inclusive = p.hi_inclusive = inclusive;
  }
  return {text, Leaf(p), 3};
}

QueryGenerator::Part QueryGenerator::LevelCompare() {
  static const std::vector<std::string> kNames = {"TRACE", "DEBUG", "INFO", "WARN",
                                                  "ERROR", "FATAL", "warn", "Error"};
  std::string name = rng_.Pick(kNames);
  double n = static_cast<int>(ParseLevel(name));
  Predicate p = Pred(Predicate::Kind::kRange, "level", "");
  int form = static_cast<int>(rng_.Uniform(0, 3));
  static const char* kOps[] = {">", ">=", "<", "<="};
  if (form < 2) {
    p.lo = n;
    p.lo_inclusive = form == 1;
  } else {
    p.hi = n;
    p.hi_inclusive = form == 3;
  }
  return {"level:" + std::string(kOps[form]) + name, Leaf(p), 3};
}

QueryGenerator::Part QueryGenerator::Exists() {
  static const std::vector<std::string> kFields = {
      "service",  "host",        "trace_id", "span_id",       "parent_span_id",
      "user.id",  "http.status", "duration", "code",          "cached",
      "category", "_msg",        "level",    "no.such.field", "delta"};
  std::string field = rng_.Pick(kFields);
  return {field + ":*", Leaf(Pred(Predicate::Kind::kExists, field, "")), 3};
}

int64_t QueryGenerator::TimePoint() {
  int r = static_cast<int>(rng_.Uniform(0, 9));
  if (r < 3) return rng_.Pick(vocab_.times);              // exactly an event: bounds
  if (r < 5) return kStart + rng_.Uniform(0, 6) * kHour;  // a partition boundary
  if (r < 6) return rng_.Pick(vocab_.times) + 1;
  return kStart + rng_.Uniform(-10 * kMinute, kDataSpan + 10 * kMinute);
}

std::string QueryGenerator::TimeText(int64_t ns) {
  static const std::vector<int> kOffsets = {0, 0, 0, 0, 120, -330, 60};
  return Rfc3339(ns, rng_.Pick(kOffsets));
}

QueryGenerator::Part QueryGenerator::Time() {
  Predicate p = Pred(Predicate::Kind::kTimeRange, "_time", "");
  int form = static_cast<int>(rng_.Uniform(0, 9));
  std::string text;
  if (form < 4) {
    int64_t a = TimePoint(), b = TimePoint();
    if (a > b) std::swap(a, b);
    if (a == b) b += kMinute;
    text = "_time:[" + TimeText(a) + ", " + TimeText(b) + ")";
    p.from_ns = a;
    p.to_ns = b;
  } else if (form < 7) {
    int64_t a = TimePoint();
    text = "_time:>=" + TimeText(a);
    p.from_ns = a;
  } else {
    static const std::vector<std::pair<std::string, int64_t>> kDurations = {
        {"5m", 5 * kMinute}, {"30m", 30 * kMinute},   {"90m", 90 * kMinute}, {"1h", kHour},
        {"2h", 2 * kHour},   {"1h30m", 90 * kMinute}, {"3h", 3 * kHour},     {"45m", 45 * kMinute},
        {"3600s", kHour},    {"1d", 24 * kHour}};
    const auto& [d, ns] = rng_.Pick(kDurations);
    text = "_time:" + d;
    p.from_ns = kNow - ns;
  }
  return {text, Leaf(p), 3};
}

QueryGenerator::Part QueryGenerator::GenLeaf() {
  int r = static_cast<int>(rng_.Uniform(0, 99));
  if (r < 14) return Word();
  if (r < 26) return Phrase();
  if (r < 40) return FieldPhrase();
  if (r < 48) return Exact();
  if (r < 58) return Prefix();
  if (r < 65) return Regex();
  if (r < 75) return Range();
  if (r < 79) return LevelCompare();
  if (r < 86) return Exists();
  return Time();
}

QueryGenerator::Part QueryGenerator::Wrap(Part p) {
  p.text = "(" + p.text + ")";
  p.prec = 3;
  return p;
}

QueryGenerator::Part QueryGenerator::GenFilter(int depth) {
  if (depth == 0 || rng_.Chance(0.4)) return GenLeaf();
  int r = static_cast<int>(rng_.Uniform(0, 9));
  Part out;
  if (r < 7) {
    bool is_and = r < 4;
    out.filter.op = is_and ? Filter::Op::kAnd : Filter::Op::kOr;
    out.prec = is_and ? 2 : 1;
    int n = static_cast<int>(rng_.Uniform(2, 3));
    for (int i = 0; i < n; ++i) {
      Part c = GenFilter(depth - 1);
      if (c.prec < out.prec || rng_.Chance(0.1)) c = Wrap(std::move(c));
      if (i) out.text += is_and ? (rng_.Chance(0.7) ? " " : " AND ") : " OR ";
      out.text += c.text;
      out.filter.children.push_back(std::move(c.filter));
    }
  } else {
    Part c = GenFilter(depth - 1);
    if (c.prec < 3) c = Wrap(std::move(c));
    bool dash = rng_.Chance(0.5) && c.text[0] != '-' && !(c.text[0] >= '0' && c.text[0] <= '9');
    out.text = (dash ? "-" : "NOT ") + c.text;
    out.filter.op = Filter::Op::kNot;
    out.filter.children.push_back(std::move(c.filter));
    out.prec = 3;
  }
  return out;
}

}  // namespace trove::query::testing
