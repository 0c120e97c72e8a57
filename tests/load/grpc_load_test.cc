// trove-load-test: many concurrent clients against one troved for a bounded time (issue 7,
// "limits under load"). Starts troved with a small memory budget and few query slots, then for
// --seconds runs --clients client threads: half ingest 1000-event batches of uniquely numbered
// events (unary Ingest and IngestStream), half query a mix that includes expensive scans
// (regex over every message, count_uniq, per-second buckets, big limits, GetTrace of known and
// unknown IDs). Every call's gRPC code and latency is recorded.
//
// It checks, and prints what it measured:
//   * troved never died during the load, and shuts down cleanly after it;
//   * every call ended OK or RESOURCE_EXHAUSTED (queries also DEADLINE_EXCEEDED);
//   * both ingest and queries had successes;
//   * every acknowledged id is stored exactly once and no refused id is stored (checked after
//     a restart, as the crash loop does: tests/crash/store_checker.h);
//   * troved's peak RSS (VmHWM, from Admin.Stats) stayed within the memory budget;
//   * the slowest call of each class stayed within a bound derived from the settings: queue
//     wait + query time limit (+ the store's 5 s backpressure stall for ingest) + slack. It is
//     a bound, not a speed claim.
//
//   trove-load-test --troved build/server/troved [--seconds S] [--clients C] [--seed N]
//                   [--memory-budget SIZE] [--max-concurrent-queries N] [--keep]
//                   [--work-dir DIR] [-- extra troved flags]
//
// Exit status 0 when every check passed; 1 otherwise (the work directory is kept); 2 for usage.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "tests/crash/ledger.h"
#include "tests/crash/store_checker.h"
#include "tests/troved_process.h"

namespace trove::load {
namespace {

using crash::Fate;
using crash::Ledger;
using harness::TrovedProcess;
using Clock = std::chrono::steady_clock;

constexpr int kBatchEvents = 1000;
constexpr int kMaxStreamMessages = 2;
constexpr int kStartTimeoutMs = 60'000;
// troved settings of the run (and what the latency bounds derive from).
constexpr int kQueueWaitMs = 1000;
constexpr int kMaxQueryMs = 5000;
// StoreOptions::stall_timeout_ns: an append waits this long for flushing before backpressure.
constexpr int kStoreStallMs = 5000;
// Scheduling, streaming a big answer, a busy 2-core machine.
constexpr int kSlackMs = 5000;
// Client deadlines: a query's is past the server's limits, so a DEADLINE_EXCEEDED is the
// server stopping the query; ingest's is past its bound, so a slow ingest shows as latency.
constexpr int kQueryDeadlineMs = kQueueWaitMs + kMaxQueryMs + 2000;
constexpr int kIngestDeadlineMs = 60'000;

// AddressSanitizer's shadow memory and quarantine count in RSS but are not the server's: a
// sanitizer build runs with a larger budget and reports peak RSS without checking it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

struct Options {
  std::string troved;
  double seconds = 8;
  int clients = 32;
  uint64_t seed = 0;
  std::string memory_budget = kSanitized ? "1GiB" : "512MiB";
  uint64_t memory_budget_bytes = uint64_t{kSanitized ? 1024 : 512} << 20;
  int max_concurrent_queries = 4;
  bool keep = false;
  std::string work_dir;
  std::vector<std::string> troved_flags;  // after "--"
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Why a call was refused, from its message (server/admission.cc, storage/store.cc wording).
enum Reason { kQueryBusy, kIngestBusy, kMemory, kStoreBackpressure, kTransport, kReasons };
const char* const kReasonNames[kReasons] = {"queries-busy", "ingest-busy", "memory",
                                            "store-backpressure", "grpc-transport"};

Reason ReasonOf(const std::string& message) {
  if (message.rfind("memory budget:", 0) == 0) return kMemory;
  if (message.find("running, ") != std::string::npos &&
      message.find("waiting") != std::string::npos) {
    return kQueryBusy;
  }
  if (message.find("ingest requests in flight") != std::string::npos) return kIngestBusy;
  if (message.find("ahead of flushing") != std::string::npos) return kStoreBackpressure;
  return kTransport;  // gRPC's own thread or memory quota
}

// What one class of calls did. Thread-safe.
class CallLog {
 public:
  void Add(grpc::StatusCode code, double ms, const std::string& message, const char* what) {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    latencies_ms_.push_back(ms);
    if (code == grpc::StatusCode::OK) {
      ++ok_;
    } else if (code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++rejected_[ReasonOf(message)];
    } else if (code == grpc::StatusCode::DEADLINE_EXCEEDED) {
      ++deadline_;
      if (!deadline_allowed_) AddOther(code, message, what);
    } else {
      AddOther(code, message, what);
    }
  }
  void set_deadline_allowed(bool allowed) { deadline_allowed_ = allowed; }

  uint64_t calls() const { return calls_; }
  uint64_t ok() const { return ok_; }
  uint64_t deadline() const { return deadline_; }
  uint64_t rejected(Reason r) const { return rejected_[r]; }
  uint64_t rejected_total() const {
    uint64_t n = 0;
    for (uint64_t r : rejected_) n += r;
    return n;
  }
  const std::vector<std::string>& others() const { return others_; }
  uint64_t other_count() const { return other_count_; }
  // The q-quantile of the latencies (ms); 0 without calls.
  double Percentile(double q) {
    std::lock_guard<std::mutex> lock(mu_);
    if (latencies_ms_.empty()) return 0;
    std::sort(latencies_ms_.begin(), latencies_ms_.end());
    const size_t i = static_cast<size_t>(q * static_cast<double>(latencies_ms_.size() - 1));
    return latencies_ms_[i];
  }
  double Max() { return Percentile(1.0); }

 private:
  void AddOther(grpc::StatusCode code, const std::string& message, const char* what) {
    ++other_count_;
    if (others_.size() < 10) {
      others_.push_back(std::string(what) + ": code " + std::to_string(static_cast<int>(code)) +
                        " " + message);
    }
  }
  std::mutex mu_;
  bool deadline_allowed_ = false;
  uint64_t calls_ = 0, ok_ = 0, deadline_ = 0, other_count_ = 0;
  uint64_t rejected_[kReasons] = {};
  std::vector<double> latencies_ms_;
  std::vector<std::string> others_;
};

double MillisSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::unique_ptr<grpc::ClientContext> Context(int timeout_ms) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  return context;
}

// Fills request with kBatchEvents events numbered from first. Messages carry a few words the
// query mix looks for; user ids repeat across a large range (count_uniq has work to do).
void MakeBatch(int client, int64_t first, const std::string& trace, std::mt19937_64* rng,
               v1::IngestRequest* request) {
  static const char* const kWords[] = {"alpha", "beta",  "cache", "timeout", "checkout",
                                       "abc",   "login", "query", "payment", "retry"};
  const int64_t now = NowNs();
  for (int i = 0; i < kBatchEvents; ++i) {
    const int64_t id = first + i;
    v1::Event* e = request->add_events();
    e->set_time_ns(now - static_cast<int64_t>((*rng)() % 90'000'000'000ull));
    e->set_service("svc-" + std::to_string(id % 23));
    e->set_level(static_cast<v1::Level>(1 + (*rng)() % 6));
    e->set_host("host-" + std::to_string(client));
    e->set_message("load event " + std::to_string(id) + " " + kWords[(*rng)() % 10] + " " +
                   kWords[(*rng)() % 10] + " user u" + std::to_string((*rng)() % 50000) + " took " +
                   std::to_string((*rng)() % 2000) + "ms");
    e->set_trace_id(trace);
    e->set_span_id("s" + std::to_string(i % 16));
    v1::Attribute* a = e->add_attributes();
    a->set_key("id");
    a->mutable_value()->set_int_value(id);
    a = e->add_attributes();
    a->set_key("user.id");
    a->mutable_value()->set_string_value("u" + std::to_string((*rng)() % 200000));
  }
}

// "(the stream's events before index N were handled" → N; 0 when absent.
int64_t HandledBefore(const std::string& message) {
  const std::string key = "events before index ";
  const size_t at = message.find(key);
  if (at == std::string::npos) return 0;
  return atoll(message.c_str() + at + key.size());
}

struct Shared {
  std::shared_ptr<grpc::Channel> channel;
  Ledger ledger;
  CallLog ingest, queries;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rejected_events{0};
  std::mutex traces_mu;
  std::vector<std::string> acked_traces;
};

void RunIngestClient(int client, uint64_t seed, Shared* shared) {
  std::mt19937_64 rng(seed);
  auto stub = v1::Trove::NewStub(shared->channel);
  uint64_t seq = 0;
  while (!shared->stop.load()) {
    const auto t0 = Clock::now();
    auto context = Context(kIngestDeadlineMs);
    v1::IngestResponse response;
    if (rng() % 4 != 0) {
      v1::IngestRequest request;
      const int64_t first = shared->ledger.Reserve(kBatchEvents);
      const std::string trace = "ld-c" + std::to_string(client) + "-" + std::to_string(seq++);
      MakeBatch(client, first, trace, &rng, &request);
      const grpc::Status s = stub->Ingest(context.get(), request, &response);
      shared->ingest.Add(s.error_code(), MillisSince(t0), s.error_message(), "Ingest");
      if (s.ok()) {
        shared->ledger.Settle(first, kBatchEvents, Fate::kAcked, trace);
        shared->rejected_events += response.rejected();
        std::lock_guard<std::mutex> lock(shared->traces_mu);
        shared->acked_traces.push_back(trace);
      } else {
        // RESOURCE_EXHAUSTED: nothing stored; anything else fails the run anyway.
        shared->ledger.Settle(first, kBatchEvents,
                              s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
                                  ? Fate::kRefused
                                  : Fate::kInDoubt,
                              trace);
      }
    } else {
      struct Sent {
        int64_t first;
        std::string trace;
      };
      std::vector<Sent> sent;
      auto stream = stub->IngestStream(context.get(), &response);
      const int messages = 1 + static_cast<int>(rng() % kMaxStreamMessages);
      for (int m = 0; m < messages; ++m) {
        v1::IngestRequest request;
        Sent one{shared->ledger.Reserve(kBatchEvents),
                 "ld-c" + std::to_string(client) + "-" + std::to_string(seq++)};
        MakeBatch(client, one.first, one.trace, &rng, &request);
        sent.push_back(one);
        if (!stream->Write(request)) break;
      }
      stream->WritesDone();
      const grpc::Status s = stream->Finish();
      shared->ingest.Add(s.error_code(), MillisSince(t0), s.error_message(), "IngestStream");
      // Each message is durable before the next is read; a refusal says how many events of
      // the stream were handled before it.
      const int64_t handled = s.ok() ? static_cast<int64_t>(sent.size()) * kBatchEvents
                              : s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
                                  ? HandledBefore(s.error_message())
                                  : -1;
      if (s.ok()) shared->rejected_events += response.rejected();
      for (size_t m = 0; m < sent.size(); ++m) {
        const int64_t end = static_cast<int64_t>(m + 1) * kBatchEvents;
        const Fate fate = handled < 0      ? Fate::kInDoubt
                          : end <= handled ? Fate::kAcked
                                           : Fate::kRefused;
        shared->ledger.Settle(sent[m].first, kBatchEvents, fate, sent[m].trace);
        if (fate == Fate::kAcked) {
          std::lock_guard<std::mutex> lock(shared->traces_mu);
          shared->acked_traces.push_back(sent[m].trace);
        }
      }
    }
  }
}

void RunQueryClient(int client, uint64_t seed, Shared* shared) {
  std::mt19937_64 rng(seed);
  auto stub = v1::Trove::NewStub(shared->channel);
  auto search = [&](const std::string& query, uint64_t limit) {
    const auto t0 = Clock::now();
    auto context = Context(kQueryDeadlineMs);
    v1::SearchRequest request;
    request.set_query(query);
    request.set_limit(limit);
    auto reader = stub->Search(context.get(), request);
    v1::SearchResponse response;
    while (reader->Read(&response)) {
    }
    const grpc::Status s = reader->Finish();
    shared->queries.Add(s.error_code(), MillisSince(t0), s.error_message(),
                        ("Search " + query).c_str());
  };
  auto aggregate = [&](const std::string& query) {
    const auto t0 = Clock::now();
    auto context = Context(kQueryDeadlineMs);
    v1::AggregateRequest request;
    request.set_query(query);
    v1::AggregateResponse response;
    const grpc::Status s = stub->Aggregate(context.get(), request, &response);
    shared->queries.Add(s.error_code(), MillisSince(t0), s.error_message(),
                        ("Aggregate " + query).c_str());
  };
  auto trace = [&](const std::string& id) {
    const auto t0 = Clock::now();
    auto context = Context(kQueryDeadlineMs);
    v1::GetTraceRequest request;
    request.set_trace_id(id);
    v1::GetTraceResponse response;
    const grpc::Status s = stub->GetTrace(context.get(), request, &response);
    shared->queries.Add(s.error_code(), MillisSince(t0), s.error_message(), "GetTrace");
  };
  while (!shared->stop.load()) {
    switch (rng() % 9) {
      case 0:
        search("~\"a.*b.*c\"", 10000);  // a regex over every message
        break;
      case 1:
        aggregate("* | stats count_uniq(user.id) users");
        break;
      case 2:
        aggregate("* | stats by (_time:1s) count()");
        break;
      case 3:
        search("*", 1'000'000);  // a huge limit (capped at max_result_rows)
        break;
      case 4:
        search("checkout payment", 5000);
        break;
      case 5:
        aggregate("* | stats by (service) count() n, quantile(0.99, id) p99");
        break;
      case 6: {
        std::string id = "no-such-trace-" + std::to_string(rng());
        {
          std::lock_guard<std::mutex> lock(shared->traces_mu);
          if (!shared->acked_traces.empty()) {
            id = shared->acked_traces[rng() % shared->acked_traces.size()];
          }
        }
        trace(id);
        break;
      }
      case 7:
        trace("unknown-" + std::to_string(client) + "-" + std::to_string(rng()));
        break;
      default:
        search("service:svc-3 level:error", 100);
        break;
    }
  }
}

// VmHWM of process pid (/proc/PID/status), in bytes; 0 when unreadable.
uint64_t PeakRss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

std::string Mib(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + "MiB"; }

bool ParseSizeArg(const std::string& text, uint64_t* out) {
  char* end = nullptr;
  const unsigned long long n = strtoull(text.c_str(), &end, 10);
  const std::string unit = end;
  uint64_t mult = 0;
  if (unit == "MiB" || unit == "M") mult = uint64_t{1} << 20;
  if (unit == "GiB" || unit == "G") mult = uint64_t{1} << 30;
  if (end == text.c_str() || mult == 0) return false;
  *out = n * mult;
  return true;
}

int Usage(const char* why) {
  fprintf(stderr,
          "trove-load-test: %s\n"
          "usage: trove-load-test --troved PATH [--seconds S] [--clients C] [--seed N]\n"
          "         [--memory-budget SIZE(MiB|GiB)] [--max-concurrent-queries N] [--keep]\n"
          "         [--work-dir DIR] [-- extra troved flags]\n",
          why);
  return 2;
}

int Run(const Options& options) {
  std::string work = options.work_dir;
  if (work.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/trove-load-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return Usage("cannot create a work directory");
    work = pattern;
  }
  std::filesystem::create_directories(work);
  const int ingesters = std::max(1, options.clients / 2);
  const int queriers = std::max(1, options.clients - ingesters);
  printf(
      "trove-load-test: seed %llu, %.1f s, %d clients (%d ingest, %d query), memory budget "
      "%s, %d query slots, work dir %s\n",
      static_cast<unsigned long long>(options.seed), options.seconds, options.clients, ingesters,
      queriers, options.memory_budget.c_str(), options.max_concurrent_queries, work.c_str());
  fflush(stdout);

  std::vector<std::string> failures;
  auto fail = [&](std::string message) {
    fprintf(stderr, "trove-load-test: FAIL: %s\n", message.c_str());
    failures.push_back(std::move(message));
  };

  // Flag, value pairs.
  // clang-format off
  std::vector<std::string> flags = {
      "--data", work + "/data",
      "--memory-budget", options.memory_budget,
      "--max-concurrent-queries", std::to_string(options.max_concurrent_queries),
      "--max-queued-queries", "16",
      "--queue-wait", std::to_string(kQueueWaitMs) + "ms",
      "--max-inflight-ingest-bytes", "64MiB",
      "--block-cache", "128MiB",
      // The store's flush working set is not under admission control; small flushes keep it
      // a small part of a small budget (with the default 32MiB, peak RSS ran ~520 MiB).
      "--flush-bytes", "8MiB",
      "--max-query-time", std::to_string(kMaxQueryMs) + "ms",
      "--query-threads", "2",
      "--shutdown-grace", "5s"};
  // clang-format on
  flags.insert(flags.end(), options.troved_flags.begin(), options.troved_flags.end());
  TrovedProcess troved(options.troved, flags, work + "/troved.log");
  if (Status s = troved.Start(kStartTimeoutMs); !s.ok()) {
    fail("start: " + s.ToString());
    return 1;
  }
  Shared shared;
  shared.channel = crash::MakeChannel(troved.address());
  if (Status s = crash::WaitServing(shared.channel, kStartTimeoutMs); !s.ok()) {
    fail("health: " + s.ToString());
    return 1;
  }
  shared.queries.set_deadline_allowed(true);

  // ---- the load ----
  const auto started = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < ingesters; ++c) {
    clients.emplace_back(RunIngestClient, c, options.seed * 1000 + c + 1, &shared);
  }
  for (int c = 0; c < queriers; ++c) {
    clients.emplace_back(RunQueryClient, c, options.seed * 1000 + 500 + c, &shared);
  }
  const auto until = started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.seconds));
  bool died = false;
  while (Clock::now() < until && !died) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (Status s = troved.CheckAlive(); !s.ok()) {
      fail("troved died under load: " + s.ToString());
      died = true;
    }
  }
  shared.stop = true;
  for (std::thread& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (!died) {
    if (Status s = troved.CheckAlive(); !s.ok()) {
      fail("troved died under load: " + s.ToString());
      died = true;
    }
  }

  // ---- what the server saw ----
  v1::StatsResponse stats;
  if (!died) {
    auto st = crash::StoreChecker(shared.channel).Stats(30'000);
    if (st.ok()) {
      stats = *st;
    } else {
      fail("Admin.Stats after the load: " + st.status().ToString());
    }
  }
  const v1::AdmissionStats& adm = stats.admission();
  // The kernel's high-water mark read from outside too, in case Stats could not be.
  const uint64_t peak_rss =
      std::max<uint64_t>(adm.peak_rss_bytes(), died ? 0 : PeakRss(troved.pid()));

  // ---- every acknowledged id exactly once: restart with room for the checker's queries ----
  crash::CheckReport report;
  if (!died) {
    if (Status s = troved.Stop(60'000); !s.ok())
      fail("clean shutdown after the load: " + s.ToString());
    TrovedProcess checker_troved(options.troved,
                                 {"--data", work + "/data", "--max-result-rows", "1000000",
                                  "--memory-budget", "0", "--query-threads", "2"},
                                 work + "/troved-check.log");
    if (Status s = checker_troved.Start(kStartTimeoutMs); !s.ok()) {
      fail("restart for the check: " + s.ToString());
    } else {
      auto channel = crash::MakeChannel(checker_troved.address());
      std::mt19937_64 rng(options.seed);
      if (Status s = crash::WaitServing(channel, kStartTimeoutMs); !s.ok()) {
        fail("health after restart: " + s.ToString());
      } else {
        auto r = crash::StoreChecker(channel).CheckAll(shared.ledger.Fates(),
                                                       shared.ledger.Batches(), 20, &rng);
        if (!r.ok()) {
          fail("check: " + r.status().ToString());
        } else {
          report = *r;
          for (const std::string& f : report.failures) fail("check: " + f);
        }
      }
      channel.reset();
      if (Status s = checker_troved.Stop(60'000); !s.ok())
        fail("checker shutdown: " + s.ToString());
    }
  }

  // ---- checks ----
  CallLog& in = shared.ingest;
  CallLog& q = shared.queries;
  for (const std::string& o : in.others()) fail("ingest call ended " + o);
  for (const std::string& o : q.others()) fail("query ended " + o);
  if (in.other_count() > in.others().size() || q.other_count() > q.others().size()) {
    fail(std::to_string(in.other_count() + q.other_count()) + " calls ended with other codes");
  }
  if (in.ok() == 0) fail("no ingest call succeeded");
  if (q.ok() == 0) fail("no query succeeded");
  if (shared.rejected_events > 0) {
    fail(std::to_string(shared.rejected_events.load()) + " valid events were rejected");
  }
  if (report.lost != 0 || report.duplicates != 0 || report.unexpected != 0) {
    fail("ids lost " + std::to_string(report.lost) + ", duplicated " +
         std::to_string(report.duplicates) + ", unexpected " + std::to_string(report.unexpected));
  }
  if (!died && report.acked == 0) fail("nothing was acknowledged");
  if (kSanitized) {
    printf("  (sanitizer build: peak RSS includes ASan's shadow memory; not checked)\n");
  } else if (peak_rss > options.memory_budget_bytes) {
    fail("troved's peak RSS " + Mib(peak_rss) + " is above the memory budget " +
         options.memory_budget);
  }
  const double ingest_bound_ms = kMaxStreamMessages * (kQueueWaitMs + kStoreStallMs) + kSlackMs;
  const double query_bound_ms = kQueueWaitMs + kMaxQueryMs + kSlackMs;
  if (in.Max() > ingest_bound_ms) {
    fail("slowest ingest call took " + std::to_string(static_cast<int>(in.Max())) + " ms; bound " +
         std::to_string(static_cast<int>(ingest_bound_ms)) + " ms");
  }
  if (q.Max() > query_bound_ms) {
    fail("slowest query took " + std::to_string(static_cast<int>(q.Max())) + " ms; bound " +
         std::to_string(static_cast<int>(query_bound_ms)) + " ms");
  }

  // ---- figures ----
  auto rejected = [](CallLog& log) {
    std::string out;
    for (int r = 0; r < kReasons; ++r) {
      if (log.rejected(static_cast<Reason>(r)) == 0) continue;
      out += (out.empty() ? "" : ", ") + std::to_string(log.rejected(static_cast<Reason>(r))) +
             " " + kReasonNames[r];
    }
    return out.empty() ? std::string("none") : out;
  };
  printf(
      "  ingest: %llu calls, %llu ok, rejected %llu (%s); latency ms p50 %.0f p99 %.0f max "
      "%.0f (bound %.0f)\n",
      static_cast<unsigned long long>(in.calls()), static_cast<unsigned long long>(in.ok()),
      static_cast<unsigned long long>(in.rejected_total()), rejected(in).c_str(),
      in.Percentile(0.5), in.Percentile(0.99), in.Max(), ingest_bound_ms);
  printf(
      "  queries: %llu calls, %llu ok, rejected %llu (%s), %llu deadline exceeded; latency ms "
      "p50 %.0f p99 %.0f max %.0f (bound %.0f)\n",
      static_cast<unsigned long long>(q.calls()), static_cast<unsigned long long>(q.ok()),
      static_cast<unsigned long long>(q.rejected_total()), rejected(q).c_str(),
      static_cast<unsigned long long>(q.deadline()), q.Percentile(0.5), q.Percentile(0.99), q.Max(),
      query_bound_ms);
  printf(
      "  troved admission stats: queries admitted %llu, busy %llu, memory %llu; ingest "
      "admitted %llu, busy %llu, memory %llu, store backpressure %llu\n",
      static_cast<unsigned long long>(adm.queries_admitted()),
      static_cast<unsigned long long>(adm.rejected_queries_busy()),
      static_cast<unsigned long long>(adm.rejected_queries_memory()),
      static_cast<unsigned long long>(adm.ingest_admitted()),
      static_cast<unsigned long long>(adm.rejected_ingest_busy()),
      static_cast<unsigned long long>(adm.rejected_ingest_memory()),
      static_cast<unsigned long long>(adm.rejected_store_backpressure()));
  printf(
      "  store: %lld events stored, %lld acknowledged ids checked (lost %lld, duplicates "
      "%lld, refused stored %lld), %lld traces checked\n",
      static_cast<long long>(report.stored_events), static_cast<long long>(report.acked),
      static_cast<long long>(report.lost), static_cast<long long>(report.duplicates),
      static_cast<long long>(report.unexpected), static_cast<long long>(report.traces_checked));
  printf(
      "figures: %d clients, %.1f s: calls %llu, ok %llu, rejected %llu (ingest: %s; queries: "
      "%s), query deadline exceeded %llu; ingest p50/p99/max %.0f/%.0f/%.0f ms, query "
      "p50/p99/max %.0f/%.0f/%.0f ms; events acknowledged %lld; peak RSS %s of %s budget\n",
      options.clients, seconds, static_cast<unsigned long long>(in.calls() + q.calls()),
      static_cast<unsigned long long>(in.ok() + q.ok()),
      static_cast<unsigned long long>(in.rejected_total() + q.rejected_total()),
      rejected(in).c_str(), rejected(q).c_str(), static_cast<unsigned long long>(q.deadline()),
      in.Percentile(0.5), in.Percentile(0.99), in.Max(), q.Percentile(0.5), q.Percentile(0.99),
      q.Max(), static_cast<long long>(shared.ledger.acked()), Mib(peak_rss).c_str(),
      options.memory_budget.c_str());
  if (!failures.empty()) {
    printf("FAIL (%zu problems; work dir kept: %s)\n", failures.size(), work.c_str());
    return 1;
  }
  printf("PASS\n");
  if (!options.keep) std::filesystem::remove_all(work);
  return 0;
}

}  // namespace
}  // namespace trove::load

int main(int argc, char** argv) {
  using trove::load::Usage;
  trove::load::Options options;
  options.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      options.troved_flags.assign(argv + i + 1, argv + argc);
      break;
    }
    if (arg == "--keep") {
      options.keep = true;
      continue;
    }
    if (i + 1 >= argc) return Usage(("missing value for " + arg).c_str());
    const std::string value = argv[++i];
    char* end = nullptr;
    if (arg == "--troved") {
      options.troved = value;
    } else if (arg == "--work-dir") {
      options.work_dir = value;
    } else if (arg == "--memory-budget") {
      options.memory_budget = value;
      if (!trove::load::ParseSizeArg(value, &options.memory_budget_bytes)) {
        return Usage("--memory-budget needs a size in MiB or GiB, e.g. 512MiB");
      }
    } else if (arg == "--seconds") {
      options.seconds = strtod(value.c_str(), &end);
      if (*end != '\0' || options.seconds <= 0) return Usage("--seconds needs a positive number");
    } else {
      const long long n = strtoll(value.c_str(), &end, 10);
      if (*end != '\0' || n < 0) return Usage((arg + " needs a non-negative integer").c_str());
      if (arg == "--clients") {
        options.clients = static_cast<int>(n);
      } else if (arg == "--seed") {
        options.seed = static_cast<uint64_t>(n);
      } else if (arg == "--max-concurrent-queries") {
        options.max_concurrent_queries = static_cast<int>(n);
      } else {
        return Usage(("unknown flag " + arg).c_str());
      }
    }
  }
  if (options.troved.empty()) return Usage("--troved is required");
  if (options.clients < 2 || options.max_concurrent_queries < 1) {
    return Usage("need --clients >= 2 and --max-concurrent-queries >= 1");
  }
  return trove::load::Run(options);
}
