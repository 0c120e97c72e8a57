// trove-bench-ingest: ingest throughput, memory and on-disk size (DESIGN.md §6).
//
//   trove-bench-ingest [--events N] [--loghub DIR] [--data DIR] [--batch N] [--threads N]
//                      [--seed N] [--keep] [--no-generated] [--no-loghub]
//
// Workload "generated": N microservice events (EventGenerator, one generator per thread)
// appended in batches through Store::Append from --threads threads, then Flush() and
// Compact(). Workload "loghub": every *.log file of --loghub, loaded with LoadTextLog, each
// into a fresh store (per-file figures) and all together into one more (totals).
//
// Raw size is the JSON-lines form of the events (ToJsonLine), computed before timing. Timed
// appends of the generated workload include generating each batch (the pre-pass reports the
// generator's own speed so it can be subtracted). Peak RSS is VmHWM, reset per workload via
// /proc/self/clear_refs; "start" is the RSS at that moment, i.e. what the benchmark itself
// holds (for loghub: every file's events). Disk is every file under the store directory after
// Compact(), and again after the store is closed and reopened.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/event_gen.h"
#include "bench/loghub_loader.h"
#include "storage/store.h"
#include "tools/event_json.h"
#include "tools/log_time.h"

namespace fs = std::filesystem;
using trove::Event;
using trove::Status;
using trove::bench::EventGenerator;
using trove::bench::EventGenOptions;

namespace {

struct Flags {
  uint64_t events = 1'000'000;
  std::string loghub;
  std::string data;
  size_t batch = 1000;
  int threads = 2;
  uint64_t seed = 1;
  bool keep = false;
  bool generated = true;
  bool loghub_files = true;
};

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// A "VmXxx:   1234 kB" line of /proc/self/status, in bytes (0 if absent).
uint64_t ProcStatusBytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') {
      return std::strtoull(line.c_str() + n + 1, nullptr, 10) * 1024;
    }
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux ≥ 4.0); false when not possible.
bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

struct DiskUsage {
  uint64_t segments = 0;  // seg-*.trv
  uint64_t db_sst = 0;    // RocksDB tables
  uint64_t db_wal = 0;    // RocksDB's own write-ahead log (*.log)
  uint64_t db_other = 0;  // MANIFEST, OPTIONS, info LOG files, …
  uint64_t total() const { return segments + db_sst + db_wal + db_other; }
};

DiskUsage MeasureDisk(const std::string& dir) {
  DiskUsage u;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const uint64_t size = it->file_size(ec);
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (p.parent_path().filename() == "segments") {
      u.segments += size;
    } else if (p.extension() == ".sst") {
      u.db_sst += size;
    } else if (p.extension() == ".log") {
      u.db_wal += size;
    } else {
      u.db_other += size;
    }
  }
  return u;
}

struct Figures {
  std::string name;
  uint64_t events = 0;
  uint64_t raw_json = 0;
  uint64_t raw_text = 0;  // loghub only: the file bytes
  uint64_t accepted = 0, rejected = 0;
  uint64_t stalls = 0, refused = 0;  // batches / events refused with ResourceExhausted
  std::string first_rejection;
  double append_s = 0, flush_s = 0, compact_s = 0;
  uint64_t start_rss = 0, peak_rss = 0, append_peak_rss = 0;
  bool peak_rss_reset = false;
  DiskUsage disk, disk_reopened;
  double reopen_s = 0;
  trove::StoreStats stats;
  double ingest_s() const { return append_s + flush_s; }
};

[[noreturn]] void Die(const std::string& what, const Status& s) {
  fprintf(stderr, "trove-bench-ingest: %s: %s\n", what.c_str(), s.ToString().c_str());
  exit(1);
}

// Fills *batch with the next batch of thread t; false when t has no more.
using BatchSource = std::function<bool(int t, std::vector<Event>* batch)>;

// Appends everything `source` yields from `threads` threads into a fresh store in dir, then
// flushes and compacts; fills the timing, memory and disk figures of *f.
void RunIngest(const std::string& dir, int threads, const BatchSource& source, Figures* f) {
  trove::StoreOptions options;
  auto opened = trove::Store::Open(options, dir);
  if (!opened.ok()) Die("open store " + dir, opened.status());
  std::unique_ptr<trove::Store> store = std::move(opened).value();

  f->peak_rss_reset = ResetPeakRss();
  f->start_rss = ProcStatusBytes("VmRSS");  // what the benchmark itself holds
  std::mutex mu;
  std::atomic<uint64_t> accepted{0}, rejected{0}, stalls{0}, refused{0};
  auto worker = [&](int t) {
    std::vector<Event> batch;
    while (true) {
      batch.clear();
      if (!source(t, &batch)) return;
      const size_t n = batch.size();
      // Moved in, as a server would; a batch refused for backpressure (after the store's own
      // stall timeout) is counted, not retried.
      auto r = store->Append(std::move(batch));
      if (!r.ok()) {
        if (!r.status().IsResourceExhausted()) Die("append", r.status());
        ++stalls;
        refused += n;
        continue;
      }
      accepted += r->accepted;
      rejected += r->rejected.size();
      if (!r->rejected.empty()) {
        std::lock_guard<std::mutex> lock(mu);
        if (f->first_rejection.empty()) f->first_rejection = r->rejected.front().reason.ToString();
      }
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  const auto t1 = std::chrono::steady_clock::now();
  f->append_peak_rss = ProcStatusBytes("VmHWM");
  if (Status s = store->Flush(); !s.ok()) Die("flush", s);
  const auto t2 = std::chrono::steady_clock::now();
  if (Status s = store->Compact(); !s.ok()) Die("compact", s);
  const auto t3 = std::chrono::steady_clock::now();
  f->peak_rss = ProcStatusBytes("VmHWM");
  f->append_s = Seconds(t0, t1);
  f->flush_s = Seconds(t1, t2);
  f->compact_s = Seconds(t2, t3);
  f->accepted = accepted;
  f->rejected = rejected;
  f->stalls = stalls;
  f->refused = refused;
  f->stats = store->GetStats();
  f->disk = MeasureDisk(dir);

  // RocksDB keeps its own log files until every column family's memtable is flushed, so the
  // size right after ingest differs from the size once the store has been reopened (recovery
  // flushes the memtables and drops the old logs).
  store.reset();
  trove::StoreOptions quiet;
  quiet.background = false;
  const auto t4 = std::chrono::steady_clock::now();
  auto reopened = trove::Store::Open(quiet, dir);
  if (!reopened.ok()) Die("reopen store " + dir, reopened.status());
  f->reopen_s = Seconds(t4, std::chrono::steady_clock::now());
  reopened->reset();
  f->disk_reopened = MeasureDisk(dir);
}

// ---- formatting ------------------------------------------------------------------------------

std::string Num(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}
std::string Fixed(double v, int digits) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
std::string MiB(uint64_t bytes) { return Fixed(static_cast<double>(bytes) / (1 << 20), 2); }
std::string Ratio(uint64_t part, uint64_t whole) {
  if (whole == 0 || part == 0) return "-";
  const double r = static_cast<double>(part) / static_cast<double>(whole);
  return Fixed(r, 4) + " (1/" + Fixed(1 / r, 1) + ")";
}
std::string Rate(double amount, double seconds, const char* unit, int digits = 1) {
  if (seconds <= 0) return "-";
  return Fixed(amount / seconds, digits) + unit;
}

void PrintSummary(const std::vector<Figures>& all) {
  printf(
      "\n| workload | events | raw JSON MiB | append s | flush s | compact s | "
      "ingest events/s | ingest MB/s | append-only MB/s | RSS MiB start / peak append / peak all | "
      "disk MiB | disk/raw | segments/raw | disk/raw after reopen |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Figures& f : all) {
    printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s |\n",
           f.name.c_str(), Num(f.accepted).c_str(), MiB(f.raw_json).c_str(),
           Fixed(f.append_s, 2).c_str(), Fixed(f.flush_s, 2).c_str(), Fixed(f.compact_s, 2).c_str(),
           Rate(static_cast<double>(f.accepted), f.ingest_s(), "", 0).c_str(),
           Rate(static_cast<double>(f.raw_json) / 1e6, f.ingest_s(), "").c_str(),
           Rate(static_cast<double>(f.raw_json) / 1e6, f.append_s, "").c_str(),
           MiB(f.start_rss).c_str(), MiB(f.append_peak_rss).c_str(), MiB(f.peak_rss).c_str(),
           MiB(f.disk.total()).c_str(), Ratio(f.disk.total(), f.raw_json).c_str(),
           Ratio(f.disk.segments, f.raw_json).c_str(),
           Ratio(f.disk_reopened.total(), f.raw_json).c_str());
  }
  printf(
      "\n| workload | segments | segment MiB | RocksDB sst MiB | RocksDB WAL (*.log) MiB | "
      "RocksDB other MiB | after reopen: sst / WAL / other MiB | reopen s | flushes | "
      "merges | rejected | refused (backpressure) |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Figures& f : all) {
    printf("| %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s | %s |\n",
           f.name.c_str(), Num(f.stats.segments).c_str(), MiB(f.disk.segments).c_str(),
           MiB(f.disk.db_sst).c_str(), MiB(f.disk.db_wal).c_str(), MiB(f.disk.db_other).c_str(),
           MiB(f.disk_reopened.db_sst).c_str(), MiB(f.disk_reopened.db_wal).c_str(),
           MiB(f.disk_reopened.db_other).c_str(), Fixed(f.reopen_s, 2).c_str(),
           Num(f.stats.flushes).c_str(), Num(f.stats.merges).c_str(), Num(f.rejected).c_str(),
           Num(f.refused).c_str());
  }
  for (const Figures& f : all) {
    if (!f.first_rejection.empty()) {
      printf("\n%s: first rejection: %s\n", f.name.c_str(), f.first_rejection.c_str());
    }
    if (!f.stats.background_error.empty()) {
      printf("\n%s: background error: %s\n", f.name.c_str(), f.stats.background_error.c_str());
    }
  }
}

// ---- workloads -------------------------------------------------------------------------------

Figures RunGenerated(const Flags& flags, const std::string& dir) {
  Figures f;
  f.name = "generated";
  f.events = flags.events;
  std::vector<uint64_t> per_thread(static_cast<size_t>(flags.threads),
                                   flags.events / static_cast<uint64_t>(flags.threads));
  per_thread[0] += flags.events % static_cast<uint64_t>(flags.threads);
  auto options_for = [&](int t) {
    EventGenOptions o;
    o.seed = flags.seed + static_cast<uint64_t>(t);
    return o;
  };

  // Pre-pass: the same events, to size them as JSON and to time the generator alone.
  double gen_s = 0;
  uint64_t level_counts[trove::kNumLevels] = {};
  std::unordered_set<std::string> traces;
  std::vector<uint32_t> sizes;
  sizes.reserve(flags.events);
  for (int t = 0; t < flags.threads; ++t) {
    EventGenerator gen(options_for(t));
    std::vector<Event> batch;
    for (uint64_t done = 0; done < per_thread[static_cast<size_t>(t)];) {
      const size_t n = static_cast<size_t>(
          std::min<uint64_t>(flags.batch, per_thread[static_cast<size_t>(t)] - done));
      batch.clear();
      const auto a = std::chrono::steady_clock::now();
      gen.Fill(n, &batch);
      gen_s += Seconds(a, std::chrono::steady_clock::now());
      for (const Event& e : batch) {
        const size_t bytes = trove::ingest::ToJsonLine(e).size() + 1;  // + "\n"
        f.raw_json += bytes;
        sizes.push_back(static_cast<uint32_t>(bytes));
        ++level_counts[static_cast<int>(e.level)];
        traces.insert(e.trace_id);
      }
      done += n;
    }
  }
  std::sort(sizes.begin(), sizes.end());
  auto pct = [&](double p) {
    return sizes.empty() ? 0u : sizes[static_cast<size_t>(p * (sizes.size() - 1))];
  };
  auto share = [&](trove::Level l) {
    return Fixed(100.0 * static_cast<double>(level_counts[static_cast<int>(l)]) /
                     static_cast<double>(std::max<uint64_t>(1, flags.events)),
                 1);
  };
  printf(
      "generated: %s events in %d streams, JSON %s B/event avg (p5 %u, p50 %u, p95 %u, max "
      "%u); levels INFO %s%% DEBUG %s%% WARN %s%% ERROR %s%%; %s traces (%s events/trace); "
      "generator alone %s events/s\n",
      Num(flags.events).c_str(), flags.threads,
      Fixed(static_cast<double>(f.raw_json) /
                static_cast<double>(std::max<uint64_t>(1, flags.events)),
            0)
          .c_str(),
      pct(0.05), pct(0.5), pct(0.95), sizes.empty() ? 0u : sizes.back(),
      share(trove::Level::kInfo).c_str(), share(trove::Level::kDebug).c_str(),
      share(trove::Level::kWarn).c_str(), share(trove::Level::kError).c_str(),
      Num(traces.size()).c_str(),
      Fixed(static_cast<double>(flags.events) /
                static_cast<double>(std::max<size_t>(1, traces.size())),
            1)
          .c_str(),
      Rate(static_cast<double>(flags.events), gen_s, "", 0).c_str());
  sizes = {};
  traces = {};
  fflush(stdout);

  // Timed: each thread regenerates its stream batch by batch and appends it.
  std::vector<std::unique_ptr<EventGenerator>> gens;
  std::vector<uint64_t> left = per_thread;
  for (int t = 0; t < flags.threads; ++t)
    gens.push_back(std::make_unique<EventGenerator>(options_for(t)));
  RunIngest(
      dir, flags.threads,
      [&](int t, std::vector<Event>* batch) {
        uint64_t& l = left[static_cast<size_t>(t)];
        if (l == 0) return false;
        const size_t n = static_cast<size_t>(std::min<uint64_t>(flags.batch, l));
        gens[static_cast<size_t>(t)]->Fill(n, batch);
        l -= n;
        return true;
      },
      &f);
  return f;
}

struct LoghubFile {
  std::string path, stem;
  std::vector<Event> events;
  uint64_t text_bytes = 0, json_bytes = 0, timed = 0, leveled = 0;
  double load_s = 0;
};

// Appends `events` (copied into batches before timing) through RunIngest.
void IngestEvents(const std::vector<const std::vector<Event>*>& sources, const Flags& flags,
                  const std::string& dir, Figures* f) {
  std::vector<std::vector<Event>> batches;
  for (const auto* events : sources) {
    for (size_t i = 0; i < events->size(); i += flags.batch) {
      const size_t end = std::min(events->size(), i + flags.batch);
      batches.emplace_back(events->begin() + static_cast<ptrdiff_t>(i),
                           events->begin() + static_cast<ptrdiff_t>(end));
    }
  }
  std::atomic<size_t> next{0};
  RunIngest(
      dir, flags.threads,
      [&](int, std::vector<Event>* batch) {
        const size_t i = next++;
        if (i >= batches.size()) return false;
        *batch = std::move(batches[i]);
        return true;
      },
      f);
}

std::vector<Figures> RunLoghub(const Flags& flags, const std::string& loghub_dir,
                               const std::string& dir) {
  std::vector<LoghubFile> files;
  for (const auto& entry : fs::directory_iterator(loghub_dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".log") {
      files.push_back({entry.path().string(), entry.path().stem().string(), {}, 0, 0, 0, 0, 0});
    }
  }
  std::sort(files.begin(), files.end(),
            [](const LoghubFile& a, const LoghubFile& b) { return a.stem < b.stem; });
  if (files.empty()) {
    fprintf(stderr, "trove-bench-ingest: no *.log files in %s\n", loghub_dir.c_str());
    exit(1);
  }
  for (LoghubFile& lf : files) {
    Status st;
    const auto a = std::chrono::steady_clock::now();
    lf.events = trove::bench::LoadTextLog(lf.path, lf.stem, &st);
    lf.load_s = Seconds(a, std::chrono::steady_clock::now());
    if (!st.ok()) Die("load", st);
    lf.text_bytes = fs::file_size(lf.path);
    for (const Event& e : lf.events) {
      lf.json_bytes += trove::ingest::ToJsonLine(e).size() + 1;
      int64_t t;
      lf.timed += trove::ingest::ParseLogTimestamp(e.message, &t) ? 1 : 0;
      lf.leveled += e.level != trove::Level::kUnknown ? 1 : 0;
    }
  }

  printf(
      "\n| loghub file | events | text KiB | JSON KiB | time parsed | level found | "
      "load MB/s | ingest events/s | segments | segment KiB | segments/JSON | "
      "segments/text | disk KiB (all) |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::vector<Figures> out;
  Figures total;
  total.name = "loghub (all files)";
  std::vector<const std::vector<Event>*> all;
  for (LoghubFile& lf : files) {
    Figures f;
    f.name = lf.stem;
    f.events = lf.events.size();
    f.raw_json = lf.json_bytes;
    f.raw_text = lf.text_bytes;
    IngestEvents({&lf.events}, flags, dir + "/loghub-" + lf.stem, &f);
    const double n = static_cast<double>(std::max<size_t>(1, lf.events.size()));
    printf("| %s | %s | %s | %s | %s%% | %s%% | %s | %s | %s | %s | %s | %s | %s |\n",
           lf.stem.c_str(), Num(f.accepted).c_str(),
           Fixed(static_cast<double>(lf.text_bytes) / 1024, 0).c_str(),
           Fixed(static_cast<double>(lf.json_bytes) / 1024, 0).c_str(),
           Fixed(100.0 * static_cast<double>(lf.timed) / n, 0).c_str(),
           Fixed(100.0 * static_cast<double>(lf.leveled) / n, 0).c_str(),
           Rate(static_cast<double>(lf.text_bytes) / 1e6, lf.load_s, "").c_str(),
           Rate(static_cast<double>(f.accepted), f.ingest_s(), "", 0).c_str(),
           Num(f.stats.segments).c_str(),
           Fixed(static_cast<double>(f.disk.segments) / 1024, 0).c_str(),
           Ratio(f.disk.segments, lf.json_bytes).c_str(),
           Ratio(f.disk.segments, lf.text_bytes).c_str(),
           Fixed(static_cast<double>(f.disk.total()) / 1024, 0).c_str());
    fflush(stdout);
    total.events += f.events;
    total.raw_json += lf.json_bytes;
    total.raw_text += lf.text_bytes;
    all.push_back(&lf.events);
  }
  IngestEvents(all, flags, dir + "/loghub-all", &total);
  printf("\nloghub (all files, one store): %s text bytes, %s JSON bytes; segments/text %s\n",
         Num(total.raw_text).c_str(), Num(total.raw_json).c_str(),
         Ratio(total.disk.segments, total.raw_text).c_str());
  out.push_back(std::move(total));
  return out;
}

[[noreturn]] void Usage() {
  fprintf(stderr,
          "usage: trove-bench-ingest [--events N] [--loghub DIR] [--data DIR] [--batch N]\n"
          "                          [--threads N] [--seed N] [--keep] [--no-generated]\n"
          "                          [--no-loghub]\n");
  exit(2);
}

uint64_t ParseCount(const std::string& flag, const std::string& v, uint64_t min) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || n < min || v[0] == '-') {
    fprintf(stderr, "trove-bench-ingest: %s wants a number >= %" PRIu64 ", got '%s'\n",
            flag.c_str(), min, v.c_str());
    exit(2);
  }
  return n;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (arg == "--events") {
      f.events = ParseCount(arg, next(), 1);
    } else if (arg == "--loghub") {
      f.loghub = next();
    } else if (arg == "--data") {
      f.data = next();
    } else if (arg == "--batch") {
      f.batch = ParseCount(arg, next(), 1);
    } else if (arg == "--threads") {
      f.threads = static_cast<int>(ParseCount(arg, next(), 1));
    } else if (arg == "--seed") {
      f.seed = ParseCount(arg, next(), 0);
    } else if (arg == "--keep" && !has_value) {
      f.keep = true;
    } else if (arg == "--no-generated" && !has_value) {
      f.generated = false;
    } else if (arg == "--no-loghub" && !has_value) {
      f.loghub_files = false;
    } else {
      fprintf(stderr, "trove-bench-ingest: unknown argument '%s'\n", argv[i]);
      Usage();
    }
  }
  if (f.threads > 64) f.threads = 64;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  std::string loghub;
  if (flags.loghub_files) {
    loghub = trove::bench::FindLoghub(flags.loghub);
    if (!fs::is_directory(loghub)) {
      fprintf(stderr, "trove-bench-ingest: loghub directory %s not found (use --loghub DIR)\n",
              loghub.c_str());
      return 1;
    }
  }

  bool temp = false;
  std::string dir = flags.data;
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "trove-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      fprintf(stderr, "trove-bench-ingest: mkdtemp: %s\n", strerror(errno));
      return 1;
    }
    dir = tmpl;
    temp = true;
  } else if (fs::exists(dir) && !fs::is_empty(dir)) {
    fprintf(stderr,
            "trove-bench-ingest: --data %s is not empty; the benchmark needs fresh stores\n",
            dir.c_str());
    return 1;
  }
  fs::create_directories(dir);
  printf("# trove-bench-ingest\n\ndata dir %s, %d threads, batches of %zu, %u hardware threads\n",
         dir.c_str(), flags.threads, flags.batch, std::thread::hardware_concurrency());
  fflush(stdout);

  std::vector<Figures> summary;
  if (flags.generated) summary.push_back(RunGenerated(flags, dir + "/generated"));
  if (flags.loghub_files) {
    printf("\nloghub: %s\n", loghub.c_str());
    for (Figures& f : RunLoghub(flags, loghub, dir)) summary.push_back(std::move(f));
  }
  PrintSummary(summary);
  if (!summary.empty() && !summary.front().peak_rss_reset) {
    printf("\n(peak RSS could not be reset between workloads: figures are process peaks)\n");
  }
  printf(
      "\nraw = JSON lines (ToJsonLine + newline); ingest = Append from all threads until the "
      "last ack, plus Flush() (durable + columnar + indexed); disk = every file under the "
      "store directory after Compact(), and again after closing and reopening the store.\n");

  if (temp && !flags.keep) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  } else {
    printf("kept %s\n", dir.c_str());
  }
  return 0;
}
