// The random event set and the vocabulary queries draw from (query_gen.h).
#include "tests/query_gen.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "index/tokenizer.h"
#include "tests/query_model.h"

namespace trove::query::testing {

// ---------------------------------------------------------------------------------------------
// Events.

const std::vector<std::string> kFragments = {"error",
                                             "ERROR:",
                                             "Error",
                                             "errors",
                                             "warn",
                                             "WARNING",
                                             "failed",
                                             "timeout",
                                             "Timeout",
                                             "connection",
                                             "Connection",
                                             "reconnect",
                                             "reconnecting",
                                             "disk",
                                             "full",
                                             "payment",
                                             "declined",
                                             "Payment declined",
                                             "user",
                                             "users",
                                             "blk_-8775602795571523802",
                                             "blk_-87756027955715238021",
                                             "blk_8775602795571523802",
                                             "blk_42",
                                             "blk_-42",
                                             "GET",
                                             "POST",
                                             "/api/v1/cart",
                                             "/api/v1/checkout",
                                             "x-y-z",
                                             "a.b.c",
                                             "10.0.0.1:8080",
                                             "user_id=42",
                                             "k8s:pod/web-1",
                                             "café",
                                             "Café",
                                             "naïve",
                                             "日本語",
                                             "日本語のログ",
                                             "Ünïcode",
                                             "retry_count",
                                             "42",
                                             "-42",
                                             "4.5",
                                             "0x1f",
                                             "[warn]",
                                             "done.",
                                             "status=500",
                                             "latency:12ms",
                                             "trace/span",
                                             "and",
                                             "OR",
                                             "not",
                                             "cart",
                                             "checkout",
                                             "WEB-1",
                                             "ok",
                                             "\xff\xfe",
                                             "\"quoted\"",
                                             "back\\slash",
                                             "pipe|char",
                                             "star*",
                                             "(paren)",
                                             "q&a"};
const std::vector<std::string> kSeparators = {" ", " ", " ", " ",  "  ", "-", "_",
                                              ".", ":", "/", ", ", "\t", "="};

namespace {

const std::vector<std::string> kServices = {"checkout",  "cart-api", "auth",   "payment_gw",
                                            "search.v2", "Frontend", "billing"};
const std::vector<std::string> kHosts = {"10.0.0.1", "10.0.0.2", "web-1.example.com",
                                         "db-01",    "WEB-2",    "host_7"};
const std::vector<std::string> kRoutes = {"/api/v1/cart", "/api/v1/checkout", "/health",
                                          "/api/v2/users/{id}"};
const std::vector<std::string> kCategories = {"Billing/Card", "billing-card", "BILLING", "search",
                                              "Search.Query", "日本語",       ""};

std::string Hex(uint64_t bits, int digits) {
  char buf[20];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(bits));
  return std::string(buf + 16 - digits);
}

}  // namespace

std::vector<TraceSpec> MakeTraces(Rng& rng) {
  std::vector<TraceSpec> traces;
  std::set<std::string> ids;
  while (traces.size() < 40) {
    TraceSpec t;
    int form = static_cast<int>(rng.Uniform(0, 9));
    if (form < 6) {
      t.id = Hex(rng.Bits(), 16) + Hex(rng.Bits(), 16);  // 16 bytes as hex: stored binary
    } else if (form < 8) {
      t.id = "req-" + std::to_string(rng.Uniform(1, 99999));
    } else {
      t.id = "Corr_" + std::to_string(rng.Uniform(1, 999)) + ".ab/CD";
    }
    if (!ids.insert(t.id).second) continue;
    int spans = static_cast<int>(rng.Uniform(0, 6));
    for (int j = 0; j < spans; ++j) {
      t.spans.push_back(Hex(rng.Bits(), 16));
      int r = static_cast<int>(rng.Uniform(0, 9));
      if (j > 0 && r < 6) {
        t.parents.push_back(t.spans[static_cast<size_t>(rng.Uniform(0, j - 1))]);
      } else if (r < 8) {
        t.parents.push_back("");
      } else {
        t.parents.push_back("gone-" + Hex(rng.Bits(), 8));  // a parent that never logs
      }
    }
    traces.push_back(std::move(t));
  }
  return traces;
}

Event MakeEvent(Rng& rng, const std::vector<TraceSpec>& traces) {
  Event e;
  if (rng.Chance(0.55)) {
    const TraceSpec& t = rng.Pick(traces);
    e.trace_id = t.id;
    if (!t.spans.empty() && rng.Chance(0.8)) {
      auto j = static_cast<size_t>(rng.Uniform(0, static_cast<int64_t>(t.spans.size()) - 1));
      e.span_id = t.spans[j];
      e.parent_span_id = t.parents[j];
    } else if (rng.Chance(0.1)) {
      e.parent_span_id = "orphan-parent";
    }
  }
  // Trace events always name their service, so per-service summaries are well defined.
  if (!e.trace_id.empty() || rng.Chance(0.9)) e.service = rng.Pick(kServices);
  if (rng.Chance(0.85)) e.host = rng.Pick(kHosts);
  e.level = static_cast<Level>(rng.Uniform(0, kNumLevels - 1));
  int fragments = rng.Chance(0.03) ? 0 : static_cast<int>(rng.Uniform(1, 8));
  for (int i = 0; i < fragments; ++i) {
    if (i) e.message += rng.Pick(kSeparators);
    e.message += rng.Pick(kFragments);
  }
  auto num = [&](int64_t lo, int64_t hi) { return rng.Uniform(lo, hi); };
  if (rng.Chance(0.5)) {
    e.attributes.push_back(
        {"user.id", (rng.Chance(0.5) ? "u" : "U-") + std::to_string(num(0, 30))});
  }
  if (rng.Chance(0.4)) e.attributes.push_back({"http.route", rng.Pick(kRoutes)});
  if (rng.Chance(0.5)) {
    static const std::vector<int64_t> kStatus = {200, 201, 204, 301, 404, 429, 500, 503};
    e.attributes.push_back({"http.status", rng.Pick(kStatus)});
  }
  if (rng.Chance(0.4)) e.attributes.push_back({"latency_ms", num(0, 3000)});
  if (rng.Chance(0.3)) {
    e.attributes.push_back({"duration", static_cast<double>(num(-200, 20000)) / 1000.0});
  }
  if (rng.Chance(0.2)) e.attributes.push_back({"cached", rng.Chance(0.5)});
  if (rng.Chance(0.3)) {  // one key, every type
    int64_t n = num(0, 50);
    switch (rng.Uniform(0, 4)) {
      case 0:
        e.attributes.push_back({"code", "E" + std::to_string(n)});
        break;
      case 1:
        e.attributes.push_back({"code", std::to_string(n)});
        break;
      case 2:
        e.attributes.push_back({"code", n});
        break;
      case 3:
        e.attributes.push_back({"code", static_cast<double>(n) + 0.5});
        break;
      default:
        e.attributes.push_back({"code", rng.Chance(0.5)});
        break;
    }
  }
  if (rng.Chance(0.2)) e.attributes.push_back({"delta", num(-50, 50)});
  if (rng.Chance(0.25)) e.attributes.push_back({"category", rng.Pick(kCategories)});
  return e;
}

// ---------------------------------------------------------------------------------------------
// Query generation: the vocabulary and the whole query.

bool IsKeyword(std::string s) {
  s = index::AsciiLower(s);
  return s == "and" || s == "or" || s == "not" || s == "to" || s == "by" || s == "as";
}

bool IsBare(std::string_view s) {
  if (s.empty() || IsKeyword(std::string(s))) return false;
  for (char c : s) {
    if (!index::IsTokenByte(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

const std::vector<std::string> kTextFields = {
    "service",    "host",           "level", "user.id", "http.route", "http.status",
    "latency_ms", "duration",       "code",  "cached",  "category",   "trace_id",
    "span_id",    "parent_span_id", "delta", "_msg"};

Vocab MakeVocab(const std::vector<Event>& model) {
  Vocab v;
  std::map<std::string, std::set<std::string>> values;
  std::map<std::string, std::set<double>> numbers;
  std::set<std::string> messages, words;
  for (const Event& e : model) {
    for (const std::string& f : kTextFields) {
      if (auto t = TextForm(e, f)) values[f].insert(*t);
      if (auto n = RangeNumber(e, f)) numbers[f].insert(*n);
    }
    if (!e.message.empty()) messages.insert(e.message);
    index::ForEachToken(e.message, [&](std::string_view t) {
      if (IsBare(t) && t[0] != '_') words.insert(std::string(t));
    });
    v.times.push_back(e.time_ns);
  }
  for (auto& [f, s] : values) v.values[f].assign(s.begin(), s.end());
  for (auto& [f, s] : numbers) v.numbers[f].assign(s.begin(), s.end());
  v.messages.assign(messages.begin(), messages.end());
  v.words.assign(words.begin(), words.end());
  for (const char* w : {"zebra", "nonexistent", "errorz", "blk", "8775602795571523802"}) {
    v.words.push_back(w);
  }
  std::sort(v.times.begin(), v.times.end());
  return v;
}

GenQuery QueryGenerator::Next() {
  GenQuery q;
  Part filter = rng_.Chance(0.04) ? Part{"*", Filter{}, 3} : GenFilter(3);
  q.text = filter.text;
  q.intended.filter = filter.filter;
  int mode = static_cast<int>(rng_.Uniform(0, 9));
  if (mode < 6) {
    SearchPipes(&q);
  } else if (mode < 9) {
    StatsPipes(&q);
  } else {
    TopPipes(&q);
  }
  if (rng_.Chance(0.2)) {
    int64_t from = kStart + rng_.Uniform(-30 * kMinute, kDataSpan);
    if (rng_.Chance(0.8)) q.options.from_ns = from;
    if (rng_.Chance(0.7)) q.options.to_ns = from + rng_.Uniform(kMinute, 3 * kHour);
  }
  return q;
}

}  // namespace trove::query::testing
