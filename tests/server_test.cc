// troved over the wire: a TroveServer on 127.0.0.1:0 with a temporary store, driven through the
// generated gRPC stubs (and raw calls for health checking and reflection, whose protos are not
// installed). Also the server's parts that are easier to pin down alone: config parsing, status
// mapping, the tail hub and the cancel watcher; and the troved binary's signals and exit codes.
#include "server/server.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "proto/trove.grpc.pb.h"
#include "query/engine.h"
#include "server/cancel_watcher.h"
#include "server/config.h"
#include "server/convert.h"
#include "server/tail_hub.h"
#include "tests/store_test_util.h"

namespace trove::server {
namespace {

using testing::TempDir;
using testing::TestSeed;
using namespace std::chrono_literals;

constexpr int64_t kSecond = 1'000'000'000;
const int64_t kNow = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
// Event times: within the last two days, whole seconds.
const int64_t kBase = (kNow / kSecond - 2 * 24 * 3600) * kSecond;

v1::Event MakeEvent(int64_t time_ns, std::string service, v1::Level level, std::string message,
                    std::string trace_id = "") {
  v1::Event e;
  e.set_time_ns(time_ns);
  e.set_service(std::move(service));
  e.set_level(level);
  e.set_message(std::move(message));
  e.set_trace_id(std::move(trace_id));
  return e;
}

void AddAttr(v1::Event* e, const std::string& key, int64_t value) {
  auto* a = e->add_attributes();
  a->set_key(key);
  a->mutable_value()->set_int_value(value);
}

std::unique_ptr<grpc::ClientContext> Context(std::chrono::seconds timeout = 30s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = dir_.path();
    config_.listen = "127.0.0.1:0";
    config_.max_result_rows = 700;
    config_.max_batch_events = 5000;
    config_.query_threads = 2;
    config_.shutdown_grace_ns = 2 * kSecond;
    StartServer();
  }

  void StartServer() {
    auto server = TroveServer::Start(config_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    trove_ = v1::Trove::NewStub(channel_);
    admin_ = v1::Admin::NewStub(channel_);
  }

  void Restart() {
    ASSERT_TRUE(server_->Shutdown().ok());
    server_.reset();
    StartServer();
  }

  v1::IngestResponse Ingest(const std::vector<v1::Event>& events, grpc::Status* status = nullptr) {
    v1::IngestRequest request;
    for (const v1::Event& e : events) *request.add_events() = e;
    v1::IngestResponse response;
    grpc::Status s = trove_->Ingest(Context().get(), request, &response);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return response;
  }

  // Every event of a search, with the streamed messages in *messages when given.
  std::vector<v1::Event> Search(const std::string& query, uint64_t limit = 0,
                                grpc::Status* status = nullptr,
                                std::vector<v1::SearchResponse>* messages = nullptr,
                                bool explain = false) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_limit(limit);
    request.set_explain(explain);
    auto ctx = Context();
    auto reader = trove_->Search(ctx.get(), request);
    std::vector<v1::Event> events;
    v1::SearchResponse response;
    while (reader->Read(&response)) {
      for (const v1::Event& e : response.events()) events.push_back(e);
      if (messages != nullptr) messages->push_back(response);
    }
    grpc::Status s = reader->Finish();
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << query << ": " << s.error_message();
    }
    return events;
  }

  v1::AggregateResponse Aggregate(const std::string& query, grpc::Status* status = nullptr) {
    v1::AggregateRequest request;
    request.set_query(query);
    request.set_explain(true);
    v1::AggregateResponse response;
    grpc::Status s = trove_->Aggregate(Context().get(), request, &response);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << query << ": " << s.error_message();
    }
    return response;
  }

  void Flush() {
    v1::FlushResponse response;
    grpc::Status s = admin_->Flush(Context().get(), v1::FlushRequest(), &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  uint64_t CountAll() {
    auto table = Aggregate("* | stats count() n");
    if (table.rows_size() != 1) return ~uint64_t{0};
    return static_cast<uint64_t>(table.rows(0).cells(0).int_value());
  }

  v1::StatsResponse Stats() {
    v1::StatsResponse response;
    grpc::Status s = admin_->Stats(Context().get(), v1::StatsRequest(), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  std::vector<v1::SegmentInfo> Segments() {
    v1::ListSegmentsResponse response;
    grpc::Status s = admin_->ListSegments(Context().get(), v1::ListSegmentsRequest(), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {response.segments().begin(), response.segments().end()};
  }

  v1::ArchiveResponse Archive() {
    v1::ArchiveResponse response;
    grpc::Status s = admin_->Archive(Context().get(), v1::ArchiveRequest(), &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::GetTraceResponse Trace(const std::string& id) {
    v1::GetTraceRequest request;
    request.set_trace_id(id);
    v1::GetTraceResponse response;
    grpc::Status s = trove_->GetTrace(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  // With tiering on, the store runs its first background maintenance pass right after it
  // opens; tests that count what Archive does wait for that pass so it cannot take their work.
  void WaitForFirstMaintenancePass() {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (Stats().maintenance_passes() == 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no maintenance pass in 10 s";
      std::this_thread::sleep_for(10ms);
    }
  }

  TempDir dir_{"server"};
  ServerConfig config_;
  std::unique_ptr<TroveServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Trove::Stub> trove_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

// ---- raw calls for services without installed protos ----

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// One unary call of `method` with a serialized request.
grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  auto ctx = Context();
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(ctx.get(), method, ToBuffer(request), &cq);
  call->StartCall();
  grpc::ByteBuffer reply;
  grpc::Status status;
  call->Finish(&reply, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  EXPECT_TRUE(cq.Next(&tag, &ok));
  *response = ToString(reply);
  return status;
}

// The occurrences of field `number` in a serialized message: a varint's value, or the bytes of
// a length-delimited field (a string or a nested message).
struct WireField {
  uint64_t varint = 0;
  std::string bytes;
};
std::vector<WireField> Fields(const std::string& message, int number) {
  google::protobuf::UnknownFieldSet set;
  EXPECT_TRUE(set.ParseFromString(message));
  std::vector<WireField> out;
  for (int i = 0; i < set.field_count(); ++i) {
    const google::protobuf::UnknownField& f = set.field(i);
    if (f.number() != number) continue;
    WireField w;
    if (f.type() == google::protobuf::UnknownField::TYPE_VARINT) w.varint = f.varint();
    if (f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      w.bytes = f.length_delimited();
    }
    out.push_back(std::move(w));
  }
  return out;
}

// ---- ingest and search ----

TEST_F(ServerTest, IngestedEventsAreSearchableImmediatelyWithEveryField) {
  v1::Event full = MakeEvent(kBase + 30 * kSecond, "checkout", v1::LEVEL_ERROR,
                             "payment declined for order 42", "4bf92f3577b34da6a3ce929d0e0e4736");
  full.set_host("10.0.0.7");
  full.set_span_id("00f067aa0ba902b7");
  full.set_parent_span_id("b7ad6b7169203331");
  AddAttr(&full, "http.status", 502);
  auto* a = full.add_attributes();
  a->set_key("user.id");
  a->mutable_value()->set_string_value("u-17");
  a = full.add_attributes();
  a->set_key("latency_ms");
  a->mutable_value()->set_double_value(12.5);
  a = full.add_attributes();
  a->set_key("cached");
  a->mutable_value()->set_bool_value(true);
  v1::Event older = MakeEvent(kBase + 10 * kSecond, "api", v1::LEVEL_INFO, "GET /health 200");
  v1::Event untimed = MakeEvent(0, "api", v1::LEVEL_WARN, "no time given");

  const int64_t before = kNow;
  auto response = Ingest({full, older, untimed});
  EXPECT_EQ(response.accepted(), 3u);
  EXPECT_EQ(response.rejected(), 0u);

  auto events = Search("*");
  ASSERT_EQ(events.size(), 3u);
  // Newest first: the untimed event got its arrival time.
  EXPECT_EQ(events[0].message(), "no time given");
  EXPECT_GE(events[0].time_ns(), before);
  EXPECT_LE(events[0].time_ns(), before + 600 * kSecond);
  EXPECT_EQ(events[2].message(), "GET /health 200");
  const v1::Event& got = events[1];
  EXPECT_EQ(got.time_ns(), full.time_ns());
  EXPECT_EQ(got.service(), "checkout");
  EXPECT_EQ(got.level(), v1::LEVEL_ERROR);
  EXPECT_EQ(got.host(), "10.0.0.7");
  EXPECT_EQ(got.message(), full.message());
  EXPECT_EQ(got.trace_id(), full.trace_id());
  EXPECT_EQ(got.span_id(), full.span_id());
  EXPECT_EQ(got.parent_span_id(), full.parent_span_id());
  // Attributes come back sorted by key.
  ASSERT_EQ(got.attributes_size(), 4);
  EXPECT_EQ(got.attributes(0).key(), "cached");
  EXPECT_TRUE(got.attributes(0).value().bool_value());
  EXPECT_EQ(got.attributes(1).key(), "http.status");
  EXPECT_EQ(got.attributes(1).value().int_value(), 502);
  EXPECT_EQ(got.attributes(2).key(), "latency_ms");
  EXPECT_EQ(got.attributes(2).value().double_value(), 12.5);
  EXPECT_EQ(got.attributes(3).key(), "user.id");
  EXPECT_EQ(got.attributes(3).value().string_value(), "u-17");

  auto check = [&](const std::string& query, std::vector<std::string> want) {
    std::vector<std::string> messages;
    for (const v1::Event& e : Search(query)) messages.push_back(e.message());
    EXPECT_EQ(messages, want) << query;
  };
  check("", {"no time given", "payment declined for order 42", "GET /health 200"});
  check("\"payment declined\"", {"payment declined for order 42"});
  check("service:api", {"no time given", "GET /health 200"});
  check("http.status:>=500 level:error", {"payment declined for order 42"});
  check("user.id:=\"u-17\"", {"payment declined for order 42"});
  check("declined | fields _time, service", {""});
}

TEST_F(ServerTest, SearchStreamsBatchesAndCapsHugeLimits) {
  std::vector<v1::Event> batch;
  for (int i = 0; i < 1200; ++i) {
    batch.push_back(MakeEvent(kBase + i * kSecond, "svc" + std::to_string(i % 3), v1::LEVEL_INFO,
                              "request " + std::to_string(i)));
  }
  ASSERT_EQ(Ingest(batch).accepted(), 1200u);

  std::vector<v1::SearchResponse> messages;
  auto events = Search("request", 650, nullptr, &messages, /*explain=*/true);
  ASSERT_EQ(events.size(), 650u);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].events_size(), 500);
  EXPECT_FALSE(messages[0].done());
  EXPECT_EQ(messages[1].events_size(), 150);
  EXPECT_TRUE(messages[1].done());
  EXPECT_TRUE(messages[1].truncated());
  EXPECT_FALSE(messages[1].explain().plan().empty());
  EXPECT_EQ(messages[1].explain().matched_rows(), 1200u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].message(), "request " + std::to_string(1199 - i)) << i;
  }

  // A huge limit is capped at max_result_rows (700) and says so.
  messages.clear();
  events = Search("*", uint64_t{1} << 40, nullptr, &messages);
  EXPECT_EQ(events.size(), 700u);
  ASSERT_FALSE(messages.empty());
  EXPECT_TRUE(messages.back().done());
  EXPECT_TRUE(messages.back().truncated());
  // No limit: the default of 100.
  EXPECT_EQ(Search("*").size(), 100u);
  // The query's own limit asks for fewer.
  EXPECT_EQ(Search("* | limit 7", 650).size(), 7u);
  // No match: one message, done.
  messages.clear();
  EXPECT_TRUE(Search("nosuchword", 0, nullptr, &messages).empty());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].done());
  EXPECT_FALSE(messages[0].truncated());
}

TEST_F(ServerTest, AggregateTablesMatchCountsComputedFromTheIngestedEvents) {
  std::mt19937_64 rng(TestSeed());
  const std::vector<std::string> services = {"api", "auth", "cart", "checkout", "search", "web"};
  std::map<std::string, int64_t> by_service, errors_by_service;
  std::vector<v1::Event> batch;
  for (int i = 0; i < 3000; ++i) {
    const std::string& svc = services[rng() % services.size()];
    const auto level = static_cast<v1::Level>(1 + rng() % 6);
    batch.push_back(MakeEvent(kBase + static_cast<int64_t>(rng() % 86400) * kSecond, svc, level,
                              "event " + std::to_string(i)));
    ++by_service[svc];
    if (level == v1::LEVEL_ERROR) ++errors_by_service[svc];
  }
  ASSERT_EQ(Ingest(batch).accepted(), 3000u);

  auto table_of = [&](const std::string& query) {
    std::map<std::string, int64_t> out;
    auto response = Aggregate(query);
    EXPECT_FALSE(response.explain().plan().empty()) << query;
    for (const v1::Row& row : response.rows()) {
      EXPECT_EQ(row.cells_size(), 2) << query;
      if (row.cells_size() == 2) out[row.cells(0).string_value()] = row.cells(1).int_value();
    }
    return out;
  };
  auto response = Aggregate("* | stats by (service) count() n");
  ASSERT_EQ(response.columns_size(), 2);
  EXPECT_EQ(response.columns(0), "service");
  EXPECT_EQ(response.columns(1), "n");
  EXPECT_EQ(table_of("* | stats by (service) count() n"), by_service);
  EXPECT_EQ(table_of("level:error | stats by (service) count()"), errors_by_service);
  EXPECT_EQ(CountAll(), 3000u);

  // top 3: by count descending, then service ascending.
  std::vector<std::pair<int64_t, std::string>> ranked;
  for (const auto& [svc, n] : by_service) ranked.push_back({-n, svc});
  std::sort(ranked.begin(), ranked.end());
  response = Aggregate("* | top 3 by (service)");
  ASSERT_EQ(response.rows_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response.rows(i).cells(0).string_value(), ranked[i].second);
    EXPECT_EQ(response.rows(i).cells(1).int_value(), -ranked[i].first);
  }
  // Time buckets come back as times.
  response = Aggregate("* | stats by (_time:1d) count()");
  ASSERT_GE(response.rows_size(), 1);
  EXPECT_EQ(response.rows(0).cells(0).kind_case(), v1::Cell::kTimeNs);
  // A table larger than max_result_rows (700) is refused, not silently cut.
  grpc::Status status;
  Aggregate("* | stats by (_msg) count()", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
}

TEST_F(ServerTest, GetTraceReturnsEveryEventOfAnIdAcrossServicesInTimeOrder) {
  const std::string id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string other = "0af7651916cd43dd8448eb211c80319c";
  // Part of the trace in a segment, part still buffered; times shuffled across batches.
  std::vector<v1::Event> first = {
      MakeEvent(kBase + 5 * kSecond, "db", v1::LEVEL_INFO, "query orders", id),
      MakeEvent(kBase + 1 * kSecond, "gateway", v1::LEVEL_INFO, "POST /checkout", id),
      MakeEvent(kBase + 2 * kSecond, "gateway", v1::LEVEL_INFO, "other request", other),
  };
  ASSERT_EQ(Ingest(first).accepted(), 3u);
  Flush();
  std::vector<v1::Event> second = {
      MakeEvent(kBase + 9 * kSecond, "gateway", v1::LEVEL_INFO, "200 OK", id),
      MakeEvent(kBase + 3 * kSecond, "checkout", v1::LEVEL_ERROR, "card declined", id),
      MakeEvent(kBase + 4 * kSecond, "checkout", v1::LEVEL_INFO, "retrying", id),
  };
  ASSERT_EQ(Ingest(second).accepted(), 3u);

  v1::GetTraceRequest request;
  request.set_trace_id(id);
  v1::GetTraceResponse trace;
  grpc::Status s = trove_->GetTrace(Context().get(), request, &trace);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> messages;
  for (const v1::Event& e : trace.events()) {
    messages.push_back(e.message());
    EXPECT_EQ(e.trace_id(), id);
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"POST /checkout", "card declined", "retrying",
                                                "query orders", "200 OK"}));
  EXPECT_EQ(trace.start_ns(), kBase + 1 * kSecond);
  EXPECT_EQ(trace.end_ns(), kBase + 9 * kSecond);
  ASSERT_EQ(trace.services_size(), 3);
  EXPECT_EQ(trace.services(0).service(), "gateway");
  EXPECT_EQ(trace.services(0).events(), 2u);
  EXPECT_EQ(trace.services(1).service(), "checkout");
  EXPECT_EQ(trace.services(1).errors(), 1u);

  request.set_trace_id("ffffffffffffffffffffffffffffffff");
  trace.Clear();
  s = trove_->GetTrace(Context().get(), request, &trace);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(trace.events_size(), 0);

  request.set_trace_id("");
  s = trove_->GetTrace(Context().get(), request, &trace);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerTest, GetTraceOfMoreThanMaxResultRowsEventsReturnsTheFirstByTimeTruncated) {
  // 2,000 events of one trace (max_result_rows is 700): three segments and the buffer, with
  // times dealt round-robin so the first 700 by time come from all four.
  const std::string id = "big-trace";
  constexpr int kEvents = 2000, kSources = 4;
  std::vector<std::vector<v1::Event>> sources(kSources);
  for (int t = 0; t < kEvents; ++t) {
    v1::Event e = MakeEvent(kBase + t * 1'000'000, "svc" + std::to_string(t % 3), v1::LEVEL_INFO,
                            "e" + std::to_string(t), id);
    e.set_span_id("s" + std::to_string(t / 100));
    sources[t % kSources].push_back(std::move(e));
  }
  for (int i = 0; i < kSources; ++i) {
    // Newest first within a batch, so the time order is not the append order.
    std::reverse(sources[i].begin(), sources[i].end());
    ASSERT_EQ(Ingest(sources[i]).accepted(), sources[i].size());
    if (i + 1 < kSources) Flush();
  }
  ASSERT_GE(Segments().size(), 1u);  // (background merges may have joined them)

  v1::GetTraceResponse trace = Trace(id);
  EXPECT_TRUE(trace.truncated());
  ASSERT_EQ(trace.events_size(), 700);
  for (int t = 0; t < 700; ++t) {
    ASSERT_EQ(trace.events(t).message(), "e" + std::to_string(t)) << t;
  }
  // The views describe the events returned.
  EXPECT_EQ(trace.start_ns(), kBase);
  EXPECT_EQ(trace.end_ns(), kBase + 699 * 1'000'000);
  uint64_t in_services = 0;
  for (const v1::ServiceSummary& s : trace.services()) in_services += s.events();
  EXPECT_EQ(in_services, 700u);
  EXPECT_EQ(trace.spans_size(), 7);  // spans s0..s6 of 100 events each

  // The engine alone: any limit gives the full trace's prefix.
  query::QueryEngine engine;
  auto snapshot = server_->store()->GetSnapshot();
  auto full = engine.GetTrace(*snapshot, id);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ASSERT_EQ(full->events.size(), size_t{kEvents});
  EXPECT_FALSE(full->truncated);
  for (uint64_t limit : {1, 3, 499, 500, 501, 1999, 2000, 2001}) {
    query::QueryOptions options;
    options.max_trace_events = limit;
    auto cut = engine.GetTrace(*snapshot, id, options);
    ASSERT_TRUE(cut.ok()) << cut.status().ToString();
    EXPECT_EQ(cut->truncated, limit < kEvents) << limit;
    ASSERT_EQ(cut->events.size(), std::min<size_t>(limit, kEvents)) << limit;
    for (size_t i = 0; i < cut->events.size(); ++i) {
      ASSERT_EQ(cut->events[i], full->events[i]) << limit << " " << i;
    }
  }

  // At the limit exactly: everything, not truncated.
  std::vector<v1::Event> exact;
  for (int t = 0; t < 700; ++t) {
    exact.push_back(MakeEvent(kBase + t * kSecond, "svc", v1::LEVEL_INFO, "x", "exact-trace"));
  }
  ASSERT_EQ(Ingest(exact).accepted(), 700u);
  trace = Trace("exact-trace");
  EXPECT_FALSE(trace.truncated());
  EXPECT_EQ(trace.events_size(), 700);
  EXPECT_FALSE(Trace("no-such-trace").truncated());
}

TEST_F(ServerTest, TailDeliversOnlyMatchingEventsIngestedAfterSubscribing) {
  ASSERT_EQ(Ingest({MakeEvent(kBase, "api", v1::LEVEL_ERROR, "before subscribing")}).accepted(),
            1u);
  v1::TailRequest request;
  request.set_query("service:api level:error");
  auto ctx = Context();
  auto reader = trove_->Tail(ctx.get(), request);
  reader->WaitForInitialMetadata();  // the subscription is live

  std::vector<v1::Event> batch;
  std::vector<std::string> want;
  for (int i = 0; i < 30; ++i) {
    const bool match = i % 3 == 0;
    batch.push_back(MakeEvent(kBase + i * kSecond, match ? "api" : (i % 2 ? "web" : "api"),
                              match ? v1::LEVEL_ERROR : v1::LEVEL_INFO,
                              "tail " + std::to_string(i)));
    if (match) want.push_back("tail " + std::to_string(i));
  }
  batch.push_back(MakeEvent(kBase, "api", v1::LEVEL_ERROR, std::string(2 << 20, 'x')));  // rejected
  auto response = Ingest(batch);
  EXPECT_EQ(response.rejected(), 1u);

  std::vector<std::string> got;
  v1::TailResponse message;
  while (got.size() < want.size() && reader->Read(&message)) {
    EXPECT_EQ(message.dropped(), 0u);
    for (const v1::Event& e : message.events()) got.push_back(e.message());
  }
  EXPECT_EQ(got, want);
  // Nothing else arrives: a second, non-matching ingest, then one more match as a marker.
  Ingest({MakeEvent(kBase, "web", v1::LEVEL_ERROR, "not api"),
          MakeEvent(kBase, "api", v1::LEVEL_ERROR, "marker")});
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_EQ(message.events_size(), 1);
  EXPECT_EQ(message.events(0).message(), "marker");

  ctx->TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // A tail with pipes is refused.
  request.set_query("service:api | stats count()");
  auto ctx2 = Context();
  auto bad = trove_->Tail(ctx2.get(), request);
  while (bad->Read(&message)) {
  }
  EXPECT_EQ(bad->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerTest, RestartKeepsEverything) {
  const std::string id = "4bf92f3577b34da6a3ce929d0e0e4736";
  std::vector<v1::Event> batch;
  for (int i = 0; i < 300; ++i) {
    batch.push_back(MakeEvent(kBase + i * kSecond, i % 2 ? "api" : "web", v1::LEVEL_INFO,
                              "restart " + std::to_string(i), i % 50 == 0 ? id : ""));
  }
  ASSERT_EQ(Ingest({batch.begin(), batch.begin() + 200}).accepted(), 200u);
  Flush();  // some in segments, the rest only in the write-ahead buffer
  ASSERT_EQ(Ingest({batch.begin() + 200, batch.end()}).accepted(), 100u);
  auto before = Search("restart", 1000);
  auto table_before = Aggregate("* | stats by (service) count()");
  table_before.clear_explain();

  Restart();
  if (HasFatalFailure()) return;
  auto after = Search("restart", 1000);
  ASSERT_EQ(after.size(), 300u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString()) << i;
  }
  auto table_after = Aggregate("* | stats by (service) count()");
  table_after.clear_explain();
  ASSERT_EQ(table_after.rows_size(), 2);
  EXPECT_EQ(table_after.SerializeAsString(), table_before.SerializeAsString());
  v1::GetTraceRequest request;
  request.set_trace_id(id);
  v1::GetTraceResponse trace;
  ASSERT_TRUE(trove_->GetTrace(Context().get(), request, &trace).ok());
  EXPECT_EQ(trace.events_size(), 6);
}

TEST_F(ServerTest, ShutdownEndsTailsPromptlyAndFlushesTheBuffer) {
  config_.shutdown_grace_ns = 30 * kSecond;  // a tail left open would hold shutdown this long
  Restart();
  if (HasFatalFailure()) return;
  v1::TailRequest request;
  auto ctx = Context();
  auto reader = trove_->Tail(ctx.get(), request);
  reader->WaitForInitialMetadata();
  std::vector<v1::Event> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(MakeEvent(kBase + i * kSecond, "api", v1::LEVEL_INFO, "flushed at exit"));
  }
  ASSERT_EQ(Ingest(batch).accepted(), 10u);
  v1::TailResponse message;
  size_t seen = 0;
  while (seen < batch.size() && reader->Read(&message)) seen += message.events_size();
  EXPECT_EQ(seen, batch.size());

  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(server_->Shutdown().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  server_.reset();

  StoreOptions options;
  options.background = false;
  auto store = Store::Open(options, dir_.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->GetStats().segment_rows, 10u);
  EXPECT_EQ((*store)->GetStats().buffered_events, 0u);
}

// ---- bad input --------------------------------------------------------------------------------

TEST_F(ServerTest, BadInputIsRejectedClearlyAndTheServerKeepsServing) {
  uint64_t stored = 0;
  auto still_serving = [&](const char* after) {
    EXPECT_EQ(CountAll(), stored) << "after " << after;
  };

  // Invalid UTF-8 (a C++ client can send it; protobuf only logs) is stored with U+FFFD, though
  // the public message's own parser would refuse the request.
  v1::IngestRequest raw;
  *raw.add_events() = MakeEvent(kBase, "api", v1::LEVEL_INFO, "bad \xff\xfe utf8 \xe2\x82");
  EXPECT_FALSE(v1::IngestRequest().ParseFromString(raw.SerializeAsString()));
  auto r = Ingest({raw.events(0)});
  EXPECT_EQ(r.accepted(), 1u);
  stored += 1;
  auto events = Search("utf8");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message(), "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\xEF\xBF\xBD");
  still_serving("invalid UTF-8");

  // One oversized event, an attribute named like a built-in field, an attribute without a
  // value and an unknown level are rejected with reasons; the rest of the batch is stored.
  std::vector<v1::Event> batch = {
      MakeEvent(kBase, "api", v1::LEVEL_INFO, "kept one"),
      MakeEvent(kBase, "api", v1::LEVEL_INFO, std::string(2 << 20, 'x')),
      MakeEvent(kBase, "api", v1::LEVEL_INFO, "builtin attribute"),
      MakeEvent(kBase, "api", v1::LEVEL_INFO, "kept two"),
      MakeEvent(kBase, "api", v1::LEVEL_INFO, "valueless attribute"),
      MakeEvent(kBase, "api", static_cast<v1::Level>(42), "odd level"),
  };
  AddAttr(&batch[2], "service", 1);
  batch[4].add_attributes()->set_key("empty");
  r = Ingest(batch);
  EXPECT_EQ(r.accepted(), 2u);
  EXPECT_EQ(r.rejected(), 4u);
  ASSERT_EQ(r.rejections_size(), 4);
  auto check = [&](int i, uint64_t index, const std::string& words) {
    EXPECT_EQ(r.rejections(i).index(), index);
    EXPECT_NE(r.rejections(i).reason().find(words), std::string::npos) << r.rejections(i).reason();
  };
  check(0, 1, "limit is 1048576");
  check(1, 2, "built-in field");
  check(2, 4, "no value");
  check(3, 5, "level 42");
  stored += 2;
  EXPECT_EQ(Search("kept").size(), 2u);
  still_serving("rejected events");

  // A batch over max_batch_events (5000) is refused whole.
  std::vector<v1::Event> big(5001, MakeEvent(kBase, "api", v1::LEVEL_INFO, "too many"));
  grpc::Status status;
  Ingest(big, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("5000"), std::string::npos) << status.error_message();
  still_serving("an oversized batch");

  // Bytes that are no IngestRequest at all.
  std::string reply;
  status = RawUnary(channel_, "/trove.v1.Trove/Ingest", "\xff\xff\xff", &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  still_serving("a malformed request");

  // Query errors name the position.
  Search("service:(api", 0, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("position"), std::string::npos) << status.error_message();
  Aggregate("level:error", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("stats"), std::string::npos) << status.error_message();
  Search("* | stats count()", 0, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Search("~\"(unclosed\"", 0, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::SearchRequest backwards;
  backwards.set_query("*");
  backwards.mutable_range()->set_from_ns(kNow);
  backwards.mutable_range()->set_to_ns(kBase);
  auto ctx = Context();
  auto reader = trove_->Search(ctx.get(), backwards);
  v1::SearchResponse ignored;
  while (reader->Read(&ignored)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  still_serving("query errors");
}

TEST_F(ServerTest, IngestStreamCountsRejectionsAcrossTheStream) {
  v1::IngestResponse response;
  auto ctx = Context();
  auto writer = trove_->IngestStream(ctx.get(), &response);
  for (int m = 0; m < 3; ++m) {
    v1::IngestRequest request;
    for (int i = 0; i < 10; ++i) {
      const int index = m * 10 + i;
      const bool bad = index == 5 || index == 14 || index == 27;
      *request.add_events() = MakeEvent(kBase + index * kSecond, "api", v1::LEVEL_INFO,
                                        bad ? std::string(2 << 20, 'x') : "streamed");
    }
    ASSERT_TRUE(writer->Write(request));
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.accepted(), 27u);
  EXPECT_EQ(response.rejected(), 3u);
  ASSERT_EQ(response.rejections_size(), 3);
  EXPECT_EQ(response.rejections(0).index(), 5u);
  EXPECT_EQ(response.rejections(1).index(), 14u);
  EXPECT_EQ(response.rejections(2).index(), 27u);
  EXPECT_EQ(Search("streamed", 100).size(), 27u);

  // A message over the batch limit ends the stream; the error says what came before it.
  auto ctx2 = Context();
  auto writer2 = trove_->IngestStream(ctx2.get(), &response);
  v1::IngestRequest small, big;
  *small.add_events() = MakeEvent(kBase, "api", v1::LEVEL_INFO, "streamed");
  for (int i = 0; i < 5001; ++i) *big.add_events() = small.events(0);
  writer2->Write(small);
  writer2->Write(big);
  writer2->WritesDone();
  s = writer2->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("before index 1"), std::string::npos) << s.error_message();
  EXPECT_EQ(Search("streamed", 100).size(), 28u);
}

TEST_F(ServerTest, QueryTimeoutStopsTheQueryWithDeadlineExceeded) {
  // ~40 segments of long messages so a regex scan takes many milliseconds.
  const std::string filler(200, 'a');
  for (int b = 0; b < 8; ++b) {
    std::vector<v1::Event> batch;
    for (int i = 0; i < 5000; ++i) {
      const int n = b * 5000 + i;
      batch.push_back(MakeEvent(kBase + int64_t{n} * 4 * kSecond, "api", v1::LEVEL_INFO,
                                filler + " event " + std::to_string(n)));
    }
    ASSERT_EQ(Ingest(batch).accepted(), 5000u);
  }
  Flush();
  v1::AggregateRequest request;
  request.set_query("~\"a+b|a+c|a+d\" | stats count()");
  request.set_timeout_ms(1);
  v1::AggregateResponse response;
  grpc::Status s = trove_->Aggregate(Context().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
  // Without the timeout the same query completes.
  request.set_timeout_ms(0);
  s = trove_->Aggregate(Context().get(), request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.rows(0).cells(0).int_value(), 0);
}

// ---- admin, health, reflection, lifecycle ---------------------------------------------------

TEST_F(ServerTest, AdminReportsStatsSegmentsAndTieringSettings) {
  std::vector<v1::Event> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(MakeEvent(kBase + i * kSecond, "api", v1::LEVEL_INFO, "admin"));
  }
  ASSERT_EQ(Ingest(batch).accepted(), 100u);
  v1::StatsResponse stats;
  ASSERT_TRUE(admin_->Stats(Context().get(), v1::StatsRequest(), &stats).ok());
  EXPECT_EQ(stats.buffered_events() + stats.segment_rows(), 100u);
  EXPECT_EQ(stats.data_dir(), dir_.path());
  EXPECT_GT(stats.uptime_ns(), 0);

  Flush();
  ASSERT_TRUE(admin_->Stats(Context().get(), v1::StatsRequest(), &stats).ok());
  EXPECT_EQ(stats.buffered_events(), 0u);
  EXPECT_EQ(stats.segment_rows(), 100u);
  EXPECT_GE(stats.flushes(), 1u);
  v1::CompactResponse compacted;
  EXPECT_TRUE(admin_->Compact(Context().get(), v1::CompactRequest(), &compacted).ok());

  v1::ListSegmentsResponse segments;
  ASSERT_TRUE(admin_->ListSegments(Context().get(), v1::ListSegmentsRequest(), &segments).ok());
  ASSERT_GE(segments.segments_size(), 1);
  uint64_t rows = 0;
  for (const v1::SegmentInfo& seg : segments.segments()) {
    rows += seg.rows();
    EXPECT_EQ(seg.tier(), "hot");
    EXPECT_EQ(std::filesystem::file_size(seg.path()), seg.bytes());
    EXPECT_LE(seg.partition_start_ns(), seg.min_time_ns());
    EXPECT_LE(seg.min_time_ns(), seg.max_time_ns());
    EXPECT_GT(seg.raw_bytes(), 0u);
  }
  EXPECT_EQ(rows, 100u);

  // Default tiering: a cold tier in DATA/cold, archival after a week, no retention, no budget.
  // The events are two days old, so an Archive call has nothing to do.
  ASSERT_TRUE(admin_->Stats(Context().get(), v1::StatsRequest(), &stats).ok());
  EXPECT_EQ(stats.cold_tier(), "dir:" + dir_.path() + "/cold");
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() + "/cold"));
  EXPECT_EQ(stats.archive_after_ns(), 7 * 24 * 3600 * kSecond);
  EXPECT_EQ(stats.retention_ns(), 0);
  EXPECT_EQ(stats.max_disk_bytes(), 0u);
  EXPECT_EQ(stats.maintenance_interval_ns(), 60 * kSecond);
  EXPECT_EQ(stats.hot().rows(), 100u);
  EXPECT_EQ(stats.hot().segments(), stats.segments());
  EXPECT_EQ(stats.hot().bytes(), stats.segment_bytes());
  EXPECT_EQ(stats.cold().segments(), 0u);
  v1::ArchiveResponse archived = Archive();
  EXPECT_EQ(archived.counts().SerializeAsString(), v1::MaintenanceCounts().SerializeAsString());
  EXPECT_EQ(archived.segments_archived(), 0u);
  EXPECT_EQ(Stats().maintenance_error(), "");
  const std::vector<v1::SegmentInfo> after = Segments();
  ASSERT_EQ(after.size(), static_cast<size_t>(segments.segments_size()));
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(),
              segments.segments(static_cast<int>(i)).SerializeAsString());
  }
}

// ---- tiering ----------------------------------------------------------------------------------

constexpr int64_t kDay = 24 * 3600 * kSecond;

// What the tiering tests ask before and after segments move: every answer, serialized (the
// explain, which counts segments by tier and times the query, is left out).
struct Answers {
  std::vector<std::string> searches;
  std::vector<std::string> tables;
  std::vector<std::string> traces;
};

TEST_F(ServerTest, ArchiveMovesExactlyTheOldSegmentsColdAndAnswersStayTheSame) {
  TempDir cold("server-cold");
  config_.cold_dir = cold.path();
  config_.max_result_rows = 2000;
  config_.maintenance_interval_ns = 24 * 3600 * kSecond;  // only our Archive calls, after the first
  Restart();
  if (HasFatalFailure()) return;
  WaitForFirstMaintenancePass();
  if (HasFatalFailure()) return;

  // 600 events a month old over ~3.3 hours (4 partitions) and 400 from the last two days; one
  // trace spans both. Distinct times keep "newest first" a total order.
  const int64_t old_base = (kNow / kSecond - 30 * 24 * 3600) * kSecond;
  const std::string id = "0af7651916cd43dd8448eb211c80319c";
  const char* services[] = {"api", "web", "db"};
  const v1::Level levels[] = {v1::LEVEL_INFO, v1::LEVEL_WARN, v1::LEVEL_ERROR};
  std::vector<v1::Event> batch;
  for (int i = 0; i < 1000; ++i) {
    const bool old = i < 600;
    const int64_t t =
        old ? old_base + int64_t{i} * 20 * kSecond : kBase + int64_t{i} * 10 * kSecond;
    v1::Event e =
        MakeEvent(t, services[i % 3],
                  levels[i % 3 == 0   ? 0
                         : i % 5 == 0 ? 2
                                      : 1],
                  (old ? "archived " : "fresh ") + std::string("event ") + std::to_string(i),
                  i % 100 == 7 ? id : "");
    if (i % 100 == 7) e.set_span_id("s" + std::to_string(i));
    AddAttr(&e, "status", 200 + (i % 4) * 100);
    batch.push_back(std::move(e));
  }
  ASSERT_EQ(Ingest(batch).accepted(), batch.size());  // one batch: one flush, no merges
  Flush();

  // Which segments are old enough: their newest event is over 7 days old.
  std::set<uint64_t> old_ids, fresh_ids;
  for (const v1::SegmentInfo& seg : Segments()) {
    EXPECT_EQ(seg.tier(), "hot");
    (seg.max_time_ns() < kNow - 7 * kDay ? old_ids : fresh_ids).insert(seg.id());
  }
  ASSERT_GE(old_ids.size(), 4u);
  ASSERT_GE(fresh_ids.size(), 1u);
  uint64_t old_bytes = 0;
  for (const v1::SegmentInfo& seg : Segments()) {
    if (old_ids.count(seg.id())) old_bytes += seg.bytes();
  }

  const std::vector<std::string> searches = {"*",          "archived",         "level:error",
                                             "status:500", "service:db event", "fresh OR archived"};
  const std::vector<std::string> tables = {
      "* | stats by (service, level) count() n, avg(status) a",
      "* | stats by (_time:1d) count() n",
      "archived | top 3 by (service)",
  };
  auto answers = [&] {
    Answers a;
    for (const std::string& q : searches) {
      std::string all;
      for (const v1::Event& e : Search(q, 1000)) all += e.SerializeAsString();
      a.searches.push_back(all);
    }
    for (const std::string& q : tables) {
      v1::AggregateResponse table = Aggregate(q);
      table.clear_explain();
      a.tables.push_back(table.SerializeAsString());
    }
    a.traces.push_back(Trace(id).SerializeAsString());
    return a;
  };
  auto same = [](const Answers& got, const Answers& want, const char* when) {
    EXPECT_TRUE(got.searches == want.searches) << when;
    EXPECT_TRUE(got.tables == want.tables) << when;
    EXPECT_TRUE(got.traces == want.traces) << when;
  };
  const Answers before = answers();
  EXPECT_EQ(Search("*", 1000).size(), 1000u);
  EXPECT_EQ(Trace(id).events_size(), 10);

  const v1::ArchiveResponse archived = Archive();
  const v1::MaintenanceCounts& c = archived.counts();
  EXPECT_EQ(c.archived_segments(), old_ids.size());
  EXPECT_EQ(archived.segments_archived(), old_ids.size());
  EXPECT_EQ(c.archived_rows(), 600u);
  EXPECT_EQ(c.archived_hot_bytes(), old_bytes);
  EXPECT_GT(c.archived_cold_bytes(), 0u);
  EXPECT_EQ(c.dropped_partitions() + c.dropped_segments() + c.dropped_rows(), 0u);
  EXPECT_EQ(archived.partitions_dropped(), 0u);

  // Exactly the old segments moved, under their ids, into the configured directory.
  uint64_t cold_bytes = 0;
  for (const v1::SegmentInfo& seg : Segments()) {
    const bool old = old_ids.count(seg.id()) > 0;
    EXPECT_TRUE(old || fresh_ids.count(seg.id())) << seg.id();
    EXPECT_EQ(seg.tier(), old ? "cold" : "hot") << seg.id();
    EXPECT_EQ(seg.path().rfind(old ? cold.path() : dir_.path() + "/segments", 0), 0u) << seg.path();
    EXPECT_EQ(std::filesystem::file_size(seg.path()), seg.bytes()) << seg.path();
    if (old) cold_bytes += seg.bytes();
  }
  EXPECT_EQ(c.archived_cold_bytes(), cold_bytes);

  // Per-tier numbers add up to the totals.
  v1::StatsResponse stats = Stats();
  EXPECT_EQ(stats.cold().segments(), old_ids.size());
  EXPECT_EQ(stats.cold().rows(), 600u);
  EXPECT_EQ(stats.cold().bytes(), cold_bytes);
  EXPECT_EQ(stats.hot().segments(), fresh_ids.size());
  EXPECT_EQ(stats.hot().rows(), 400u);
  EXPECT_EQ(stats.hot().segments() + stats.cold().segments(), stats.segments());
  EXPECT_EQ(stats.hot().rows() + stats.cold().rows(), stats.segment_rows());
  EXPECT_EQ(stats.hot().bytes() + stats.cold().bytes(), stats.segment_bytes());
  EXPECT_EQ(stats.hot().raw_bytes() + stats.cold().raw_bytes(), stats.segment_raw_bytes());
  EXPECT_GT(stats.cold().raw_bytes(), 0u);
  EXPECT_GT(stats.cold_cache_bytes(), 0u);
  EXPECT_EQ(stats.cold_tier(), "dir:" + cold.path());
  EXPECT_EQ(stats.maintenance().archived_segments(), old_ids.size());
  EXPECT_EQ(stats.maintenance().archived_rows(), 600u);
  EXPECT_GE(stats.maintenance_passes(), 2u);
  EXPECT_EQ(stats.maintenance_error(), "");

  same(answers(), before, "after archival");
  // Explain says which segments came from the cold tier.
  std::vector<v1::SearchResponse> messages;
  Search("archived", 1000, nullptr, &messages, /*explain=*/true);
  ASSERT_FALSE(messages.empty());
  const v1::Explain& x = messages.back().explain();
  EXPECT_EQ(x.segments_cold(), old_ids.size());
  EXPECT_EQ(x.segments_hot() + x.segments_cold(), static_cast<uint64_t>(x.segments_read_size()));
  const std::string one_cold = "seg-" + [&] {
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(*old_ids.begin()));
    return std::string(hex);
  }() + ".trv (cold)";
  EXPECT_NE(std::find(x.segments_read().begin(), x.segments_read().end(), one_cold),
            x.segments_read().end())
      << x.DebugString();
  EXPECT_GT(Aggregate("archived | stats count()").explain().segments_cold(), 0u);

  // A second pass has nothing left to do.
  EXPECT_EQ(Archive().counts().archived_segments(), 0u);

  // A restart reopens the cold segments through the configured directory.
  Restart();
  if (HasFatalFailure()) return;
  same(answers(), before, "after a restart");
  for (const v1::SegmentInfo& seg : Segments()) {
    EXPECT_EQ(seg.tier(), old_ids.count(seg.id()) ? "cold" : "hot") << seg.id();
  }

  // Without its cold directory the store cannot serve the cold segments: troved refuses to
  // start rather than answer with a month missing.
  TempDir empty("server-cold-empty");
  ServerConfig wrong = config_;
  wrong.cold_dir = empty.path();
  ASSERT_TRUE(server_->Shutdown().ok());
  server_.reset();
  auto refused = TroveServer::Start(wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(empty.path()), std::string::npos)
      << refused.status().ToString();
  StartServer();
  if (HasFatalFailure()) return;
  same(answers(), before, "after the refused start");
}

TEST_F(ServerTest, RetentionAndTheDiskBudgetDropWholePartitionsOverGrpc) {
  config_.retention_ns = 365 * kDay;
  config_.maintenance_interval_ns = 24 * 3600 * kSecond;
  Restart();
  if (HasFatalFailure()) return;
  WaitForFirstMaintenancePass();
  if (HasFatalFailure()) return;

  // 100 events 400 days old (past retention), 100 a month old (archived), 300 fresh in three
  // hours; each hundred within one partition (hour). The expired trace must vanish with its
  // partition.
  const int64_t hour = 3600 * kSecond;
  const int64_t ancient = (kNow - 400 * kDay) / hour * hour;
  const int64_t month = (kNow - 30 * kDay) / hour * hour;
  const int64_t fresh = kBase / hour * hour;
  const std::string expired_id = "expired-trace";
  std::vector<v1::Event> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(MakeEvent(ancient + i * kSecond, "api", v1::LEVEL_INFO, "ancient event",
                              i % 10 == 0 ? expired_id : ""));
    batch.push_back(MakeEvent(month + i * kSecond, "api", v1::LEVEL_INFO, "monthly event"));
  }
  for (int i = 0; i < 300; ++i) {
    batch.push_back(MakeEvent(fresh + (i / 100) * hour + (i % 100) * kSecond, "web", v1::LEVEL_INFO,
                              "fresh event"));
  }
  ASSERT_EQ(Ingest(batch).accepted(), batch.size());
  ASSERT_EQ(Search("ancient", 1000).size(), 100u);
  ASSERT_EQ(Trace(expired_id).events_size(), 10);

  // Archive flushes first, so the buffered events are covered too. Retention runs before
  // archival: the ancient partition is dropped, not archived first.
  v1::ArchiveResponse pass = Archive();
  EXPECT_EQ(pass.counts().dropped_partitions(), 1u);
  EXPECT_EQ(pass.partitions_dropped(), 1u);
  EXPECT_EQ(pass.counts().dropped_by_retention(), 1u);
  EXPECT_EQ(pass.counts().dropped_by_disk(), 0u);
  EXPECT_EQ(pass.counts().dropped_segments(), 1u);
  EXPECT_EQ(pass.counts().dropped_rows(), 100u);
  EXPECT_GT(pass.counts().dropped_bytes(), 0u);
  EXPECT_EQ(pass.counts().archived_rows(), 100u);

  EXPECT_EQ(Search("ancient", 1000).size(), 0u);
  EXPECT_EQ(Trace(expired_id).events_size(), 0);
  EXPECT_EQ(Search("monthly", 1000).size(), 100u);
  EXPECT_EQ(CountAll(), 400u);
  v1::StatsResponse stats = Stats();
  EXPECT_EQ(stats.retention_ns(), 365 * kDay);
  EXPECT_EQ(stats.maintenance().dropped_rows(), 100u);
  EXPECT_EQ(stats.maintenance().dropped_by_retention(), 1u);
  EXPECT_EQ(stats.segment_rows(), 400u);
  EXPECT_EQ(stats.cold().rows(), 100u);
  for (const v1::SegmentInfo& seg : Segments()) {
    EXPECT_GE(seg.min_time_ns(), month) << seg.id();
    if (seg.tier() == "cold") {
      EXPECT_EQ(seg.path().rfind(dir_.path() + "/cold/", 0), 0u) << seg.path();
    }
  }

  // A budget smaller than the store: the oldest partitions go until only the newest is left.
  config_.max_disk_bytes = 1;
  Restart();  // the start-up pass may do the dropping; count it all through Stats
  if (HasFatalFailure()) return;
  WaitForFirstMaintenancePass();
  if (HasFatalFailure()) return;
  pass = Archive();
  stats = Stats();
  EXPECT_EQ(stats.max_disk_bytes(), 1u);
  EXPECT_EQ(stats.maintenance().dropped_by_disk(), 3u) << stats.DebugString();
  EXPECT_EQ(stats.maintenance().dropped_by_retention(), 0u);  // counted since this start
  EXPECT_EQ(stats.maintenance().dropped_rows(), 300u);
  EXPECT_EQ(stats.segments(), 1u);
  EXPECT_EQ(CountAll(), 100u);
  EXPECT_EQ(Search("fresh", 1000).size(), 100u);
  EXPECT_EQ(Search("monthly", 1000).size(), 0u);
}

TEST_F(ServerTest, HealthIsServingAndReflectionListsTheServices) {
  // grpc.health.v1.HealthCheckRequest{service}; the response's field 1 is the status, 1 =
  // SERVING.
  for (const std::string service : {"", "trove.v1.Trove"}) {
    std::string request =
        service.empty() ? "" : "\x0a" + std::string(1, char(service.size())) + service;
    std::string reply;
    grpc::Status s = RawUnary(channel_, "/grpc.health.v1.Health/Check", request, &reply);
    ASSERT_TRUE(s.ok()) << s.error_message();
    auto status = Fields(reply, 1);
    ASSERT_EQ(status.size(), 1u) << service;
    EXPECT_EQ(status[0].varint, 1u) << service;
  }

  // grpc.reflection.v1alpha: ServerReflectionRequest{list_services = 7: "*"} →
  // ServerReflectionResponse{list_services_response = 6: {service = 1: {name = 1}}}.
  grpc::GenericStub stub(channel_);
  auto ctx = Context();
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      ctx.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&] { return cq.Next(&tag, &ok) && ok; };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step());
  call->Write(ToBuffer(std::string("\x3a\x01*", 3)), reinterpret_cast<void*>(2));
  ASSERT_TRUE(step());
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(step());
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  ASSERT_TRUE(step());
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const WireField& list : Fields(ToString(reply), 6)) {
    for (const WireField& svc : Fields(list.bytes, 1)) {
      for (const WireField& name : Fields(svc.bytes, 1)) {
        names.push_back(name.bytes);
      }
    }
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "trove.v1.Trove"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "trove.v1.Admin"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "grpc.health.v1.Health"), names.end());
}

TEST_F(ServerTest, StartFailsClearlyWhenTheAddressIsTaken) {
  TempDir other("server-other");
  ServerConfig config = config_;
  config.data_dir = other.path();
  config.listen = server_->address();
  auto second = TroveServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().ToString();
  // The same data directory is refused too (the store is locked).
  config = config_;
  auto third = TroveServer::Start(config);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find(dir_.path()), std::string::npos);
  EXPECT_EQ(CountAll(), 0u);  // the first server is unharmed
}

// ---- the parts alone ---------------------------------------------------------------------

TEST(ServerConfigTest, FlagsOverrideTheFileAndErrorsNameTheCulprit) {
  TempDir dir("config");
  const std::string file = dir.path() + "/troved.conf";
  std::ofstream(file) << "# troved settings\n"
                         "data = /var/lib/trove   # a comment\n"
                         "listen = 0.0.0.0:7171\n"
                         "\n"
                         "max_batch = 2000\n"
                         "max-query-time = 5s\n"
                         "flush_bytes = 8MiB\n";
  ServerConfig c;
  bool help = true;
  Status s = ParseServerArgs(
      {"--config", file, "--listen=127.0.0.1:0", "--partition", "1d", "--max-result-rows", "50"},
      &c, &help);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(help);
  EXPECT_EQ(c.data_dir, "/var/lib/trove");
  EXPECT_EQ(c.listen, "127.0.0.1:0");  // the flag wins over the file
  EXPECT_EQ(c.max_batch_events, 2000u);
  EXPECT_EQ(c.max_query_ns, 5 * kSecond);
  EXPECT_EQ(c.flush_bytes, 8u << 20);
  EXPECT_EQ(c.partition_ns, 24 * 3600 * kSecond);
  EXPECT_EQ(c.max_result_rows, 50u);
  // Untouched settings keep their defaults.
  EXPECT_EQ(c.max_message_bytes, 64u << 20);
  EXPECT_EQ(c.default_search_limit, 100u);

  auto error_of = [](std::vector<std::string> args) {
    ServerConfig config;
    bool help = false;
    Status s = ParseServerArgs(args, &config, &help);
    EXPECT_TRUE(s.IsInvalidArgument()) << ::testing::PrintToString(args);
    return s.message();
  };
  auto check = [&](std::vector<std::string> args, const std::string& words) {
    std::string message = error_of(args);
    EXPECT_NE(message.find(words), std::string::npos) << message;
  };
  check({"--bogus", "1"}, "unknown flag --bogus");
  check({"--max-batch", "lots"}, "--max-batch 'lots'");
  check({"--max-query-time", "5 minutes"}, "--max-query-time");
  check({"--flush-bytes", "12XB"}, "--flush-bytes");
  check({"--data"}, "--data needs a value");
  check({"stray"}, "unexpected argument 'stray'");
  check({"--partition", "10ms"}, "partition must be at least 1s");
  check({"--config", dir.path() + "/missing.conf"}, "missing.conf");
  std::ofstream(file) << "listen = 127.0.0.1:1\nmax_batch 10\n";
  check({"--config", file}, "troved.conf:2");
  std::ofstream(file) << "\n\nnot_a_key = 3\n";
  check({"--config", file}, "troved.conf:3: unknown key 'not_a_key'");

  ServerConfig config;
  ASSERT_TRUE(ParseServerArgs({"--help"}, &config, &help).ok());
  EXPECT_TRUE(help);
  EXPECT_NE(ServerUsage().find("--max-result-rows"), std::string::npos);

  auto size = [](const std::string& text) {
    uint64_t n = 0;
    return ParseSize(text, &n) ? static_cast<int64_t>(n) : -1;
  };
  EXPECT_EQ(size("65536"), 65536);
  EXPECT_EQ(size("64KiB"), 64 << 10);
  EXPECT_EQ(size("32M"), 32 << 20);
  EXPECT_EQ(size("1gib"), 1 << 30);
  EXPECT_EQ(size("1.5MiB"), -1);
  EXPECT_EQ(size("MiB"), -1);
  EXPECT_EQ(size("99999999999999999999"), -1);
}

TEST(ServerConfigTest, TieringSettingsParseAndBadValuesNameTheSetting) {
  ServerConfig defaults;
  EXPECT_EQ(defaults.cold_dir, "");
  EXPECT_EQ(ColdDir(defaults), "./trove-data/cold");
  EXPECT_EQ(defaults.archive_after_ns, 7 * kDay);
  EXPECT_EQ(defaults.retention_ns, 0);
  EXPECT_EQ(defaults.max_disk_bytes, 0u);
  EXPECT_EQ(defaults.maintenance_interval_ns, 60 * kSecond);
  EXPECT_EQ(TieringSummary(defaults),
            "cold tier dir:./trove-data/cold, archive after 7d, retention forever, disk budget "
            "none, maintenance every 1m");

  TempDir dir("config-tiering");
  const std::string file = dir.path() + "/troved.conf";
  std::ofstream(file) << "cold_dir = /mnt/cold/trove\n"
                         "archive_after = 12h\n"
                         "retention = 90d\n"
                         "max_disk_bytes = 500GB\n"
                         "maintenance-interval = 30s\n";
  ServerConfig c;
  bool help = false;
  Status s = ParseServerArgs({"--config", file, "--retention", "1w"}, &c, &help);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ColdDir(c), "/mnt/cold/trove");
  EXPECT_EQ(c.archive_after_ns, 12 * 3600 * kSecond);
  EXPECT_EQ(c.retention_ns, 7 * kDay);  // the flag wins
  EXPECT_EQ(c.max_disk_bytes, 500'000'000'000u);
  EXPECT_EQ(c.maintenance_interval_ns, 30 * kSecond);
  EXPECT_EQ(TieringSummary(c),
            "cold tier dir:/mnt/cold/trove, archive after 12h, retention 7d, disk budget 500GB, "
            "maintenance every 30s");

  // 0 turns archival, retention and the budget off.
  s = ParseServerArgs({"--archive-after", "0", "--retention=0s", "--max-disk-bytes", "0"}, &c,
                      &help);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.archive_after_ns, 0);
  EXPECT_EQ(c.retention_ns, 0);
  EXPECT_EQ(c.max_disk_bytes, 0u);
  EXPECT_NE(TieringSummary(c).find("archive after never"), std::string::npos);

  auto check = [&](std::vector<std::string> args, const std::string& words) {
    ServerConfig config;
    Status s = ParseServerArgs(args, &config, &help);
    EXPECT_TRUE(s.IsInvalidArgument()) << ::testing::PrintToString(args);
    EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
  };
  check({"--archive-after", "-1d"}, "--archive-after '-1d': expected a duration");
  check({"--archive-after", "soon"}, "--archive-after 'soon'");
  check({"--archive-after", "7"}, "--archive-after '7'");  // a number needs a unit
  check({"--retention", "-30d"}, "--retention '-30d'");
  check({"--retention", "forever"}, "or 0 for forever");
  check({"--max-disk-bytes", "lots"}, "--max-disk-bytes 'lots': expected a size");
  check({"--max-disk-bytes", "1.5TB"}, "--max-disk-bytes '1.5TB'");
  check({"--max-disk-bytes", "-1"}, "--max-disk-bytes '-1'");
  check({"--max-disk-bytes", "99999999TB"}, "--max-disk-bytes");  // overflows
  check({"--maintenance-interval", "0"}, "--maintenance-interval '0'");
  check({"--maintenance-interval", "-1m"}, "--maintenance-interval");
  check({"--cold-dir", ""}, "--cold-dir");
  check({"--data", "/srv/trove", "--cold-dir", "/srv/trove/segments"}, "cold-dir");
  check({"--data", "/srv/trove", "--cold-dir", "/srv/trove/db/x"}, "cold-dir");
  check({"--data", "/srv/trove", "--cold-dir", "/srv/trove/"}, "cold-dir");
  std::ofstream(file) << "# tiering\nretention = 1 year\n";
  check({"--config", file}, "troved.conf:2: retention = '1 year'");
  std::ofstream(file) << "max_disk_bytes = 10XB\n";
  check({"--config", file}, "troved.conf:1: max_disk_bytes = '10XB'");
  // A cold directory beside or below the data directory (but outside its store files) is fine.
  for (const char* cold : {"/srv/trove/cold", "/srv/trove-cold", "/srv/trove/archive/x"}) {
    EXPECT_TRUE(ParseServerArgs({"--data", "/srv/trove", "--cold-dir", cold}, &c, &help).ok())
        << cold;
  }
  ServerConfig negative;
  negative.retention_ns = -1;
  EXPECT_TRUE(ValidateServerConfig(negative).IsInvalidArgument());
  EXPECT_NE(ServerUsage().find("--archive-after"), std::string::npos);
  EXPECT_NE(ServerUsage().find("--max-disk-bytes"), std::string::npos);

  // Sizes: binary with K/M/G/T or KiB..TiB, decimal with KB..TB; FormatSize inverts ParseSize.
  auto size = [](const std::string& text) {
    uint64_t n = 0;
    return ParseSize(text, &n) ? static_cast<int64_t>(n) : -1;
  };
  EXPECT_EQ(size("2TiB"), int64_t{2} << 40);
  EXPECT_EQ(size("1t"), int64_t{1} << 40);
  EXPECT_EQ(size("3kb"), 3000);
  EXPECT_EQ(size("500MB"), 500'000'000);
  EXPECT_EQ(size("1TB"), 1'000'000'000'000);
  EXPECT_EQ(size("0"), 0);
  EXPECT_EQ(size("5 GB"), -1);
  for (const char* text : {"0", "4KB", "4KiB", "32MiB", "500GB", "3TiB", "1023"}) {
    uint64_t n = 0;
    ASSERT_TRUE(ParseSize(text, &n)) << text;
    EXPECT_EQ(FormatSize(n), text);
  }
  EXPECT_EQ(FormatSize(1025), "1025");
  EXPECT_EQ(FormatDurationSetting(0), "0");
  EXPECT_EQ(FormatDurationSetting(90 * 60 * kSecond), "1h30m");
  EXPECT_EQ(FormatDurationSetting(kDay + 500'000'000), "1d500ms");
}

TEST(ConvertTest, StatusesMapToTheProtoConventions) {
  auto check = [](const Status& s, grpc::StatusCode want) {
    grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(g.error_code(), want) << s.ToString();
    EXPECT_EQ(g.error_message(), s.message());
  };
  check(Status::OK(), grpc::StatusCode::OK);
  check(Status::InvalidArgument("position 3: expected a term"), grpc::StatusCode::INVALID_ARGUMENT);
  check(Status::NotFound("x"), grpc::StatusCode::NOT_FOUND);
  check(Status::ResourceExhausted("buffer full"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  check(Status::Aborted("query deadline exceeded"), grpc::StatusCode::DEADLINE_EXCEEDED);
  check(Status::Aborted("query cancelled"), grpc::StatusCode::CANCELLED);
  check(Status::Aborted("something else"), grpc::StatusCode::ABORTED);
  check(Status::Corruption("seg-1.trv at offset 9: bad checksum"), grpc::StatusCode::DATA_LOSS);
  check(Status::IOError("disk full"), grpc::StatusCode::INTERNAL);
}

TEST(ConvertTest, EventsRoundTripAndIdsLeaveAsValidUtf8) {
  v1::Event in = MakeEvent(kBase, "api", v1::LEVEL_FATAL, "boom", "abc");
  AddAttr(&in, "n", -7);
  Event e;
  ASSERT_TRUE(EventFromProto(in, &e).ok());
  EXPECT_EQ(e.level, Level::kFatal);
  ASSERT_EQ(e.attributes.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(e.attributes[0].value), -7);
  v1::Event out;
  EventToProto(e, &out);
  EXPECT_EQ(out.SerializeAsString(), in.SerializeAsString());

  e.trace_id = "\xff\x01";  // IDs are stored as sent; the proto must still parse
  out.Clear();
  EventToProto(std::move(e), &out);
  EXPECT_EQ(out.trace_id(), "\xEF\xBF\xBD\x01");
  v1::Event reparsed;
  EXPECT_TRUE(reparsed.ParseFromString(out.SerializeAsString()));
}

TEST(TailHubTest, FiltersQueuesBoundedlyAndCloses) {
  TailHub hub(TailHub::Options{.queue_events = 3});
  EXPECT_FALSE(hub.HasSubscribers());
  query::Filter all;  // kAll
  query::Filter errors;
  errors.op = query::Filter::Op::kLeaf;
  errors.leaf.field = "level";
  errors.leaf.text = "ERROR";
  auto compile = [](const query::Filter& f) {
    auto c = query::CompiledFilter::Compile(f, INT64_MIN, INT64_MAX);
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  };
  auto every = hub.Subscribe(compile(all));
  auto only_errors = hub.Subscribe(compile(errors));
  EXPECT_TRUE(hub.HasSubscribers());
  std::vector<Event> events(5);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].message = "e" + std::to_string(i);
    events[i].level = i == 4 ? Level::kError : Level::kInfo;
  }
  hub.Publish(events);
  std::vector<Event> got;
  uint64_t dropped = 0;
  ASSERT_TRUE(every->Next(10ms, 2, 1 << 20, &got, &dropped));
  ASSERT_EQ(got.size(), 2u);  // max_events
  EXPECT_EQ(got[0].message, "e0");
  EXPECT_EQ(dropped, 2u);  // the queue held 3 of 5
  ASSERT_TRUE(every->Next(10ms, 10, 1 << 20, &got, &dropped));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message, "e2");
  EXPECT_EQ(dropped, 0u);
  ASSERT_TRUE(only_errors->Next(10ms, 10, 1 << 20, &got, &dropped));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message, "e4");
  // Nothing queued: Next waits out its timeout and returns nothing.
  ASSERT_TRUE(every->Next(10ms, 10, 1 << 20, &got, &dropped));
  EXPECT_TRUE(got.empty());

  only_errors.reset();
  hub.Close();
  EXPECT_FALSE(every->Next(1000ms, 10, 1 << 20, &got, &dropped));
  EXPECT_FALSE(hub.Subscribe(compile(all))->Next(1000ms, 10, 1 << 20, &got, &dropped));
  every.reset();
  EXPECT_FALSE(hub.HasSubscribers());
}

TEST(CancelWatcherTest, SetsTheFlagWhileRegisteredOnly) {
  CancelWatcher watcher(std::chrono::milliseconds(1));
  std::atomic<bool> client_gone{false}, flag{false};
  {
    auto registration = watcher.Watch([&] { return client_gone.load(); }, &flag);
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(flag.load());
    client_gone = true;
    for (int i = 0; i < 1000 && !flag.load(); ++i) std::this_thread::sleep_for(1ms);
    EXPECT_TRUE(flag.load());
  }
  std::atomic<bool> other{false};
  {
    auto registration = watcher.Watch([] { return false; }, &other);
  }
  client_gone = true;
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(other.load());
}

// ---- the troved binary --------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  int stderr_fd = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  Child child;
  child.pid = fork();
  if (child.pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  child.stderr_fd = fds[0];
  return child;
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

int WaitExit(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(TrovedTest, ServesUntilSigtermThenExitsZeroAndRejectsBadFlagsWithTwo) {
  const std::string troved = std::string(TROVE_BINARY_DIR) + "/server/troved";
  ASSERT_TRUE(std::filesystem::exists(troved)) << troved;
  TempDir dir("troved");
  Child child = Spawn({troved, "--data", dir.path(), "--listen", "127.0.0.1:0"});
  std::string line = ReadLine(child.stderr_fd);
  const std::string prefix = "troved listening on ";
  ASSERT_EQ(line.compare(0, prefix.size(), prefix), 0) << line;
  EXPECT_NE(line.find("data in " + dir.path()), std::string::npos) << line;
  const std::string address = line.substr(prefix.size(), line.find(',') - prefix.size());
  line = ReadLine(child.stderr_fd);  // then one line with the tiering settings
  EXPECT_EQ(line, "troved: cold tier dir:" + dir.path() +
                      "/cold, archive after 7d, retention forever, disk budget none, "
                      "maintenance every 1m");

  auto stub = v1::Trove::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::IngestRequest request;
  *request.add_events() = MakeEvent(kBase, "api", v1::LEVEL_INFO, "over a real process");
  v1::IngestResponse response;
  ASSERT_TRUE(stub->Ingest(Context().get(), request, &response).ok());
  EXPECT_EQ(response.accepted(), 1u);
  // Close the connection: an idle client only notices the server's GOAWAY at its next poll
  // (seconds), and shutdown waits for connections up to its grace period.
  stub.reset();

  kill(child.pid, SIGTERM);
  EXPECT_EQ(WaitExit(child.pid), 0);
  close(child.stderr_fd);
  // The flushed event is in a segment now, so a reader finds it without the server.
  StoreOptions options;
  options.background = false;
  auto store = Store::Open(options, dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->GetStats().segment_rows, 1u);
  store->reset();

  Child bad = Spawn({troved, "--max-batch", "many"});
  line = ReadLine(bad.stderr_fd);
  EXPECT_NE(line.find("--max-batch"), std::string::npos) << line;
  EXPECT_EQ(WaitExit(bad.pid), 2);
  close(bad.stderr_fd);

  // Bad tiering settings too, before anything is opened.
  for (const std::vector<std::string>& flags : {std::vector<std::string>{"--archive-after", "-7d"},
                                                {"--retention", "a year"},
                                                {"--max-disk-bytes", "lots"}}) {
    std::vector<std::string> args = {troved, "--data", dir.path() + "/never"};
    args.insert(args.end(), flags.begin(), flags.end());
    bad = Spawn(args);
    line = ReadLine(bad.stderr_fd);
    EXPECT_NE(line.find(flags[0]), std::string::npos) << line;
    EXPECT_EQ(WaitExit(bad.pid), 2) << line;
    close(bad.stderr_fd);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/never"));
}

}  // namespace
}  // namespace trove::server
