// Admission control (server/admission.h) and the read-only health signal: each limit alone —
// exactly which call is refused, with what message, and that the refusal clears — first on an
// AdmissionControl, then over gRPC against a TroveServer on 127.0.0.1:0.
#include "server/admission.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "proto/trove.grpc.pb.h"
#include "server/config.h"
#include "server/server.h"
#include "tests/store_test_util.h"

namespace trove::server {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;
using Ticket = AdmissionControl::Ticket;

constexpr int64_t kSecond = 1'000'000'000;
constexpr auto kNoDeadline = std::chrono::system_clock::time_point::max();

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

AdmissionControl::Options SmallLimits() {
  AdmissionControl::Options o;
  o.max_concurrent_queries = 2;
  o.max_queued_queries = 1;
  o.queue_wait = 300ms;
  o.max_inflight_ingest_bytes = 100;
  o.max_tail_subscribers = 2;
  return o;
}

// ---- AdmissionControl alone ----------------------------------------------------------------

TEST(AdmissionTest, QueriesBeyondTheSlotsWaitInOrderThenAreRefusedNamingTheLimit) {
  AdmissionControl admission(SmallLimits());
  Ticket a, b;
  ASSERT_TRUE(admission.AdmitQuery(kNoDeadline, &a).ok());
  ASSERT_TRUE(admission.AdmitQuery(kNoDeadline, &b).ok());

  // The third waits for a slot; a fourth finds the queue (of 1) full and is refused at once.
  Ticket c;
  auto waiting =
      std::async(std::launch::async, [&] { return admission.AdmitQuery(kNoDeadline, &c); });
  while (admission.GetStats().queries_waiting == 0) std::this_thread::sleep_for(1ms);
  Ticket d;
  auto t0 = std::chrono::steady_clock::now();
  Status s = admission.AdmitQuery(kNoDeadline, &d);
  EXPECT_LT(MillisSince(t0), 100.0);
  ASSERT_TRUE(s.IsResourceExhausted()) << s.ToString();
  EXPECT_EQ(s.message(),
            "server busy: 2 queries running, 1 waiting (--max-concurrent-queries 2, "
            "--max-queued-queries 1); retry later");

  // A slot frees: the waiter gets it.
  a.Release();
  ASSERT_TRUE(waiting.get().ok());
  AdmissionControl::Stats st = admission.GetStats();
  EXPECT_EQ(st.queries_running, 2u);
  EXPECT_EQ(st.queries_waiting, 0u);

  // Nobody frees one: a waiter gives up after queue_wait.
  t0 = std::chrono::steady_clock::now();
  s = admission.AdmitQuery(kNoDeadline, &d);
  const double waited = MillisSince(t0);
  EXPECT_GE(waited, 290.0);
  EXPECT_LT(waited, 2000.0);
  ASSERT_TRUE(s.IsResourceExhausted());
  EXPECT_EQ(s.message(),
            "server busy: 2 queries running, 0 waiting, no slot within 300ms "
            "(--max-concurrent-queries 2, --queue-wait); retry later");
  // The call's deadline cuts the wait short.
  t0 = std::chrono::steady_clock::now();
  s = admission.AdmitQuery(std::chrono::system_clock::now() + 50ms, &d);
  EXPECT_LT(MillisSince(t0), 250.0);
  EXPECT_TRUE(s.IsResourceExhausted());

  // It clears: tickets give their slots back when they die.
  b.Release();
  c = Ticket();
  Ticket e, f;
  EXPECT_TRUE(admission.AdmitQuery(kNoDeadline, &e).ok());
  EXPECT_TRUE(admission.AdmitQuery(kNoDeadline, &f).ok());
  st = admission.GetStats();
  EXPECT_EQ(st.queries_admitted, 5u);
  EXPECT_EQ(st.rejected_queries_busy, 3u);
  EXPECT_EQ(st.rejected_queries_memory, 0u);
}

TEST(AdmissionTest, IngestBytesWaitForRoomAndALoneHugeRequestIsAdmitted) {
  AdmissionControl admission(SmallLimits());
  Ticket a, b, c;
  ASSERT_TRUE(admission.AdmitIngest(60, kNoDeadline, &a).ok());
  ASSERT_TRUE(admission.AdmitIngest(40, kNoDeadline, &b).ok());
  EXPECT_EQ(admission.GetStats().ingest_inflight_bytes, 100u);
  // 1 more byte does not fit: it waits queue_wait and is refused.
  Status s = admission.AdmitIngest(1, kNoDeadline, &c);
  ASSERT_TRUE(s.IsResourceExhausted());
  EXPECT_EQ(s.message(),
            "server busy: 100B of ingest requests in flight, this one 1B; no room within "
            "300ms (--max-inflight-ingest-bytes 100); retry later");
  // A waiter gets in as soon as room frees.
  auto waiting =
      std::async(std::launch::async, [&] { return admission.AdmitIngest(50, kNoDeadline, &c); });
  while (admission.GetStats().ingest_waiting == 0) std::this_thread::sleep_for(1ms);
  a.Release();
  ASSERT_TRUE(waiting.get().ok());
  EXPECT_EQ(admission.GetStats().ingest_inflight_bytes, 90u);

  // Larger than the whole budget: refused while anything is in flight, admitted alone.
  Ticket huge;
  EXPECT_TRUE(admission.AdmitIngest(500, kNoDeadline, &huge).IsResourceExhausted());
  b.Release();
  c.Release();
  ASSERT_TRUE(admission.AdmitIngest(500, kNoDeadline, &huge).ok());
  Ticket small;
  EXPECT_TRUE(admission.AdmitIngest(1, std::chrono::system_clock::now() + 20ms, &small)
                  .IsResourceExhausted());
  huge.Release();
  EXPECT_TRUE(admission.AdmitIngest(1, kNoDeadline, &small).ok());
  const AdmissionControl::Stats st = admission.GetStats();
  EXPECT_EQ(st.ingest_admitted, 5u);
  EXPECT_EQ(st.rejected_ingest_busy, 3u);
}

TEST(AdmissionTest, TailsAreCappedWithoutWaiting) {
  AdmissionControl admission(SmallLimits());
  Ticket a, b, c;
  ASSERT_TRUE(admission.AdmitTail(&a).ok());
  ASSERT_TRUE(admission.AdmitTail(&b).ok());
  Status s = admission.AdmitTail(&c);
  ASSERT_TRUE(s.IsResourceExhausted());
  EXPECT_EQ(s.message(), "server busy: 2 live tails running (--max-tail-subscribers); retry later");
  a = Ticket();
  EXPECT_TRUE(admission.AdmitTail(&c).ok());
  EXPECT_EQ(admission.GetStats().tail_subscribers, 2u);
  EXPECT_EQ(admission.GetStats().rejected_tails, 1u);
}

TEST(AdmissionTest, OverTheMemoryBudgetNewCallsAreRefusedAndRunningOnesKeepTheirSlots) {
  std::atomic<uint64_t> rss{uint64_t{500} << 20};
  AdmissionControl::Options o = SmallLimits();
  o.memory_budget_bytes = uint64_t{1} << 30;
  o.rss = [&] { return rss.load(); };
  AdmissionControl admission(o);
  Ticket running;
  ASSERT_TRUE(admission.AdmitQuery(kNoDeadline, &running).ok());

  rss = uint64_t{910} << 20;  // under 90% of 1 GiB (921.6 MiB)
  admission.SampleMemory();
  EXPECT_FALSE(admission.over_memory_budget());
  rss = uint64_t{950} << 20;  // above it
  admission.SampleMemory();
  EXPECT_TRUE(admission.over_memory_budget());
  Ticket q, i;
  Status s = admission.AdmitQuery(kNoDeadline, &q);
  ASSERT_TRUE(s.IsResourceExhausted());
  EXPECT_EQ(s.message(), "memory budget: RSS 950MiB of 1GiB (--memory-budget); retry later");
  s = admission.AdmitIngest(10, kNoDeadline, &i);
  ASSERT_TRUE(s.IsResourceExhausted());
  EXPECT_EQ(s.message(), "memory budget: RSS 950MiB of 1GiB (--memory-budget); retry later");
  EXPECT_EQ(admission.GetStats().queries_running, 1u);  // the running query is left alone
  EXPECT_EQ(admission.GetStats().rss_bytes, uint64_t{950} << 20);

  // Just under the mark it clears (the watcher thread would see it within 50 ms).
  rss = uint64_t{910} << 20;
  const auto t0 = std::chrono::steady_clock::now();
  while (admission.over_memory_budget()) {
    ASSERT_LT(MillisSince(t0), 5000.0) << "the memory thread never resampled";
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(admission.AdmitQuery(kNoDeadline, &q).ok());
  EXPECT_TRUE(admission.AdmitIngest(10, kNoDeadline, &i).ok());
  const AdmissionControl::Stats st = admission.GetStats();
  EXPECT_EQ(st.rejected_queries_memory, 1u);
  EXPECT_EQ(st.rejected_ingest_memory, 1u);
  EXPECT_EQ(st.rejected_queries_busy, 0u);
  EXPECT_GT(st.peak_rss_bytes, 0u);  // the real VmHWM of this process
}

TEST(AdmissionTest, ResidentBytesReadsThisProcess) {
  const uint64_t before = ResidentBytes();
  ASSERT_GT(before, 1u << 20);
  // Touch 64 MiB: RSS and its peak grow by about that much.
  const size_t n = size_t{64} << 20;
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  memset(p, 1, n);
  EXPECT_GE(ResidentBytes(), before + n / 2);
  EXPECT_GE(PeakResidentBytes(), before + n / 2);
  munmap(p, n);
  EXPECT_LT(ResidentBytes(), before + n / 2);
}

// ---- settings ------------------------------------------------------------------------------

TEST(AdmissionConfigTest, DefaultsFlagsAndABudgetTooSmallForTheStoreNamesTheSettings) {
  ServerConfig c;
  EXPECT_EQ(c.max_concurrent_queries,
            std::max<uint64_t>(4, 2 * uint64_t{std::thread::hardware_concurrency()}));
  EXPECT_EQ(c.max_queued_queries, 64u);
  EXPECT_EQ(c.queue_wait_ns, kSecond);
  EXPECT_EQ(c.max_tail_subscribers, 64u);
  EXPECT_EQ(c.max_inflight_ingest_bytes, uint64_t{256} << 20);
  EXPECT_EQ(c.memory_budget_bytes, uint64_t{1} << 30);
  EXPECT_TRUE(ValidateServerConfig(c).ok());

  bool help = false;
  ASSERT_TRUE(
      ParseServerArgs({"--max-concurrent-queries", "3", "--max-queued-queries", "0", "--queue-wait",
                       "250ms", "--max-tail-subscribers", "5", "--max-inflight-ingest-bytes",
                       "64MiB", "--memory-budget", "512MiB", "--block-cache", "64MiB"},
                      &c, &help)
          .ok());
  EXPECT_EQ(c.max_concurrent_queries, 3u);
  EXPECT_EQ(c.max_queued_queries, 0u);
  EXPECT_EQ(c.queue_wait_ns, 250'000'000);
  EXPECT_EQ(c.max_tail_subscribers, 5u);
  EXPECT_EQ(c.max_inflight_ingest_bytes, uint64_t{64} << 20);
  EXPECT_EQ(c.memory_budget_bytes, uint64_t{512} << 20);
  EXPECT_EQ(c.block_cache_bytes, uint64_t{64} << 20);
  EXPECT_EQ(AdmissionSummary(c),
            "queries 3 at once, 0 waiting up to 250ms; ingest 64MiB in flight; tails 5; memory "
            "budget 512MiB, block cache 64MiB");
  ServerConfig f;
  ASSERT_TRUE(
      ApplyConfigText("memory_budget = 0\nmax_concurrent_queries = 9\n", "t.conf", &f).ok());
  EXPECT_EQ(f.memory_budget_bytes, 0u);
  EXPECT_EQ(f.max_concurrent_queries, 9u);

  auto error = [](std::vector<std::string> args) {
    ServerConfig c;
    bool help = false;
    return ParseServerArgs(args, &c, &help).message();
  };
  EXPECT_EQ(error({"--memory-budget", "300MiB"}),
            "memory-budget 300MiB is smaller than what the store is configured to hold: "
            "block-cache 256MiB + write buffer 64MiB (flush-bytes, at least the store's 64MiB "
            "backpressure limit) + max-inflight-ingest-bytes 256MiB = 576MiB; raise "
            "memory-budget or lower those (memory-budget 0 turns the budget off)");
  EXPECT_EQ(error({"--memory-budget", "300MiB", "--block-cache", "0", "--max-inflight-ingest-bytes",
                   "200MiB"}),
            "");
  EXPECT_NE(error({"--max-concurrent-queries", "0"}).find("--max-concurrent-queries '0'"),
            std::string::npos);
  EXPECT_NE(error({"--queue-wait", "soon"}).find("--queue-wait 'soon'"), std::string::npos);
  EXPECT_NE(error({"--max-queued-queries", "99999"}).find("at most 4096"), std::string::npos);
  for (const char* flag : {"--max-concurrent-queries", "--max-queued-queries", "--queue-wait",
                           "--max-tail-subscribers", "--max-inflight-ingest-bytes",
                           "--memory-budget", "--block-cache"}) {
    EXPECT_NE(ServerUsage().find(flag), std::string::npos) << flag;
  }
}

// ---- over gRPC -----------------------------------------------------------------------------

std::unique_ptr<grpc::ClientContext> Context(std::chrono::seconds timeout = 30s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

std::string RetryAfter(const grpc::ClientContext& ctx) {
  auto it = ctx.GetServerTrailingMetadata().find("retry-after-ms");
  if (it == ctx.GetServerTrailingMetadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class AdmissionServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = dir_.path();
    config_.listen = "127.0.0.1:0";
    config_.query_threads = 2;
    config_.shutdown_grace_ns = 2 * kSecond;
    config_.max_concurrent_queries = 1;
    config_.max_queued_queries = 0;
    config_.queue_wait_ns = 200'000'000;
    config_.max_inflight_ingest_bytes = 1 << 20;
    config_.max_tail_subscribers = 1;
    config_.memory_budget_bytes = 0;  // tests that want it start their own server
  }

  void Start() {
    auto server = TroveServer::Start(config_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    trove_ = v1::Trove::NewStub(channel_);
    admin_ = v1::Admin::NewStub(channel_);
  }

  v1::IngestRequest Batch(const std::string& tag, int n) {
    v1::IngestRequest request;
    for (int i = 0; i < n; ++i) {
      v1::Event* e = request.add_events();
      e->set_time_ns(NowNs() - kSecond);
      e->set_service("adm");
      e->set_message(tag + " event " + std::to_string(i));
      e->set_trace_id(tag);
    }
    return request;
  }

  grpc::Status Ingest(const v1::IngestRequest& request, std::string* retry_after = nullptr) {
    v1::IngestResponse response;
    auto ctx = Context();
    grpc::Status s = trove_->Ingest(ctx.get(), request, &response);
    if (retry_after != nullptr) *retry_after = RetryAfter(*ctx);
    return s;
  }

  grpc::Status Search(const std::string& query, std::string* retry_after = nullptr) {
    v1::SearchRequest request;
    request.set_query(query);
    auto ctx = Context();
    auto reader = trove_->Search(ctx.get(), request);
    v1::SearchResponse response;
    while (reader->Read(&response)) {
    }
    grpc::Status s = reader->Finish();
    if (retry_after != nullptr) *retry_after = RetryAfter(*ctx);
    return s;
  }

  grpc::Status Aggregate(const std::string& query, v1::AggregateResponse* response = nullptr) {
    v1::AggregateRequest request;
    request.set_query(query);
    v1::AggregateResponse ignored;
    return trove_->Aggregate(Context().get(), request, response ? response : &ignored);
  }

  grpc::Status Trace(const std::string& id) {
    v1::GetTraceRequest request;
    request.set_trace_id(id);
    v1::GetTraceResponse response;
    return trove_->GetTrace(Context().get(), request, &response);
  }

  int64_t Count() {
    v1::AggregateResponse r;
    grpc::Status s = Aggregate("* | stats count() n", &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r.rows_size() == 1 ? r.rows(0).cells(0).int_value() : -1;
  }

  v1::StatsResponse Stats() {
    v1::StatsResponse response;
    grpc::Status s = admin_->Stats(Context().get(), v1::StatsRequest(), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  // grpc.health.v1.Health/Check of `service`: 1 SERVING, 2 NOT_SERVING, -1 on error.
  int Health(const std::string& service) {
    std::string request =
        service.empty() ? "" : "\x0a" + std::string(1, char(service.size())) + service;
    grpc::GenericStub stub(channel_);
    auto ctx = Context();
    grpc::CompletionQueue cq;
    grpc::Slice slice(request);
    auto call = stub.PrepareUnaryCall(ctx.get(), "/grpc.health.v1.Health/Check",
                                      grpc::ByteBuffer(&slice, 1), &cq);
    call->StartCall();
    grpc::ByteBuffer reply;
    grpc::Status status;
    call->Finish(&reply, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    if (!status.ok()) return -1;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (reply.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices)
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    // HealthCheckResponse{status = 1: enum}: "08 NN" (absent means UNKNOWN = 0).
    return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : 0;
  }

  // Polls until pred() or 10 s pass.
  template <typename Pred>
  bool Eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }

  TempDir dir_{"admission"};
  ServerConfig config_;
  std::unique_ptr<TroveServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Trove::Stub> trove_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

TEST_F(AdmissionServerTest, QueriesBeyondTheSlotsAreRefusedWithRetryAfterAndThenServed) {
  Start();
  ASSERT_TRUE(Ingest(Batch("q", 10)).ok());
  // The one slot is taken (as by a long query); nobody may wait.
  Ticket held;
  ASSERT_TRUE(server_->admission()->AdmitQuery(kNoDeadline, &held).ok());
  const std::string busy =
      "server busy: 1 query running, 0 waiting (--max-concurrent-queries 1, "
      "--max-queued-queries 0); retry later";
  std::string retry;
  grpc::Status s = Search("q", &retry);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(), busy);
  EXPECT_EQ(retry, "1000");
  s = Aggregate("* | stats count()");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(), busy);
  s = Trace("q");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Bad requests are answered as such without a slot; ingest and admin are not queries.
  EXPECT_EQ(Search("service:(").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Ingest(Batch("q2", 5)).ok());
  v1::StatsResponse st = Stats();
  EXPECT_EQ(st.admission().queries_running(), 1u);
  EXPECT_EQ(st.admission().rejected_queries_busy(), 3u);
  EXPECT_EQ(st.admission().max_concurrent_queries(), 1u);

  // The slot frees: every kind of query is served again.
  held.Release();
  EXPECT_TRUE(Search("q").ok());
  EXPECT_TRUE(Trace("q").ok());
  EXPECT_EQ(Count(), 15);

  // With one waiter allowed, a query waits for the slot and runs when it frees.
  server_.reset();
  config_.max_queued_queries = 1;
  config_.queue_wait_ns = 10 * kSecond;
  Start();
  ASSERT_TRUE(server_->admission()->AdmitQuery(kNoDeadline, &held).ok());
  auto waiting = std::async(std::launch::async, [&] { return Count(); });
  ASSERT_TRUE(Eventually([&] { return Stats().admission().queries_waiting() == 1; }));
  s = Search("q");  // the queue of one is full
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(),
            "server busy: 1 query running, 1 waiting (--max-concurrent-queries 1, "
            "--max-queued-queries 1); retry later");
  held.Release();
  EXPECT_EQ(waiting.get(), 15);
}

TEST_F(AdmissionServerTest, IngestBeyondTheInFlightBytesIsRefusedUnstoredThenAccepted) {
  Start();
  // 1 MiB of ingest is in flight (as by a big concurrent request).
  Ticket held;
  ASSERT_TRUE(server_->admission()->AdmitIngest(1 << 20, kNoDeadline, &held).ok());
  std::string retry;
  const auto t0 = std::chrono::steady_clock::now();
  grpc::Status s = Ingest(Batch("refused", 100), &retry);
  EXPECT_GE(MillisSince(t0), 190.0);  // it waited queue_wait for room
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message().rfind("server busy: 1MiB of ingest requests in flight, this one ", 0),
            0u)
      << s.error_message();
  EXPECT_NE(s.error_message().find(
                "KiB; no room within 200ms (--max-inflight-ingest-bytes 1MiB); retry later"),
            std::string::npos)
      << s.error_message();
  EXPECT_EQ(retry, "1000");
  // A stream is refused at its first message too.
  {
    v1::IngestResponse response;
    auto ctx = Context();
    auto stream = trove_->IngestStream(ctx.get(), &response);
    stream->Write(Batch("refused-stream", 10));
    stream->WritesDone();
    s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(s.error_message().find("--max-inflight-ingest-bytes"), std::string::npos);
  }
  EXPECT_EQ(Stats().admission().rejected_ingest_busy(), 2u);
  EXPECT_EQ(Count(), 0);  // nothing of a refused call was stored

  held.Release();
  EXPECT_TRUE(Ingest(Batch("accepted", 100)).ok());
  // A request larger than the whole budget goes through alone (it passed max-message-bytes).
  v1::IngestRequest big = Batch("big", 3);
  for (v1::Event& e : *big.mutable_events()) e.set_message(std::string(500 << 10, 'b'));
  ASSERT_GT(big.ByteSizeLong(), size_t{1} << 20);
  s = Ingest(big);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Count(), 103);
  const v1::StatsResponse st = Stats();
  EXPECT_EQ(st.admission().ingest_inflight_bytes(), 0u);
  EXPECT_EQ(st.admission().ingest_admitted(), 3u);  // the held ticket, then two calls
}

TEST_F(AdmissionServerTest, TailsBeyondTheCapAreRefusedUntilOneEnds) {
  Start();
  v1::TailRequest request;
  auto ctx1 = Context();
  auto first = trove_->Tail(ctx1.get(), request);
  first->WaitForInitialMetadata();
  auto ctx2 = Context();
  auto second = trove_->Tail(ctx2.get(), request);
  v1::TailResponse message;
  while (second->Read(&message)) {
  }
  grpc::Status s = second->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(),
            "server busy: 1 live tail running (--max-tail-subscribers); retry later");
  // Tails do not take query slots: a query still runs while the tail is open.
  EXPECT_EQ(Count(), 0);
  ctx1->TryCancel();
  while (first->Read(&message)) {
  }
  first->Finish();
  // The first tail's handler notices the cancel within its poll: then a new tail is admitted.
  ASSERT_TRUE(Eventually([&] { return Stats().admission().tail_subscribers() == 0; }));
  auto ctx3 = Context();
  auto third = trove_->Tail(ctx3.get(), request);
  third->WaitForInitialMetadata();
  EXPECT_EQ(Stats().admission().tail_subscribers(), 1u);
  EXPECT_EQ(Stats().admission().rejected_tails(), 1u);
  ctx3->TryCancel();
  while (third->Read(&message)) {
  }
  third->Finish();
}

TEST_F(AdmissionServerTest, OverTheMemoryBudgetIngestAndQueriesAreRefusedUntilMemoryIsFreed) {
  // This process is the server: its RSS is what the budget watches. A budget a little above
  // the current RSS, and a store configured to hold less than it.
  config_.block_cache_bytes = 0;
  config_.flush_bytes = 1 << 20;
  const uint64_t rss = ResidentBytes();
  // 1.5x leaves the current RSS well under the 90% mark.
  config_.memory_budget_bytes = ((std::max(rss, ConfiguredStoreMemory(config_)) * 3 / 2 >> 20) + 64)
                                << 20;
  Start();
  ASSERT_TRUE(Ingest(Batch("m", 10)).ok());
  EXPECT_FALSE(server_->admission()->over_memory_budget())
      << "RSS " << ResidentBytes() << " budget " << config_.memory_budget_bytes;

  // Touch the whole budget: RSS goes above 90% of it.
  const size_t n = config_.memory_budget_bytes;
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  memset(p, 1, n);
  // The watcher may have crossed the mark on a sample taken during the memset: wait for one
  // that saw all of it.
  ASSERT_TRUE(Eventually([&] {
    return server_->admission()->over_memory_budget() &&
           server_->admission()->GetStats().rss_bytes >= n;
  }));
  grpc::Status s = Ingest(Batch("m2", 10));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message().rfind("memory budget: RSS ", 0), 0u) << s.error_message();
  EXPECT_NE(s.error_message().find(" of " + FormatSize(config_.memory_budget_bytes) +
                                   " (--memory-budget); retry later"),
            std::string::npos)
      << s.error_message();
  s = Search("m");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message().rfind("memory budget: RSS ", 0), 0u);
  // Admin still answers (an operator must see why), and counts the refusals.
  v1::StatsResponse st = Stats();
  EXPECT_EQ(st.admission().rejected_ingest_memory(), 1u);
  EXPECT_EQ(st.admission().rejected_queries_memory(), 1u);
  EXPECT_GE(st.admission().rss_bytes(), n);
  EXPECT_GE(st.admission().peak_rss_bytes(), n);
  EXPECT_EQ(st.admission().memory_budget_bytes(), config_.memory_budget_bytes);

  munmap(p, n);
  ASSERT_TRUE(Eventually([&] { return !server_->admission()->over_memory_budget(); }));
  EXPECT_TRUE(Ingest(Batch("m3", 10)).ok());
  EXPECT_EQ(Count(), 20);
}

TEST_F(AdmissionServerTest, HealthOfIngestFollowsTheStoresReadOnlyMode) {
  config_.flush_age_ns = 50'000'000;
  Start();
  EXPECT_EQ(Health(""), 1);
  EXPECT_EQ(Health(kIngestHealthService), 1);
  v1::StatsResponse st = Stats();
  EXPECT_FALSE(st.read_only());
  EXPECT_EQ(st.recoveries(), 0u);

  // Segment files cannot be written (segments/ is a file now): the next background flush
  // fails and the store goes read-only.
  const std::string segments = dir_.path() + "/segments";
  std::filesystem::rename(segments, segments + ".away");
  { std::ofstream(segments) << "not a directory"; }
  ASSERT_TRUE(Ingest(Batch("ro", 10)).ok());
  ASSERT_TRUE(Eventually([&] { return Health(kIngestHealthService) == 2; }));
  EXPECT_EQ(Health(""), 1);  // reads work, so the server is serving
  EXPECT_EQ(Health("trove.v1.Trove"), 1);
  st = Stats();
  EXPECT_TRUE(st.read_only());
  EXPECT_FALSE(st.background_error().empty());
  EXPECT_NE(Ingest(Batch("ro2", 1)).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(Count(), 10);

  // Writes work again: the store recovers by itself, and so does health.
  std::filesystem::remove(segments);
  std::filesystem::rename(segments + ".away", segments);
  ASSERT_TRUE(Eventually([&] { return Health(kIngestHealthService) == 1; }));
  st = Stats();
  EXPECT_FALSE(st.read_only());
  EXPECT_EQ(st.recoveries(), 1u);
  EXPECT_TRUE(Ingest(Batch("ok", 1)).ok());
  EXPECT_EQ(Count(), 11);
}

TEST_F(AdmissionServerTest, GrpcLimitsFollowTheSettings) {
  EXPECT_EQ(GrpcThreadLimit(config_), 1 + 0 + 1 + kOtherCallThreads);
  EXPECT_EQ(GrpcMemoryLimit(config_), (uint64_t{1} << 20) + 2 * config_.max_message_bytes);
}

}  // namespace
}  // namespace trove::server
