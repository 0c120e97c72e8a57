// trove-bench-tier: hot tier against cold tier, on the same events (issue 5's figures).
//
//   trove-bench-tier [--events N] [--loghub DIR] [--runs N] [--seed N] [--data DIR]
//                    [--no-generated] [--no-loghub] [--cold-block-rows N] [--cold-level N]
//                    [--cold-ldm 0|1]
//
// For each workload — N generated microservice events (default 1M) and every Loghub file in
// one store — the driver ingests, compacts and measures the hot tier: stored bytes (segment
// files) against raw bytes (the events as JSON lines, the figure DESIGN.md §6 budgets), then
// a needle search (`<unique token> | limit 100`, cycling through 20 needles) and trace
// lookups by ID, each --runs times after one warm-up. Then it archives every segment into a
// cold tier (Store::RunMaintenance with archive_after = 1 ns, the events being older),
// reports the archival time and the cold bytes (objects, and the local index cache apart),
// and runs the same queries on the cold segments, checking they return the same rows.
//
// Latencies are given twice: with the process-wide block cache (warm: repeated needles hit
// decoded blocks) and with it disabled (every query decodes its blocks: the first-touch cost).
// Loghub lines carry no correlation IDs, so for the trace figures every 8 consecutive lines of
// a file share a generated 32-hex-digit trace ID.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <unistd.h>

#include "bench/event_gen.h"
#include "bench/loghub_loader.h"
#include "query/engine.h"
#include "query/parser.h"
#include "storage/block_cache.h"
#include "storage/store.h"
#include "tools/event_json.h"

namespace fs = std::filesystem;
using trove::Event;
using trove::Status;

namespace {

struct Flags {
  uint64_t events = 1'000'000;
  std::string loghub;
  uint64_t runs = 30;
  uint64_t seed = 1;
  std::string data;
  bool generated = true;
  bool loghub_files = true;
  trove::SegmentWriteOptions cold = trove::ColdSegmentWriteOptions();
};

[[noreturn]] void Die(const std::string& what, const Status& s) {
  fprintf(stderr, "trove-bench-tier: %s: %s\n", what.c_str(), s.ToString().c_str());
  exit(1);
}

[[noreturn]] void Usage() {
  fprintf(stderr,
          "usage: trove-bench-tier [--events N] [--loghub DIR] [--runs N] [--seed N] "
          "[--data DIR] [--no-generated] [--no-loghub]\n");
  exit(2);
}

uint64_t ParseCount(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  uint64_t n = strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || v[0] == '-') {
    fprintf(stderr, "trove-bench-tier: %s wants a number, got '%s'\n", flag.c_str(), v.c_str());
    exit(2);
  }
  return n;
}

constexpr int kNeedles = 20;
std::string NeedleToken(int k) { return "zqxneedle" + std::to_string(k) + "x"; }

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// The events of one workload, with needles planted and sample trace IDs noted.
struct Workload {
  std::string name;
  std::vector<Event> events;
  std::vector<std::string> traces;
  uint64_t raw_bytes = 0;  // JSON lines
};

void PlantNeedles(Workload* w) {
  const size_t every = std::max<size_t>(1, w->events.size() / kNeedles);
  for (int k = 0; k < kNeedles && static_cast<size_t>(k) * every < w->events.size(); ++k) {
    w->events[static_cast<size_t>(k) * every + every / 2].message +=
        " marker " + NeedleToken(k);
  }
  for (const Event& e : w->events) w->raw_bytes += trove::ingest::ToJsonLine(e).size() + 1;
}

Workload Generated(const Flags& flags) {
  Workload w;
  w.name = "generated (" + std::to_string(flags.events) + " events)";
  trove::bench::EventGenOptions options;
  options.seed = flags.seed;
  trove::bench::EventGenerator gen(options);
  gen.Fill(flags.events, &w.events);
  for (size_t i = 0; i < w.events.size(); i += 9973) {
    if (!w.events[i].trace_id.empty()) w.traces.push_back(w.events[i].trace_id);
  }
  PlantNeedles(&w);
  return w;
}

Workload Loghub(const Flags& flags) {
  Workload w;
  const std::string dir = trove::bench::FindLoghub(flags.loghub);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) Die("loghub", Status::NotFound("no *.log files in " + dir));
  for (const fs::path& file : files) {
    Status st;
    auto events = trove::bench::LoadTextLog(file.string(), file.stem().string(), &st);
    if (!st.ok()) Die("loghub", st);
    for (size_t i = 0; i < events.size(); ++i) {
      // A stable 32-hex-digit ID per 8 consecutive lines of a file.
      const uint64_t h = std::hash<std::string>()(file.stem().string() + "#" +
                                                  std::to_string(i / 8));
      char id[33];
      snprintf(id, sizeof id, "%016" PRIx64 "%016" PRIx64, h, static_cast<uint64_t>(h * 0x9e3779b97f4a7c15ull));
      events[i].trace_id = id;
      if (i % 997 == 0) w.traces.push_back(id);
    }
    w.events.insert(w.events.end(), std::make_move_iterator(events.begin()),
                    std::make_move_iterator(events.end()));
  }
  w.name = "loghub (" + std::to_string(files.size()) + " files, " +
           std::to_string(w.events.size()) + " events)";
  PlantNeedles(&w);
  return w;
}

struct Latency {
  double p50 = 0, p99 = 0;
};

struct TierFigures {
  uint64_t bytes = 0;        // segment files (cold: the objects)
  uint64_t cache_bytes = 0;  // cold: the local index-tail cache
  uint64_t segments = 0;
  Latency needle, needle_nocache, trace, trace_nocache;
  std::vector<uint64_t> answers;  // rows per query, to compare the tiers
};

// Runs the needle and trace workloads against the store's current snapshot.
void MeasureQueries(trove::Store* store, const Workload& w, const Flags& flags,
                    TierFigures* out) {
  auto snapshot = store->GetSnapshot();
  trove::query::QueryEngine engine{trove::query::QueryEngineOptions{}};
  const int64_t now = NowNs();
  auto needle = [&](uint64_t run) -> uint64_t {
    auto q = trove::query::ParseQuery(NeedleToken(static_cast<int>(run % kNeedles)) +
                                          " | limit 100",
                                      now);
    if (!q.ok()) Die("parse", q.status());
    auto r = engine.Run(*snapshot, *q);
    if (!r.ok()) Die("needle query", r.status());
    return r->events.size();
  };
  auto trace = [&](uint64_t run) -> uint64_t {
    const std::string& id = w.traces[(run * 7919) % w.traces.size()];
    auto t = engine.GetTrace(*snapshot, id);
    if (!t.ok()) Die("trace " + id, t.status());
    return t->events.size();
  };
  auto measure = [&](const std::function<uint64_t(uint64_t)>& fn, bool record) {
    fn(0);  // warm-up
    std::vector<double> ms;
    for (uint64_t r = 0; r < flags.runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      uint64_t rows = fn(r);
      ms.push_back(Seconds(t0) * 1000);
      if (record) out->answers.push_back(rows);
    }
    return Latency{Percentile(ms, 0.5), Percentile(ms, 0.99)};
  };
  out->needle = measure(needle, true);
  out->trace = measure(trace, true);
  trove::SetCacheBudget(0);
  out->needle_nocache = measure(needle, false);
  out->trace_nocache = measure(trace, false);
  trove::SetCacheBudget(size_t{256} << 20);
}

struct Result {
  std::string name;
  uint64_t events = 0, raw_bytes = 0;
  TierFigures hot, cold;
  double archive_s = 0;
};

std::string Ratio(uint64_t stored, uint64_t raw) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.4f (1/%.1f)", static_cast<double>(stored) / static_cast<double>(raw),
           static_cast<double>(raw) / static_cast<double>(stored));
  return buf;
}

Result Run(Workload w, const Flags& flags, const std::string& dir) {
  Result res;
  res.name = w.name;
  res.events = w.events.size();
  res.raw_bytes = w.raw_bytes;
  fs::remove_all(dir);
  trove::StoreOptions options;
  options.background = false;
  options.cold_tier = trove::NewDirectoryColdTier(trove::FileSystem::Default(), dir + "/cold");
  fprintf(stderr, "trove-bench-tier: %s: ingest + compact\n", w.name.c_str());
  {
    auto store = trove::Store::Open(options, dir);
    if (!store.ok()) Die("open " + dir, store.status());
    for (size_t i = 0; i < w.events.size(); i += 10000) {
      std::vector<Event> batch(w.events.begin() + static_cast<ptrdiff_t>(i),
                               w.events.begin() + static_cast<ptrdiff_t>(
                                                      std::min(i + 10000, w.events.size())));
      auto r = (*store)->Append(std::move(batch));
      if (!r.ok()) Die("append", r.status());
      if (!r->rejected.empty()) Die("append", r->rejected.front().reason);
      // No background thread here: flush by hand before the buffer's backpressure limit.
      if (i % 100000 == 90000) {
        if (Status s = (*store)->Flush(); !s.ok()) Die("flush", s);
      }
    }
    w.events = std::vector<Event>();
    if (Status s = (*store)->Compact(); !s.ok()) Die("compact", s);
    auto st = (*store)->GetStats();
    res.hot.bytes = st.hot.bytes;
    res.hot.segments = st.hot.segments;
    fprintf(stderr, "  hot: %" PRIu64 " segments, %s of raw; queries\n", st.hot.segments,
            Ratio(st.hot.bytes, res.raw_bytes).c_str());
    MeasureQueries(store->get(), w, flags, &res.hot);
  }
  // Reopen with archival on: every segment is older than 1 ns.
  options.archive_after_ns = 1;
  options.cold_segment = flags.cold;
  auto store = trove::Store::Open(options, dir);
  if (!store.ok()) Die("reopen " + dir, store.status());
  fprintf(stderr, "  archiving\n");
  auto t0 = std::chrono::steady_clock::now();
  auto pass = (*store)->RunMaintenance();
  if (!pass.ok()) Die("archive", pass.status());
  res.archive_s = Seconds(t0);
  auto st = (*store)->GetStats();
  if (st.hot.segments != 0) Die("archive", Status::Aborted("hot segments left after archival"));
  res.cold.bytes = st.cold.bytes;
  res.cold.cache_bytes = st.cold_cache_bytes;
  res.cold.segments = st.cold.segments;
  fprintf(stderr, "  cold: %s of raw in %.1f s; queries\n",
          Ratio(st.cold.bytes, res.raw_bytes).c_str(), res.archive_s);
  MeasureQueries(store->get(), w, flags, &res.cold);
  if (res.cold.answers != res.hot.answers) {
    Die("compare", Status::Corruption("cold segments answered differently from hot ones"));
  }
  return res;
}

void Print(const std::vector<Result>& results, const Flags& flags) {
  printf("\n## Hot vs cold tier (%" PRIu64 " runs per latency, after one warm-up)\n\n",
         flags.runs);
  printf("| workload | events | raw JSON MiB | hot MiB | hot/raw | cold MiB | cold/raw | "
         "cold index cache MiB | cold/hot | archive s | archive raw MB/s |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  const double mib = 1 << 20;
  for (const Result& r : results) {
    printf("| %s | %" PRIu64 " | %.2f | %.2f | %s | %.2f | %s | %.2f | %.3f | %.1f | %.1f |\n",
           r.name.c_str(), r.events, static_cast<double>(r.raw_bytes) / mib,
           static_cast<double>(r.hot.bytes) / mib, Ratio(r.hot.bytes, r.raw_bytes).c_str(),
           static_cast<double>(r.cold.bytes) / mib, Ratio(r.cold.bytes, r.raw_bytes).c_str(),
           static_cast<double>(r.cold.cache_bytes) / mib,
           static_cast<double>(r.cold.bytes) / static_cast<double>(r.hot.bytes), r.archive_s,
           static_cast<double>(r.raw_bytes) / 1e6 / r.archive_s);
  }
  printf("\n| workload | query | block cache | hot p50 ms | hot p99 ms | cold p50 ms | "
         "cold p99 ms | cold/hot p50 |\n");
  printf("|---|---|---|---:|---:|---:|---:|---:|\n");
  for (const Result& r : results) {
    auto row = [&](const char* query, const char* cache, const Latency& hot,
                   const Latency& cold) {
      printf("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", r.name.c_str(), query,
             cache, hot.p50, hot.p99, cold.p50, cold.p99, cold.p50 / hot.p50);
    };
    row("needle `<token> \\| limit 100`", "on", r.hot.needle, r.cold.needle);
    row("needle `<token> \\| limit 100`", "off", r.hot.needle_nocache, r.cold.needle_nocache);
    row("trace lookup by ID", "on", r.hot.trace, r.cold.trace);
    row("trace lookup by ID", "off", r.hot.trace_nocache, r.cold.trace_nocache);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (arg == "--events") flags.events = ParseCount(arg, next());
    else if (arg == "--loghub") flags.loghub = next();
    else if (arg == "--runs") flags.runs = std::max<uint64_t>(1, ParseCount(arg, next()));
    else if (arg == "--seed") flags.seed = ParseCount(arg, next());
    else if (arg == "--data") flags.data = next();
    else if (arg == "--no-generated") flags.generated = false;
    else if (arg == "--no-loghub") flags.loghub_files = false;
    else if (arg == "--cold-block-rows") {
      flags.cold.block_rows = static_cast<uint32_t>(ParseCount(arg, next()));
      flags.cold.term_granule_rows = flags.cold.block_rows;
    }
    else if (arg == "--cold-level") flags.cold.zstd_level = static_cast<int>(ParseCount(arg, next()));
    else if (arg == "--cold-ldm") flags.cold.long_distance_matching = ParseCount(arg, next()) != 0;
    else Usage();
  }
  const bool temporary = flags.data.empty();
  if (temporary) {
    flags.data =
        (fs::temp_directory_path() / ("trove-bench-tier-" + std::to_string(getpid()))).string();
  }
  std::vector<Result> results;
  if (flags.generated) results.push_back(Run(Generated(flags), flags, flags.data + "/generated"));
  if (flags.loghub_files) results.push_back(Run(Loghub(flags), flags, flags.data + "/loghub"));
  Print(results, flags);
  if (temporary) fs::remove_all(flags.data);
  return 0;
}
