// Random pipes (limit, sort, fields, stats, top) as text and as the Pipes they are meant to
// parse to (query_gen.h).
#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/query_gen.h"

namespace trove::query::testing {

std::string QueryGenerator::SortKeysText(std::vector<SortKey>* keys,
                                         const std::vector<std::string>& pool, int max_keys) {
  std::string text = "sort by (";
  int n = static_cast<int>(rng_.Uniform(1, max_keys));
  std::set<std::string> used;
  for (int i = 0; i < n; ++i) {
    std::string f = rng_.Pick(pool);
    if (!used.insert(f).second) continue;
    SortKey k{f, false};
    int dir = static_cast<int>(rng_.Uniform(0, 2));
    k.desc = dir == 2;
    if (!keys->empty()) text += ", ";
    text += f + (dir == 1 ? " asc" : dir == 2 ? " desc" : "");
    keys->push_back(k);
  }
  return text + ")";
}

void QueryGenerator::AddPipe(GenQuery* q, Pipe p, const std::string& text) {
  q->text += " | " + text;
  q->intended.pipes.push_back(std::move(p));
}

Pipe QueryGenerator::LimitPipe(uint64_t n, std::string* text) {
  Pipe p;
  p.kind = Pipe::Kind::kLimit;
  p.limit = n;
  *text = (rng_.Chance(0.8) ? "limit " : "head ") + std::to_string(n);
  return p;
}

void QueryGenerator::SearchPipes(GenQuery* q) {
  static const std::vector<std::string> kSortFields = {
      "_time",    "level", "service", "host",   "_msg",     "http.status", "latency_ms",
      "duration", "code",  "user.id", "cached", "trace_id", "category"};
  static const std::vector<std::string> kFieldsPool = {
      "_msg",    "service",     "level",    "host", "trace_id", "span_id",
      "user.id", "http.status", "duration", "code", "cached",   "_time"};
  int n = static_cast<int>(rng_.Uniform(0, 3));
  for (int i = 0; i < n; ++i) {
    std::string text;
    if (rng_.Chance(0.5)) {
      AddPipe(q, LimitPipe(static_cast<uint64_t>(rng_.Uniform(1, 60)), &text), text);
    } else {
      Pipe p;
      p.kind = Pipe::Kind::kSortBy;
      text = SortKeysText(&p.sort, kSortFields, 3);
      AddPipe(q, std::move(p), text);
    }
  }
  if (rng_.Chance(0.3)) {
    Pipe p;
    p.kind = Pipe::Kind::kFields;
    int k = static_cast<int>(rng_.Uniform(1, 4));
    std::string text = "fields ";
    for (int i = 0; i < k; ++i) {
      std::string f = rng_.Pick(kFieldsPool);
      if (std::find(p.fields.begin(), p.fields.end(), f) != p.fields.end()) continue;
      if (!p.fields.empty()) text += ", ";
      text += f;
      p.fields.push_back(f);
    }
    std::vector<std::string> kept = p.fields;
    kept.push_back("_time");
    AddPipe(q, std::move(p), text);
    if (rng_.Chance(0.4)) {  // sort after fields only by kept fields
      Pipe s;
      s.kind = Pipe::Kind::kSortBy;
      std::string st = SortKeysText(&s.sort, kept, 2);
      AddPipe(q, std::move(s), st);
    }
    if (rng_.Chance(0.3)) {
      std::string lt;
      AddPipe(q, LimitPipe(static_cast<uint64_t>(rng_.Uniform(1, 30)), &lt), lt);
    }
  }
  if (rng_.Chance(0.35)) q->small_max_rows = static_cast<uint64_t>(rng_.Uniform(1, 25));
}

void QueryGenerator::StatsPipes(GenQuery* q) {
  if (rng_.Chance(0.12)) {  // stats over what earlier pipes leave
    Pipe s;
    s.kind = Pipe::Kind::kSortBy;
    std::string text = SortKeysText(&s.sort, {"_time", "latency_ms", "service"}, 1);
    if (rng_.Chance(0.5)) AddPipe(q, std::move(s), text);
    AddPipe(q, LimitPipe(static_cast<uint64_t>(rng_.Uniform(1, 200)), &text), text);
  }
  static const std::vector<std::string> kKeys = {
      "service",    "host",     "level",     "user.id",  "http.status", "code",    "cached",
      "http.route", "category", "_time:10m", "_time:1h", "_time:30m",   "_time:2h"};
  static const std::vector<std::string> kNumeric = {"latency_ms", "duration", "http.status",
                                                    "code",       "delta",    "level",
                                                    "_time",      "user.id",  "cached"};
  static const std::vector<std::string> kUniq = {"user.id",     "service", "host",     "code",
                                                 "http.route",  "level",   "trace_id", "category",
                                                 "http.status", "cached",  "duration"};
  static const std::vector<std::string> kAliases = {
      "n",  "total", "errors", "users", "lat_sum", "lat_avg", "lo",
      "hi", "p50",   "p90",    "p99",   "uniq",    "cnt"};
  Pipe p;
  p.kind = Pipe::Kind::kStats;
  std::string text = "stats";
  std::set<std::string> names;
  std::vector<std::string> sortable;
  int keys = static_cast<int>(rng_.Uniform(0, 3));
  bool has_time_key = false;
  for (int i = 0; i < keys; ++i) {
    std::string k = rng_.Pick(kKeys);
    GroupKey g{k, 0, k};
    if (k.rfind("_time:", 0) == 0) {
      if (has_time_key) continue;
      has_time_key = true;
      std::string d = k.substr(6);
      g.field = g.name = "_time";
      g.bucket_ns = d == "10m"   ? 10 * kMinute
                    : d == "30m" ? 30 * kMinute
                    : d == "1h"  ? kHour
                                 : 2 * kHour;
    }
    if (!names.insert(g.name).second) continue;
    text += p.by.empty() ? " by (" : ", ";
    text += k;
    sortable.push_back(g.name);
    p.by.push_back(g);
  }
  if (!p.by.empty()) text += ")";
  int aggs = static_cast<int>(rng_.Uniform(1, 4));
  for (int i = 0; i < aggs; ++i) {
    Aggregate a;
    std::string call;
    int fn = static_cast<int>(rng_.Uniform(0, 7));
    a.fn = static_cast<Aggregate::Fn>(fn);
    static const std::vector<std::string> kQ = {"0.5",  "0.9", "0.99", "0.25",
                                                "0.75", "0.1", "0",    "1"};
    switch (a.fn) {
      case Aggregate::Fn::kCount:
        call = "count()";
        break;
      case Aggregate::Fn::kCountUniq:
        a.field = rng_.Pick(kUniq);
        call = "count_uniq(" + a.field + ")";
        break;
      case Aggregate::Fn::kQuantile: {
        a.field = rng_.Pick(kNumeric);
        std::string qt = rng_.Pick(kQ);
        a.q = std::strtod(qt.c_str(), nullptr);
        call = "quantile(" + qt + ", " + a.field + ")";
        break;
      }
      default: {
        static const char* kFns[] = {"", "", "sum", "avg", "min", "max", "median"};
        a.field = rng_.Pick(kNumeric);
        call = std::string(kFns[fn]) + "(" + a.field + ")";
        break;
      }
    }
    bool alias = rng_.Chance(0.6) || names.count(call);
    a.name = alias ? rng_.Pick(kAliases) : call;
    if (!names.insert(a.name).second) continue;
    text += (p.aggregates.empty() ? " " : ", ") + call;
    if (alias) text += (rng_.Chance(0.5) ? " as " : " ") + a.name;
    // Only exact columns are sorted on: a float sum's last bits may order ties differently.
    bool exact = a.fn == Aggregate::Fn::kCount || a.fn == Aggregate::Fn::kCountUniq ||
                 a.fn == Aggregate::Fn::kMin || a.fn == Aggregate::Fn::kMax;
    if (alias && exact) sortable.push_back(a.name);
    p.aggregates.push_back(std::move(a));
  }
  std::vector<std::string> columns;
  for (const GroupKey& g : p.by) columns.push_back(g.name);
  for (const Aggregate& a : p.aggregates) columns.push_back(a.name);
  AddPipe(q, std::move(p), text);
  TablePipes(q, sortable, columns);
}

void QueryGenerator::TablePipes(GenQuery* q, const std::vector<std::string>& sortable,
                                std::vector<std::string> columns) {
  if (!sortable.empty() && rng_.Chance(0.4)) {
    Pipe s;
    s.kind = Pipe::Kind::kSortBy;
    std::string text = SortKeysText(&s.sort, sortable, 2);
    AddPipe(q, std::move(s), text);
  }
  if (rng_.Chance(0.3)) {
    std::string text;
    AddPipe(q, LimitPipe(static_cast<uint64_t>(rng_.Uniform(1, 10)), &text), text);
  }
  if (rng_.Chance(0.15)) {
    Pipe f;
    f.kind = Pipe::Kind::kFields;
    std::shuffle(columns.begin(), columns.end(), std::mt19937_64(rng_.Bits()));
    columns.resize(static_cast<size_t>(rng_.Uniform(1, static_cast<int64_t>(columns.size()))));
    std::string text = "fields ";
    for (size_t i = 0; i < columns.size(); ++i) text += (i ? ", " : "") + columns[i];
    f.fields = columns;
    AddPipe(q, std::move(f), text);
  }
}

void QueryGenerator::TopPipes(GenQuery* q) {
  static const std::vector<std::string> kTopFields = {
      "service", "host", "level", "user.id", "http.route", "http.status", "code"};
  Pipe p;
  p.kind = Pipe::Kind::kTop;
  p.limit = static_cast<uint64_t>(rng_.Uniform(1, 10));
  std::string text = "top " + std::to_string(p.limit) + " by (";
  int n = static_cast<int>(rng_.Uniform(1, 2));
  for (int i = 0; i < n; ++i) {
    std::string f = rng_.Pick(kTopFields);
    if (!p.by.empty() && p.by[0].field == f) continue;
    text += (p.by.empty() ? "" : ", ") + f;
    p.by.push_back({f, 0, f});
  }
  text += ")";
  std::vector<std::string> columns;
  for (const GroupKey& g : p.by) columns.push_back(g.name);
  columns.push_back("count");
  AddPipe(q, std::move(p), text);
  TablePipes(q, columns, columns);
}

}  // namespace trove::query::testing
