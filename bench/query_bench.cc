// trove-bench-query: the query benchmark driver (DESIGN.md §6 query rows).
//
//   trove-bench-query [--events N] [--data DIR] [--runs N] [--seed N] [--threads N]
//                     [--only NAME]
//
// Builds a store of N generated microservice events (bench/event_gen.h; default 10M) in
// --data (a fresh temporary directory unless given; an existing store there is reused as is,
// so repeated runs skip the ingest), with 20 "needle" events carrying a unique token each, then
// flushes and compacts. Then, warm (one unmeasured run first), each workload runs --runs times:
//   rare term     a needle token, `| limit 100` (cycling through the needles)
//   trace lookup  QueryEngine::GetTrace of a random trace ID seen during generation
//   frequent      `error | limit 100`, phrase, field + term, boolean, count() by (service),
//   stats by (_time:1m) count(), quantile(0.99, latency_ms) by (http.route),
//   count_uniq(user.id)
// and prints a Markdown table of p50 / p99 / min wall time and rows returned per workload.
#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "bench/event_gen.h"
#include "query/engine.h"
#include "query/parser.h"
#include "storage/store.h"

namespace fs = std::filesystem;
using trove::Event;
using trove::Status;

namespace {

struct Flags {
  uint64_t events = 10'000'000;
  std::string data;
  uint64_t runs = 30;
  uint64_t seed = 1;
  unsigned threads = 0;
  std::string only;  // run only workloads whose name contains this
};

[[noreturn]] void Die(const std::string& what, const Status& s) {
  fprintf(stderr, "trove-bench-query: %s: %s\n", what.c_str(), s.ToString().c_str());
  exit(1);
}

[[noreturn]] void Usage() {
  fprintf(stderr,
          "usage: trove-bench-query [--events N] [--data DIR] [--runs N] [--seed N] "
          "[--threads N] [--only NAME]\n");
  exit(2);
}

uint64_t ParseCount(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  errno = 0;
  uint64_t n = strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') {
    fprintf(stderr, "trove-bench-query: %s wants a number, got '%s'\n", flag.c_str(), v.c_str());
    exit(2);
  }
  return n;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (arg == "--events") f.events = ParseCount(arg, next());
    else if (arg == "--data") f.data = next();
    else if (arg == "--runs") f.runs = std::max<uint64_t>(1, ParseCount(arg, next()));
    else if (arg == "--seed") f.seed = ParseCount(arg, next());
    else if (arg == "--threads") f.threads = static_cast<unsigned>(ParseCount(arg, next()));
    else if (arg == "--only") f.only = next();
    else Usage();
  }
  return f;
}

constexpr int kNeedles = 20;
std::string NeedleToken(int k) { return "zqxneedle" + std::to_string(k) + "x"; }

// Generates and ingests the events; returns sample trace IDs.
std::vector<std::string> Ingest(trove::Store* store, const Flags& flags) {
  trove::bench::EventGenOptions gen_options;
  gen_options.seed = flags.seed;
  trove::bench::EventGenerator gen(gen_options);
  std::vector<std::string> traces;
  const uint64_t needle_every = std::max<uint64_t>(1, flags.events / kNeedles);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t done = 0;
  while (done < flags.events) {
    std::vector<Event> batch;
    size_t n = static_cast<size_t>(std::min<uint64_t>(1000, flags.events - done));
    gen.Fill(n, &batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      uint64_t index = done + i;
      if (index % needle_every == needle_every / 2 && index / needle_every < kNeedles) {
        batch[i].message += " marker " + NeedleToken(static_cast<int>(index / needle_every));
      }
      if (index % 49999 == 0 && !batch[i].trace_id.empty()) traces.push_back(batch[i].trace_id);
    }
    done += n;
    auto r = store->Append(std::move(batch));
    if (!r.ok()) Die("append", r.status());
    if (done % 1'000'000 == 0) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fprintf(stderr, "  ingested %" PRIu64 " events (%.0f s)\n", done, s);
    }
  }
  if (Status s = store->Compact(); !s.ok()) Die("compact", s);
  return traces;
}

struct Row {
  std::string name, query;
  std::vector<double> ms;
  uint64_t rows = 0;
  std::string explain;
};

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  bool temporary = flags.data.empty();
  if (temporary) {
    flags.data = (fs::temp_directory_path() / ("trove-bench-query-" + std::to_string(getpid())))
                     .string();
  }
  const bool reuse = fs::exists(fs::path(flags.data) / "db");
  trove::StoreOptions options;
  auto opened = trove::Store::Open(options, flags.data);
  if (!opened.ok()) Die("open " + flags.data, opened.status());
  std::unique_ptr<trove::Store> store = std::move(opened).value();
  std::vector<std::string> traces;
  if (!reuse) {
    fprintf(stderr, "trove-bench-query: ingesting %" PRIu64 " events into %s\n", flags.events,
            flags.data.c_str());
    traces = Ingest(store.get(), flags);
  }
  auto snapshot = store->GetSnapshot();
  trove::query::QueryEngineOptions engine_options;
  engine_options.threads = flags.threads;
  trove::query::QueryEngine engine(engine_options);
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (traces.empty()) {
    // Reused store: sample trace IDs from the segments' correlation indexes, evenly, about
    // 4096 of them, so that each run looks up a trace no earlier run read (a cold lookup).
    uint64_t keys = 0;
    for (const auto& seg : snapshot->segments()) keys += seg->meta().traces.num_keys;
    const uint64_t every = std::max<uint64_t>(1, keys / 4096);
    uint64_t k = 0;
    for (const auto& seg : snapshot->segments()) {
      Status s = seg->ForEachTraceId([&](const std::string& id) {
        if (k++ % every == 0) traces.push_back(id);
      });
      if (!s.ok()) Die("trace ids", s);
    }
  }
  if (traces.empty()) Die("setup", Status::NotFound("no trace IDs in the store"));
  uint64_t total_events = 0;
  for (const auto& seg : snapshot->segments()) total_events += seg->rows();
  total_events += snapshot->recent_events();

  std::vector<Row> rows;
  auto measure = [&](const std::string& name, const std::string& shown,
                     const std::function<uint64_t(uint64_t run, std::string* explain)>& fn) {
    if (!flags.only.empty() && name.find(flags.only) == std::string::npos) return;
    Row row{name, shown, {}, 0, {}};
    fn(0, &row.explain);  // warm-up
    for (uint64_t r = 0; r < flags.runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      row.rows = fn(r, &row.explain);
      row.ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
              .count());
    }
    fprintf(stderr, "  %-28s p50 %.2f ms\n", name.c_str(), Percentile(row.ms, 0.5));
    rows.push_back(std::move(row));
  };
  auto run_query = [&](const std::string& text, std::string* explain) -> uint64_t {
    auto q = trove::query::ParseQuery(text, now);
    if (!q.ok()) Die("parse " + text, q.status());
    auto r = engine.Run(*snapshot, *q);
    if (!r.ok()) Die("query " + text, r.status());
    *explain = "candidates " + std::to_string(r->explain.candidate_rows) + ", segments " +
               std::to_string(r->explain.segments_searched) + "/" +
               std::to_string(r->explain.segments_total);
    return r->is_table ? r->table.rows.size() : r->events.size();
  };
  auto fixed = [&](const std::string& name, const std::string& text) {
    measure(name, text, [&](uint64_t, std::string* explain) { return run_query(text, explain); });
  };

  measure("rare term (needle)", "zqxneedleKx | limit 100",
          [&](uint64_t run, std::string* explain) {
            return run_query(NeedleToken(static_cast<int>(run % kNeedles)) + " | limit 100",
                             explain);
          });
  measure("trace lookup by ID", "GetTrace(id)", [&](uint64_t run, std::string* explain) {
    const std::string& id = traces[(run * 7919 + 1) % traces.size()];
    auto t = engine.GetTrace(*snapshot, id);
    if (!t.ok()) Die("trace " + id, t.status());
    *explain = "segments " + std::to_string(t->explain.segments_searched);
    return static_cast<uint64_t>(t->events.size());
  });
  fixed("frequent term", "order | limit 100");
  fixed("phrase", "\"payment declined\" | limit 100");
  fixed("field + term", "service:payment declined | limit 100");
  fixed("boolean", "(level:error OR level:warn) -service:gateway | limit 100");
  fixed("count() by (service)", "* | stats by (service) count()");
  fixed("stats by (_time:1m) count()", "* | stats by (_time:1m) count()");
  fixed("p99 latency by route", "* | stats by (http.route) quantile(0.99, latency_ms)");
  fixed("count_uniq(user.id)", "* | stats count_uniq(user.id)");
  fixed("errors by service", "level:error | stats by (service) count() errors");

  printf("\n## Query benchmark: %" PRIu64 " events, %zu segments, %u threads, %" PRIu64
         " runs each (warm)\n\n",
         total_events, snapshot->segments().size(),
         flags.threads ? flags.threads : std::thread::hardware_concurrency(), flags.runs);
  printf("| workload | query | p50 ms | p99 ms | min ms | rows | plan |\n");
  printf("|---|---|---:|---:|---:|---:|---|\n");
  for (const Row& r : rows) {
    std::string shown;  // a '|' would end the Markdown cell
    for (char c : r.query) shown += c == '|' ? std::string("\\|") : std::string(1, c);
    printf("| %s | `%s` | %.2f | %.2f | %.2f | %" PRIu64 " | %s |\n", r.name.c_str(),
           shown.c_str(), Percentile(r.ms, 0.5), Percentile(r.ms, 0.99),
           *std::min_element(r.ms.begin(), r.ms.end()), r.rows, r.explain.c_str());
  }
  snapshot.reset();
  store.reset();
  if (temporary) fs::remove_all(flags.data);
  return 0;
}
