// trove-crash-loop: a crash loop over gRPC. Starts troved on a fresh data directory with
// settings that make it flush, merge and archive all the time, has writer threads ingest
// batches of uniquely numbered events (Ingest and IngestStream), SIGKILLs troved at random
// moments while writes are in flight, restarts it on the same directory, and after the last
// cycle checks over gRPC that every acknowledged event is stored exactly once, that events sent
// without an answer are stored at most once (and batches all or nothing), that trace lookups
// find acknowledged batches, and that Admin.Stats tier totals add up.
//
//   trove-crash-loop --troved build/server/troved [--cycles N] [--seed S] [--writers W]
//                    [--min-kill-ms A] [--max-kill-ms B] [--rate EVENTS_PER_S]
//                    [--late-percent P] [--check-each-cycle] [--keep] [--work-dir DIR]
//                    [-- extra troved flags]
//
// --cycles defaults to $TROVE_CRASH_CYCLES, else 20. Exit status 0 when nothing was lost or
// duplicated and every check passed; 1 otherwise (the work directory is kept); 2 for usage.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "tests/crash/ledger.h"
#include "tests/crash/store_checker.h"
#include "tests/troved_process.h"

namespace trove::crash {

using harness::TrovedProcess;

namespace {

constexpr int64_t kMinuteNs = int64_t{60} * 1'000'000'000;
// With 1-minute partitions and --archive-after 5m: events of ordinary batches are up to 90 s
// old, so they stay hot and their partitions merge (4 inputs); "late" batches are 5-15 minutes
// old, so their segments are archived by the next maintenance pass (every 10 ms), and those of
// partitions that ended over 10 minutes ago are sealed (merges of any two).
// Late batches are a few percent: archived segments never merge, and every flush that holds a
// late event adds cold segments, each of which troved keeps open.
constexpr int64_t kRecentSpreadNs = 90 * int64_t{1'000'000'000};
constexpr int64_t kLateMinNs = 5 * kMinuteNs;
constexpr int64_t kLateSpreadNs = 10 * kMinuteNs;
constexpr int kStartTimeoutMs = 60'000;
constexpr int kRpcTimeoutMs = 20'000;

struct Options {
  std::string troved;
  int cycles = 20;
  uint64_t seed = 0;
  int writers = 3;
  int min_kill_ms = 20;
  int max_kill_ms = 800;
  int rate = 4000;        // events per second over all writers; 0 = as fast as they can
  int late_percent = 3;   // of batches, timestamped 5-15 minutes ago
  bool check_each_cycle = false;
  bool keep = false;
  std::string work_dir;
  std::vector<std::string> troved_flags;  // after "--"
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The channel writers use; null while troved is down. Thread-safe.
class Endpoint {
 public:
  void Set(std::shared_ptr<grpc::Channel> channel) {
    std::lock_guard<std::mutex> lock(mu_);
    channel_ = std::move(channel);
  }
  std::shared_ptr<grpc::Channel> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return channel_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<grpc::Channel> channel_;
};

struct WriterCounts {
  std::atomic<uint64_t> calls_ok{0};
  std::atomic<uint64_t> calls_failed{0};
  std::atomic<uint64_t> calls_refused{0};  // RESOURCE_EXHAUSTED
  std::atomic<uint64_t> rejected_events{0};
};

// One writer: batches of 1-100 events, by unary Ingest or a stream of 1-4 messages, each message
// with its own trace id. Retries never reuse ids: a retried batch that was stored before the
// kill would be a duplicate the client made, not the server.
void RunWriter(int writer, uint64_t seed, const Options* options, const Endpoint* endpoint,
               Ledger* ledger, WriterCounts* counts, const std::atomic<bool>* stop) {
  std::mt19937_64 rng(seed);
  uint64_t seq = 0;
  uint64_t events_sent = 0;
  auto make_message = [&](v1::IngestRequest* request, int64_t* first, int* n, std::string* trace) {
    *n = 1 + static_cast<int>(rng() % 100);
    events_sent += *n;
    *first = ledger->Reserve(*n);
    *trace = "cl-w" + std::to_string(writer) + "-" + std::to_string(seq++);
    const bool late = static_cast<int>(rng() % 100) < options->late_percent;
    const int64_t newest = NowNs() - (late ? kLateMinNs : 0);
    const uint64_t spread = late ? kLateSpreadNs : kRecentSpreadNs;
    for (int i = 0; i < *n; ++i) {
      const int64_t id = *first + i;
      v1::Event* e = request->add_events();
      e->set_time_ns(newest - static_cast<int64_t>(rng() % spread));
      e->set_service("svc-" + std::to_string(id % 7));
      e->set_level(static_cast<v1::Level>(1 + rng() % 6));
      e->set_host("host-" + std::to_string(writer));
      e->set_message("crash loop event " + std::to_string(id) + " from writer " +
                     std::to_string(writer) + " payload " + std::to_string(rng() % 100000));
      e->set_trace_id(*trace);
      e->set_span_id("s" + std::to_string(i));
      v1::Attribute* a = e->add_attributes();
      a->set_key("id");
      a->mutable_value()->set_int_value(id);
    }
  };
  // Pacing: each writer sends rate / writers events a second.
  const double events_per_second =
      options->rate > 0 ? static_cast<double>(options->rate) / options->writers : 0;
  auto paced_from = std::chrono::steady_clock::now();
  uint64_t paced_events = 0;
  while (!stop->load()) {
    if (events_per_second > 0) {
      const auto due = paced_from + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                        std::chrono::duration<double>(
                                            (events_sent - paced_events) / events_per_second));
      const auto now = std::chrono::steady_clock::now();
      if (due > now) {
        std::this_thread::sleep_until(due);
      } else if (now - due > std::chrono::seconds(1)) {
        paced_from = now;  // after downtime, no burst to catch up
        paced_events = events_sent;
      }
    }
    std::shared_ptr<grpc::Channel> channel = endpoint->Get();
    if (channel == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    auto stub = v1::Trove::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(kRpcTimeoutMs));
    v1::IngestResponse response;
    if (rng() % 4 != 0) {
      v1::IngestRequest request;
      int64_t first = 0;
      int n = 0;
      std::string trace;
      make_message(&request, &first, &n, &trace);
      grpc::Status s = stub->Ingest(&context, request, &response);
      if (s.ok()) {
        counts->calls_ok++;
        ledger->Settle(first, n, Fate::kAcked, trace);
        // Every event is valid: a rejection is a failure the verifier sees as a refused id.
        for (const v1::Rejection& r : response.rejections()) {
          counts->rejected_events++;
          ledger->SettleOne(first + static_cast<int64_t>(r.index()), Fate::kRefused);
        }
      } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        // "Nothing of that call was stored" (server/README.md): the verifier holds it to that.
        counts->calls_refused++;
        ledger->Settle(first, n, Fate::kRefused, trace);
      } else {
        counts->calls_failed++;
        ledger->Settle(first, n, Fate::kInDoubt, trace);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    } else {
      struct Sent {
        int64_t first;
        int n;
        std::string trace;
      };
      std::vector<Sent> sent;
      auto stream = stub->IngestStream(&context, &response);
      const int messages = 1 + static_cast<int>(rng() % 4);
      for (int m = 0; m < messages; ++m) {
        v1::IngestRequest request;
        Sent one{};
        make_message(&request, &one.first, &one.n, &one.trace);
        sent.push_back(one);
        if (!stream->Write(request)) break;
      }
      stream->WritesDone();
      grpc::Status s = stream->Finish();
      uint64_t total = 0;
      for (const Sent& one : sent) total += one.n;
      // A stream stores each message before reading the next, so after an error some messages
      // may be stored: all are in doubt.
      const bool ok = s.ok() && response.accepted() == total && response.rejected() == 0;
      if (s.ok() && !ok) counts->rejected_events += response.rejected();
      (ok ? counts->calls_ok : counts->calls_failed)++;
      for (const Sent& one : sent) {
        ledger->Settle(one.first, one.n, ok ? Fate::kAcked : Fate::kInDoubt, one.trace);
      }
      if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

bool ParseInt(const char* text, int64_t* out) {
  char* end = nullptr;
  *out = strtoll(text, &end, 10);
  return end != text && *end == '\0';
}

int Usage(const char* why) {
  fprintf(stderr,
          "trove-crash-loop: %s\n"
          "usage: trove-crash-loop --troved PATH [--cycles N] [--seed S] [--writers W]\n"
          "         [--min-kill-ms A] [--max-kill-ms B] [--rate EVENTS_PER_S] [--late-percent P]\n"
          "         [--check-each-cycle] [--keep] [--work-dir DIR] [-- extra troved flags]\n",
          why);
  return 2;
}

// Accumulated over all of troved's lives, from the Stats taken just before each kill.
struct ServerTotals {
  uint64_t flushes = 0, merges = 0, archived_segments = 0, maintenance_passes = 0;
  int stats_missed = 0;
  int max_open_files = 0;  // troved's descriptors, sampled before each kill
  void Add(const v1::StatsResponse& s) {
    flushes += s.flushes();
    merges += s.merges();
    archived_segments += s.maintenance().archived_segments();
    maintenance_passes += s.maintenance_passes();
  }
};

void PrintReport(const CheckReport& r) {
  printf("  stored %lld events; acknowledged %lld, lost %lld, duplicates %lld\n",
         static_cast<long long>(r.stored_events), static_cast<long long>(r.acked),
         static_cast<long long>(r.lost), static_cast<long long>(r.duplicates));
  printf("  in doubt %lld (stored %lld, absent %lld), torn batches %lld, unexpected %lld, "
         "traces checked %lld\n",
         static_cast<long long>(r.in_doubt), static_cast<long long>(r.in_doubt_stored),
         static_cast<long long>(r.in_doubt - r.in_doubt_stored),
         static_cast<long long>(r.torn_batches), static_cast<long long>(r.unexpected),
         static_cast<long long>(r.traces_checked));
  for (const std::string& f : r.failures) printf("  FAIL: %s\n", f.c_str());
}

int Run(const Options& options) {
  const auto started = std::chrono::steady_clock::now();
  std::string work = options.work_dir;
  if (work.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                          "/trove-crash-loop-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return Usage("cannot create a work directory");
    work = pattern;
  }
  std::filesystem::create_directories(work);
  printf("trove-crash-loop: seed %llu, %d cycles, %d writers, kill after %d-%d ms, work dir %s\n",
         static_cast<unsigned long long>(options.seed), options.cycles, options.writers,
         options.min_kill_ms, options.max_kill_ms, work.c_str());
  fflush(stdout);

  std::vector<std::string> flags = {"--data", work + "/data",
                                    "--partition", "1m",
                                    "--flush-bytes", "64KiB",
                                    "--flush-age", "50ms",
                                    "--archive-after", "5m",
                                    "--maintenance-interval", "10ms",
                                    "--max-result-rows", "1000000",
                                    "--query-threads", "2",
                                    "--shutdown-grace", "2s"};
  flags.insert(flags.end(), options.troved_flags.begin(), options.troved_flags.end());
  TrovedProcess troved(options.troved, flags, work + "/troved.log");

  std::vector<std::string> failures;
  auto fail = [&](std::string message) {
    fprintf(stderr, "trove-crash-loop: %s\n", message.c_str());
    failures.push_back(std::move(message));
  };
  Endpoint endpoint;
  Ledger ledger;
  WriterCounts counts;
  std::atomic<bool> stop{false};
  std::mt19937_64 rng(options.seed);
  ServerTotals totals;

  // Starts troved and waits for SERVING; returns the channel or null (after fail()).
  auto start = [&]() -> std::shared_ptr<grpc::Channel> {
    if (Status s = troved.Start(kStartTimeoutMs); !s.ok()) {
      fail("start: " + s.ToString());
      return nullptr;
    }
    auto channel = MakeChannel(troved.address());
    if (Status s = WaitServing(channel, kStartTimeoutMs); !s.ok()) {
      fail("health: " + s.ToString() + "\n" + troved.LogTail(20));
      return nullptr;
    }
    return channel;
  };
  auto check = [&](const std::shared_ptr<grpc::Channel>& channel, int traces) {
    StoreChecker checker(channel);
    auto report = checker.CheckAll(ledger.Fates(), ledger.Batches(), traces, &rng);
    if (!report.ok()) {
      fail("check: " + report.status().ToString());
      return CheckReport();
    }
    if (!report->failures.empty()) fail("check found " + report->failures[0]);
    return *report;
  };

  std::shared_ptr<grpc::Channel> channel = start();
  std::vector<std::thread> writers;
  if (channel != nullptr) {
    endpoint.Set(channel);
    for (int w = 0; w < options.writers; ++w) {
      writers.emplace_back(RunWriter, w, options.seed * 1000 + w + 1, &options, &endpoint,
                           &ledger, &counts, &stop);
    }
  }
  int cycles_run = 0;
  for (int cycle = 1; channel != nullptr && failures.empty() && cycle <= options.cycles;
       ++cycle) {
    const int delay = options.min_kill_ms +
                      static_cast<int>(rng() % (options.max_kill_ms - options.min_kill_ms + 1));
    const int64_t acked_before = ledger.acked();
    const auto kill_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay);
    while (std::chrono::steady_clock::now() < kill_at) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    totals.max_open_files = std::max(totals.max_open_files, troved.OpenFiles());
    // Stats just before the kill: what this life of troved did.
    if (auto stats = StoreChecker(channel).Stats(100); stats.ok()) {
      totals.Add(*stats);
    } else {
      ++totals.stats_missed;
    }
    if (Status s = troved.CheckAlive(); !s.ok()) {
      fail("cycle " + std::to_string(cycle) + ": " + s.ToString());
      break;
    }
    troved.Kill();
    endpoint.Set(nullptr);
    ++cycles_run;
    const int64_t acked_in_cycle = ledger.acked() - acked_before;
    channel = start();
    if (channel == nullptr) break;
    if (options.check_each_cycle) {
      // Writers are paused (no endpoint), so the store is quiet apart from background work.
      CheckReport r = check(channel, 3);
      printf("cycle %d: killed after %d ms, %lld acknowledged this cycle, store holds %lld\n",
             cycle, delay, static_cast<long long>(acked_in_cycle),
             static_cast<long long>(r.stored_events));
    } else {
      auto stored = StoreChecker(channel).CountEvents();
      if (!stored.ok()) {
        fail("count after restart: " + stored.status().ToString());
      } else if (*stored < ledger.acked() || *stored > ledger.reserved()) {
        fail("cycle " + std::to_string(cycle) + ": store holds " + std::to_string(*stored) +
             " events; acknowledged " + std::to_string(ledger.acked()) + ", sent " +
             std::to_string(ledger.reserved()));
      }
      printf("cycle %d: killed after %d ms, %lld acknowledged this cycle, store holds %lld\n",
             cycle, delay, static_cast<long long>(acked_in_cycle),
             static_cast<long long>(stored.ok() ? *stored : -1));
    }
    fflush(stdout);
    endpoint.Set(channel);
  }
  // A little writing on the last, recovered server, then quiet.
  if (channel != nullptr && failures.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(options.min_kill_ms));
  }
  stop = true;
  for (std::thread& t : writers) t.join();
  endpoint.Set(nullptr);

  CheckReport final_report;
  if (channel != nullptr && troved.running()) {
    final_report = check(channel, 20);
    // After a flush everything is in segments; the totals must not move.
    StoreChecker checker(channel);
    if (Status s = checker.Flush(); !s.ok()) fail("flush: " + s.ToString());
    auto stored = checker.CountEvents();
    auto stats = checker.Stats(kRpcTimeoutMs);
    if (!stored.ok() || !stats.ok()) {
      fail("after flush: count or stats failed");
    } else if (*stored != final_report.stored_events || stats->buffered_events() != 0 ||
               stats->segment_rows() != static_cast<uint64_t>(*stored)) {
      fail("after flush: count " + std::to_string(*stored) + ", segment_rows " +
           std::to_string(stats->segment_rows()) + ", buffered " +
           std::to_string(stats->buffered_events()) + "; before: " +
           std::to_string(final_report.stored_events));
    } else {
      totals.Add(*stats);
      final_report.hot_segments = stats->hot().segments();
      final_report.cold_segments = stats->cold().segments();
    }
    channel.reset();
    if (Status s = troved.Stop(30'000); !s.ok()) fail("clean shutdown: " + s.ToString());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  printf("trove-crash-loop: %d cycles in %.1f s (seed %llu)\n", cycles_run, seconds,
         static_cast<unsigned long long>(options.seed));
  printf("  ingest calls: %llu ok, %llu failed (in doubt), %llu refused; %lld ids sent\n",
         static_cast<unsigned long long>(counts.calls_ok.load()),
         static_cast<unsigned long long>(counts.calls_failed.load()),
         static_cast<unsigned long long>(counts.calls_refused.load()),
         static_cast<long long>(ledger.reserved()));
  printf("  server work: %llu flushes, %llu merges, %llu segments archived, %llu maintenance "
         "passes (Stats before each kill; %d missed)\n",
         static_cast<unsigned long long>(totals.flushes),
         static_cast<unsigned long long>(totals.merges),
         static_cast<unsigned long long>(totals.archived_segments),
         static_cast<unsigned long long>(totals.maintenance_passes), totals.stats_missed);
  printf("  troved open files: at most %d before a kill\n", totals.max_open_files);
  PrintReport(final_report);
  printf("  segments at end: hot %llu, cold %llu\n",
         static_cast<unsigned long long>(final_report.hot_segments),
         static_cast<unsigned long long>(final_report.cold_segments));
  if (counts.rejected_events > 0) {
    fail(std::to_string(counts.rejected_events.load()) + " valid events were rejected");
  }
  if (cycles_run < options.cycles && failures.empty()) fail("not every cycle ran");
  if (final_report.lost != 0 || final_report.duplicates != 0) fail("lost or duplicated events");
  if (failures.empty() && final_report.acked == 0) fail("nothing was acknowledged");
  if (!failures.empty()) {
    printf("FAIL (%zu problems; work dir kept: %s)\n", failures.size(), work.c_str());
    return 1;
  }
  printf("PASS\n");
  if (!options.keep) std::filesystem::remove_all(work);
  return 0;
}

}  // namespace
}  // namespace trove::crash

int main(int argc, char** argv) {
  using trove::crash::ParseInt;
  using trove::crash::Usage;
  trove::crash::Options options;
  options.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  if (const char* env = getenv("TROVE_CRASH_CYCLES"); env != nullptr && *env != '\0') {
    options.cycles = atoi(env);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      options.troved_flags.assign(argv + i + 1, argv + argc);
      break;
    }
    if (arg == "--check-each-cycle") {
      options.check_each_cycle = true;
      continue;
    }
    if (arg == "--keep") {
      options.keep = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(("missing value for " + arg).c_str());
    const char* value = argv[++i];
    int64_t n = 0;
    if (arg == "--troved") {
      options.troved = value;
    } else if (arg == "--work-dir") {
      options.work_dir = value;
    } else if (!ParseInt(value, &n) || n < 0) {
      return Usage((arg + " needs a non-negative integer").c_str());
    } else if (arg == "--cycles") {
      options.cycles = static_cast<int>(n);
    } else if (arg == "--seed") {
      options.seed = static_cast<uint64_t>(n);
    } else if (arg == "--writers") {
      options.writers = static_cast<int>(n);
    } else if (arg == "--min-kill-ms") {
      options.min_kill_ms = static_cast<int>(n);
    } else if (arg == "--max-kill-ms") {
      options.max_kill_ms = static_cast<int>(n);
    } else if (arg == "--rate") {
      options.rate = static_cast<int>(n);
    } else if (arg == "--late-percent") {
      options.late_percent = static_cast<int>(n);
    } else {
      return Usage(("unknown flag " + arg).c_str());
    }
  }
  if (options.troved.empty()) return Usage("--troved is required");
  if (options.writers < 1 || options.cycles < 1 || options.max_kill_ms < options.min_kill_ms) {
    return Usage("need --writers >= 1, --cycles >= 1, --max-kill-ms >= --min-kill-ms");
  }
  return trove::crash::Run(options);
}
