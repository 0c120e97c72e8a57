// trove-bench-compare: Trove side by side with rg, SQLite FTS5 and DuckDB on the same data
// (DESIGN.md §6, issue 6). One command runs everything; scripts/bench-compare.sh [SIZE] builds
// it and its peers first.
//
//   trove-bench-compare [--size 1GB] [--work DIR] [--out DIR] [--runs 10] [--slow-runs 3]
//                       [--slow-ms 2000] [--seed 1] [--streams 4] [--ingest-order live]
//                       [--skip rg,sqlite,duckdb,inproc] [--loghub DIR | --no-loghub] [--strict] [--troved PATH] [--rg PATH]
//                       [--node PATH] [--duckdb-script PATH] [--generate-only]
//
// 1. Data: SIZE bytes of generated events as JSON lines (bench/event_gen.h; with the Loghub
//    message mix when ../shared/data/loghub is there) plus a plain-text export for rg, with 20
//    needle events and sampled trace IDs (bench/compare/dataset.h). Reused when WORK already
//    holds them for the same size and seed. --generate-only stops here (write a large data set
//    ahead, so that its CPU stays out of the measured run).
// 2. Trove: troved on a fresh WORK/trove-data; the JSON file ingested over gRPC by --streams
//    concurrent IngestStream clients that parse it (bench/compare/trove_system.h), taking
//    their batches in turn from one reader (--ingest-order live, the default: what arrives at
//    once is close in time) or each from its own part of the file (backfill); time to
//    all acks + Admin.Flush, MB/s, troved's RSS; Admin.Compact; size on disk.
// 3. Queries (bench/compare/workload.h): each workload warm, 1 unmeasured run then --runs
//    measured ones (--slow-runs when the unmeasured run took over --slow-ms); search rows as
//    `QUERY | stats count()`, plus the `NEEDLE | limit 100` Search. Then, with troved
//    stopped, the same workloads on the same store opened in this process
//    (bench/compare/trove_embedded.h): the like-for-like figures for SQLite and DuckDB.
// 4. Peers, each answer checked against Trove's: rg (search rows, a process per run), SQLite
//    FTS5 in-process (load + queries), DuckDB through bench/compare/duckdb_peer.mjs.
// 5. Report: OUT/compare-YYYY-MM-DD-SIZE.md and .json (bench/compare/report.h), with the
//    DESIGN §6 budget rows computed.
//
// Exit status: 0 when the run finished (mismatches are reported, loudly); with --strict, 3 when
// any answer mismatched or a system failed; 1 when the run could not finish; 2 for usage.
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/compare/dataset.h"
#include "bench/compare/duckdb_client.h"
#include "bench/compare/report.h"
#include "bench/compare/rg_peer.h"
#include "bench/compare/sqlite_peer.h"
#include "bench/compare/trove_embedded.h"
#include "bench/compare/subprocess.h"
#include "bench/compare/trove_system.h"
#include "bench/compare/workload.h"
#include "bench/loghub_loader.h"

namespace trove::bench::compare {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string size_label = "1GB";
  uint64_t size = 1'000'000'000;
  std::string work;
  std::string out = std::string(TROVE_SOURCE_DIR) + "/bench/results";
  size_t runs = 10;
  size_t slow_runs = 3;
  double slow_ms = 2000;
  uint64_t seed = 1;
  int streams = 4;
  bool backfill = false;
  bool skip_rg = false, skip_sqlite = false, skip_duckdb = false, skip_inproc = false;
  std::string loghub;  // "" = find ../shared/data/loghub
  bool no_loghub = false;
  bool strict = false;
  bool generate_only = false;
  std::string troved = std::string(TROVE_BINARY_DIR) + "/server/troved";
  std::string rg = "rg";
  std::string node = "node";
  std::string duckdb_script = std::string(TROVE_SOURCE_DIR) + "/bench/compare/duckdb_peer.mjs";
};

[[noreturn]] void Usage(const std::string& why) {
  if (!why.empty()) fprintf(stderr, "trove-bench-compare: %s\n", why.c_str());
  fprintf(stderr,
          "usage: trove-bench-compare [--size 1GB] [--work DIR] [--out DIR] [--runs N] "
          "[--slow-runs N]\n"
          "         [--slow-ms MS] [--seed N] [--streams N] [--ingest-order live|backfill]\n"
          "         [--skip rg,sqlite,duckdb,inproc]\n"
          "         [--loghub DIR | --no-loghub] [--strict] [--troved PATH] [--rg PATH]\n"
          "         [--node PATH] [--duckdb-script PATH] [--generate-only]\n");
  exit(2);
}

// "1GB", "10GB", "100MB", "2MB", "500kB" (powers of 1000), "1GiB" (powers of 1024), or bytes.
uint64_t ParseSize(const std::string& text) {
  char* end = nullptr;
  const double v = strtod(text.c_str(), &end);
  std::string unit(end);
  for (char& c : unit) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "kb" || unit == "k")
    scale = 1e3;
  else if (unit == "mb" || unit == "m")
    scale = 1e6;
  else if (unit == "gb" || unit == "g")
    scale = 1e9;
  else if (unit == "tb" || unit == "t")
    scale = 1e12;
  else if (unit == "kib")
    scale = 1024.0;
  else if (unit == "mib")
    scale = 1024.0 * 1024;
  else if (unit == "gib")
    scale = 1024.0 * 1024 * 1024;
  if (end == text.c_str() || !(v > 0) || scale == 0) Usage("--size wants e.g. 1GB, got " + text);
  return static_cast<uint64_t>(v * scale);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(a + " needs a value");
      return argv[++i];
    };
    auto count = [&]() -> uint64_t {
      const std::string v = value();
      char* end = nullptr;
      const uint64_t n = strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-') Usage(a + " wants a number, got " + v);
      return n;
    };
    if (a == "--size") {
      f.size_label = value();
      f.size = ParseSize(f.size_label);
    } else if (a == "--work")
      f.work = value();
    else if (a == "--out")
      f.out = value();
    else if (a == "--runs")
      f.runs = std::max<uint64_t>(1, count());
    else if (a == "--slow-runs")
      f.slow_runs = std::max<uint64_t>(1, count());
    else if (a == "--slow-ms")
      f.slow_ms = static_cast<double>(count());
    else if (a == "--seed")
      f.seed = count();
    else if (a == "--streams")
      f.streams = static_cast<int>(std::max<uint64_t>(1, count()));
    else if (a == "--ingest-order") {
      const std::string v = value();
      if (v != "live" && v != "backfill") Usage("--ingest-order wants live or backfill, got " + v);
      f.backfill = v == "backfill";
    }
    else if (a == "--skip") {
      const std::string v = value();
      f.skip_rg = v.find("rg") != std::string::npos;
      f.skip_sqlite = v.find("sqlite") != std::string::npos;
      f.skip_duckdb = v.find("duckdb") != std::string::npos;
      f.skip_inproc = v.find("inproc") != std::string::npos;
    } else if (a == "--loghub")
      f.loghub = value();
    else if (a == "--no-loghub")
      f.no_loghub = true;
    else if (a == "--strict")
      f.strict = true;
    else if (a == "--generate-only")
      f.generate_only = true;
    else if (a == "--troved")
      f.troved = value();
    else if (a == "--rg")
      f.rg = value();
    else if (a == "--node")
      f.node = value();
    else if (a == "--duckdb-script")
      f.duckdb_script = value();
    else if (a == "--help" || a == "-h")
      Usage("");
    else
      Usage("unknown flag " + a);
  }
  if (f.work.empty()) {
    const char* env = getenv("TROVE_BENCH_WORK");
    f.work = env != nullptr && *env ? env : "/work/benchdata/compare-" + f.size_label;
  }
  return f;
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

uint64_t SelfStatusBytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return strtoull(line.c_str() + field.size() + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

void FillMachine(CompareRun* run) {
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos)
        run->cpu = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  }
  run->cores = std::thread::hardware_concurrency();
  std::ifstream mem("/proc/meminfo");
  while (std::getline(mem, line)) {
    if (line.rfind("MemTotal:", 0) == 0) {
      run->mem_bytes = strtoull(line.c_str() + 9, nullptr, 10) * 1024;
      break;
    }
  }
  struct utsname u;
  if (uname(&u) == 0) run->kernel = u.release;
  const time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  run->date = buf;
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  run->started_at = buf;
  run->build_type = TROVE_BUILD_TYPE;
}

// One system's run of a workload: fills *answer, and *ms when the system times itself (rg's
// process wall time); otherwise the caller's clock is used.
using RunFn = std::function<Status(size_t variant, Answer* answer, double* ms)>;

Measured Measure(const Workload& w, const Flags& flags, const RunFn& fn) {
  Measured m;
  m.ran = true;
  Answer warm;
  double ms = -1;
  auto t0 = Clock::now();
  Status s = fn(0, &warm, &ms);  // unmeasured; variant 0 is never a measured run's
  const double warm_ms = ms >= 0 ? ms : Since(t0) * 1000;
  if (!s.ok()) {
    m.error = s.ToString();
    return m;
  }
  size_t runs = flags.runs;
  if (warm_ms > flags.slow_ms && flags.slow_runs < runs) {
    runs = flags.slow_runs;
    m.note = "slow: " + std::to_string(runs) + " runs";
  }
  for (size_t r = 1; r <= runs; ++r) {
    Answer answer;
    ms = -1;
    t0 = Clock::now();
    s = fn(r, &answer, &ms);
    const double took = ms >= 0 ? ms : Since(t0) * 1000;
    if (!s.ok()) {
      m.error = s.ToString();
      return m;
    }
    m.ms.push_back(took);
    for (auto& [k, v] : answer) m.answer[k] = v;
  }
  (void)w;
  return m;
}

void Loud(CompareRun* run, const std::string& problem) {
  fprintf(stderr, "\n*** %s\n\n", problem.c_str());
  run->problems.push_back(problem);
}

// Compares every peer's answers with Trove's and Trove's needle counts with the truth.
void CheckAnswers(CompareRun* run) {
  SystemRun& trove = run->systems[kTrove];
  for (const Workload& w : Workloads()) {
    auto tit = trove.results.find(w.key);
    if (tit == trove.results.end() || !tit->second.error.empty()) continue;
    Measured& t = tit->second;
    if (w.variant == Variant::kNeedle) {  // Trove against the truth: one event per needle
      Answer truth;
      for (const auto& [k, v] : t.answer) truth[k] = 1.0;
      t.checked = true;
      t.mismatch = CompareAnswers(AnswerCheck::kExact, t.answer, truth);
      if (!t.mismatch.empty()) {
        Loud(run, std::string("Trove answered ") + w.name + " wrongly: " + t.mismatch);
      }
    }
    for (int s = kRg; s < kNumSystems; ++s) {
      auto it = run->systems[s].results.find(w.key);
      if (!run->systems[s].enabled || it == run->systems[s].results.end()) continue;
      Measured& m = it->second;
      if (!m.error.empty()) {
        Loud(run, std::string(kSystemNames[s]) + " failed on " + w.name + ": " + m.error);
        continue;
      }
      if (!m.ran) continue;
      // Variant rows: a peer with fewer runs saw fewer needles / IDs; compare those.
      Answer reference = t.answer;
      if (w.variant != Variant::kNone) {
        reference.clear();
        for (const auto& [k, v] : m.answer) {
          if (auto f = t.answer.find(k); f != t.answer.end()) reference[k] = f->second;
        }
      }
      m.checked = true;
      m.mismatch = CompareAnswers(w.check, reference, m.answer);
      if (!m.mismatch.empty()) {
        Loud(run, std::string("MISMATCH: ") + kSystemNames[s] + " and Trove disagree on " + w.name +
                      ": " + m.mismatch);
      }
    }
  }
  if (run->trove.accepted != run->data.events || run->trove.rejected != 0 ||
      run->trove.parse_errors != 0) {
    Loud(run, "Trove stored " + std::to_string(run->trove.accepted) + " of " +
                  std::to_string(run->data.events) + " events (" +
                  std::to_string(run->trove.rejected) + " rejected, " +
                  std::to_string(run->trove.parse_errors) + " unparsable lines)");
  }
  if (run->systems[kSqlite].enabled && run->sqlite.rows != run->data.events &&
      run->sqlite.load_s > 0) {
    Loud(run, "SQLite loaded " + std::to_string(run->sqlite.rows) + " of " +
                  std::to_string(run->data.events) + " events");
  }
  if (run->systems[kDuckdb].enabled && run->duckdb.load_s > 0 &&
      run->duckdb.rows_loaded != run->data.events) {
    Loud(run, "DuckDB loaded " + std::to_string(run->duckdb.rows_loaded) + " of " +
                  std::to_string(run->data.events) + " events");
  }
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const auto start = Clock::now();
  CompareRun run;
  FillMachine(&run);
  run.size_label = flags.size_label;
  run.work_dir = flags.work;
  run.runs = flags.runs;
  run.slow_runs = flags.slow_runs;
  run.slow_ms = flags.slow_ms;
  run.streams = flags.streams;
  run.backfill = flags.backfill;

  // 1. Data.
  DatasetOptions data_options;
  data_options.work_dir = flags.work;
  data_options.target_bytes = flags.size;
  data_options.seed = flags.seed;
  if (!flags.no_loghub) {
    const std::string dir = FindLoghub(flags.loghub);
    if (std::filesystem::is_directory(dir)) data_options.loghub_dir = dir;
  }
  fprintf(stderr, "trove-bench-compare: %s of events in %s\n", flags.size_label.c_str(),
          flags.work.c_str());
  auto data = PrepareDataset(data_options);
  if (!data.ok()) {
    fprintf(stderr, "trove-bench-compare: data: %s\n", data.status().ToString().c_str());
    return 1;
  }
  run.data = *data;
  fprintf(stderr, "  %s: %" PRIu64 " events, %" PRIu64 " bytes of JSON lines%s\n",
          run.data.reused ? "reused" : "generated", run.data.events, run.data.jsonl_bytes,
          run.data.loghub ? " (Loghub mix)" : "");
  // Writing the data set ahead of time keeps its CPU out of a later measured run.
  if (flags.generate_only) return 0;

  // 2. Trove.
  TroveOptions trove_options;
  trove_options.troved = flags.troved;
  trove_options.data_dir = flags.work + "/trove-data";
  trove_options.log_path = flags.work + "/troved.log";
  trove_options.streams = flags.streams;
  trove_options.backfill = flags.backfill;
  // Events are dated 2024: without --archive-after 0 the first maintenance pass would move
  // them all to the cold tier. Query limits are raised so no workload is cut short.
  trove_options.troved_flags = {"--archive-after",   "0",      "--max-query-time", "30m",
                                "--max-result-rows", "1000000"};
  run.troved_flags = trove_options.troved_flags;
  std::filesystem::remove(trove_options.log_path);
  TroveSystem trove(trove_options);
  SystemRun& tr = run.systems[kTrove];
  tr.enabled = true;
  auto fail = [&](const std::string& what, const Status& s) {
    fprintf(stderr, "trove-bench-compare: %s: %s\n%s\n", what.c_str(), s.ToString().c_str(),
            trove.LogTail().c_str());
    return 1;
  };
  if (Status s = trove.Start(); !s.ok()) return fail("start troved", s);
  fprintf(stderr, "trove: ingesting over %d streams in %s order\n", flags.streams,
          flags.backfill ? "backfill" : "live");
  if (Status s = trove.Ingest(run.data, &run.trove); !s.ok()) return fail("ingest", s);
  fprintf(stderr, "  %.1f s to flush, %.1f MB/s, peak RSS %.0f MiB\n", run.trove.flushed_s,
          static_cast<double>(run.data.jsonl_bytes) / 1e6 / run.trove.flushed_s,
          static_cast<double>(run.trove.peak_rss) / (1 << 20));
  if (Status s = trove.Compact(&run.trove); !s.ok()) return fail("compact", s);
  fprintf(stderr, "  compacted in %.1f s: %" PRIu64 " segments, %.1f MB on disk\n",
          run.trove.compact_s, run.trove.segments, static_cast<double>(run.trove.dir_bytes) / 1e6);
  for (const Workload& w : Workloads()) {
    tr.results[w.key] = Measure(
        w, flags, [&](size_t v, Answer* a, double*) { return trove.Run(w, run.data, v, a); });
    fprintf(stderr, "  trove %-24s p50 %8.2f ms\n", w.name, Percentile(tr.results[w.key].ms, 0.5));
  }
  run.trove_search = Measure(Workloads()[0], flags, [&](size_t v, Answer* a, double*) {
    uint64_t n = 0;
    const std::string& needle = NeedleFor(run.data, v);
    Status s = trove.SearchNeedle(needle, &n);
    (*a)[needle] = static_cast<double>(n);
    return s;
  });
  fprintf(stderr, "  trove %-24s p50 %8.2f ms\n", "needle | limit 100",
          Percentile(run.trove_search.ms, 0.5));
  {
    // Where the time goes: the server's own time for the same searches (explain), and the
    // round trip of a call that does nothing.
    std::vector<double> server, empty;
    for (size_t r = 1; r <= flags.runs; ++r) {
      uint64_t n = 0;
      double ms = 0;
      if (trove.SearchNeedle(NeedleFor(run.data, r), &n, &ms).ok()) server.push_back(ms);
      const auto t0 = Clock::now();
      if (trove.EmptyCall().ok()) empty.push_back(Since(t0) * 1000);
    }
    run.trove_search_server_p50_ms = Percentile(server, 0.5);
    run.trove_empty_call_p50_ms = Percentile(empty, 0.5);
  }
  if (Status s = trove.Stop(); !s.ok()) Loud(&run, "troved did not stop cleanly: " + s.ToString());

  // 2b. The same store in this process: no round trip, as SQLite and DuckDB.
  SystemRun& te = run.systems[kTroveEmbedded];
  if (flags.skip_inproc) {
    te.note = "skipped (--skip)";
  } else if (auto embedded = TroveEmbedded::Open(trove_options.data_dir); !embedded.ok()) {
    Loud(&run, "Trove in-process: " + embedded.status().ToString());
    te.note = "could not open the store";
  } else {
    te.enabled = true;
    te.note =
        "the store troved wrote, opened in the driver (no background work) and queried "
        "through QueryEngine with the same query texts; caches start empty; the trace row "
        "materialises every event of the trace";
    fprintf(stderr, "trove in-process\n");
    for (const Workload& w : Workloads()) {
      te.results[w.key] = Measure(w, flags, [&](size_t v, Answer* a, double*) {
        return (*embedded)->Run(w, run.data, v, a);
      });
      fprintf(stderr, "  in-process %-19s p50 %8.2f ms\n", w.name,
              Percentile(te.results[w.key].ms, 0.5));
    }
  }

  // 3. rg.
  SystemRun& rg = run.systems[kRg];
  const std::string rg_path = FindExecutable(flags.rg);
  if (flags.skip_rg) {
    rg.note = "skipped (--skip)";
  } else if (rg_path.empty()) {
    rg.note = "rg is not installed";
  } else {
    rg.enabled = true;
    auto version = RunProcess({rg_path, "--version"}, "");
    if (version.ok()) run.rg_version = version->out.substr(0, version->out.find('\n'));
    rg.note = run.rg_version +
              ": `rg -c` on events.txt, one process per run (wall time); words "
              "and phrases `-i -w -F`, field + term and boolean as regexes over the line "
              "layout, trace `-F ID`";
    RgPeer peer(rg_path);
    fprintf(stderr, "rg\n");
    for (const Workload& w : Workloads()) {
      if (!RgPeer::Supports(w)) {
        Measured m;
        m.note = "n/a: not a search";
        rg.results[w.key] = m;
        continue;
      }
      rg.results[w.key] = Measure(w, flags, [&](size_t v, Answer* a, double* ms) {
        return peer.Run(w, run.data, v, a, ms);
      });
      fprintf(stderr, "  rg %-27s p50 %8.2f ms\n", w.name, Percentile(rg.results[w.key].ms, 0.5));
    }
  }

  // 4. SQLite FTS5 (in-process: the driver's own peak RSS is the load's).
  SystemRun& sq = run.systems[kSqlite];
  if (flags.skip_sqlite) {
    sq.note = "skipped (--skip)";
  } else {
    sq.enabled = true;
    sq.note =
        "in-process C API; one prepared INSERT, 500k-row transactions, "
        "journal_mode=OFF, synchronous=OFF, 256 MiB page cache; external-content FTS5 "
        "(unicode61, tokenchars '_') rebuilt and optimized after the insert; index on "
        "trace_id; search rows via MATCH, the rest SQL (p99 by window functions)";
    {
      std::ofstream reset("/proc/self/clear_refs");  // resets VmHWM (Linux ≥ 4.0)
      reset << "5";
    }
    fprintf(stderr, "sqlite: loading\n");
    auto peer = SqlitePeer::Load(flags.work + "/sqlite.db", run.data, &run.sqlite);
    run.sqlite_peak_rss = SelfStatusBytes("VmHWM");
    if (!peer.ok()) {
      Loud(&run, "SQLite load failed: " + peer.status().ToString());
      sq.note = "load failed: " + peer.status().ToString();
      run.sqlite.load_s = 0;
    } else {
      fprintf(stderr, "  loaded in %.1f s, %.1f MB\n", run.sqlite.load_s,
              static_cast<double>(run.sqlite.db_bytes) / 1e6);
      for (const Workload& w : Workloads()) {
        sq.results[w.key] = Measure(w, flags, [&](size_t v, Answer* a, double*) {
          return (*peer)->Run(w, run.data, v, a);
        });
        fprintf(stderr, "  sqlite %-23s p50 %8.2f ms\n", w.name,
                Percentile(sq.results[w.key].ms, 0.5));
      }
    }
  }

  // 5. DuckDB.
  SystemRun& dk = run.systems[kDuckdb];
  const std::string node_path = FindExecutable(flags.node);
  const bool have_modules = std::filesystem::exists(
      std::filesystem::path(flags.duckdb_script).parent_path() / "node_modules" / "@duckdb");
  if (flags.skip_duckdb) {
    dk.note = "skipped (--skip)";
  } else if (node_path.empty()) {
    dk.note = "node is not installed";
  } else if (!std::filesystem::exists(flags.duckdb_script)) {
    dk.note = flags.duckdb_script + " is missing";
  } else if (!have_modules) {
    dk.note = "@duckdb/node-api is not installed (npm ci --prefix bench/compare)";
  } else {
    dk.enabled = true;
    DuckdbOptions options;
    options.node = node_path;
    options.script = flags.duckdb_script;
    options.db_path = flags.work + "/duckdb.db";
    // DuckDB scans for every search; big files get the slow peers' run count.
    options.runs = run.data.jsonl_bytes >= 4'000'000'000 ? flags.slow_runs : flags.runs;
    fprintf(stderr, "duckdb: loading and querying (%zu runs)\n", options.runs);
    Status s = RunDuckdb(options, run.data, &run.duckdb, &dk.results);
    dk.note = "DuckDB " + run.duckdb.version + " through node + @duckdb/node-api " +
              "(bench/compare/duckdb_peer.mjs), all cores; read_ndjson into a table, no "
              "indexes; timed inside node; search rows via ILIKE prefilter + "
              "regexp_matches(msg, '(?i)\\bWORD\\b'); p99 as the value at rank floor(0.99 (n-1)) "
              "of the sorted list (quantile_disc uses another rank); " +
              std::to_string(options.runs) + " runs";
    if (!s.ok()) {
      Loud(&run, "DuckDB failed: " + s.ToString());
      dk.note = "failed: " + s.ToString();
      dk.enabled = false;
    } else {
      fprintf(stderr, "  loaded in %.1f s, %.1f MB\n", run.duckdb.load_s,
              static_cast<double>(run.duckdb.db_bytes) / 1e6);
    }
  }

  CheckAnswers(&run);
  run.total_s = Since(start);

  std::error_code ec;
  std::filesystem::create_directories(flags.out, ec);
  const std::string base = flags.out + "/compare-" + run.date + "-" + flags.size_label;
  {
    std::ofstream md(base + ".md", std::ios::trunc);
    md << MarkdownReport(run);
    std::ofstream js(base + ".json", std::ios::trunc);
    js << JsonReport(run);
    if (!md || !js) {
      fprintf(stderr, "trove-bench-compare: cannot write %s.{md,json}\n", base.c_str());
      return 1;
    }
  }
  printf("%s", MarkdownReport(run).c_str());
  fprintf(stderr, "\ntrove-bench-compare: report in %s.md and .json (%.0f s)\n", base.c_str(),
          run.total_s);
  if (!run.problems.empty()) {
    fprintf(stderr, "trove-bench-compare: %zu PROBLEMS, listed at the top of the report\n",
            run.problems.size());
    if (flags.strict) return 3;
  }
  return 0;
}

}  // namespace
}  // namespace trove::bench::compare

int main(int argc, char** argv) { return trove::bench::compare::Main(argc, argv); }
