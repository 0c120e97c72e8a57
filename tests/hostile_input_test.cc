// Hostile input over the wire: a TroveServer on 127.0.0.1:0 (as in server_test.cc) fed
// malformed, oversized and pathological requests, one table row each. Every row asserts the
// exact gRPC status and that its message names the problem; after every row the server must
// still answer a normal Search and the acknowledged baseline data must be intact. Peak RSS of
// the whole process (client and server) is bounded across the table.
//
// Ingest requests are built with server/ingest_wire.proto (bytes text fields) and sent as raw
// bytes, so invalid UTF-8 goes on the wire exactly as a hostile client would send it.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "server/ingest_wire.pb.h"
#include "server/server.h"
#include "tests/store_test_util.h"

namespace trove::server {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;
using grpc::StatusCode;

constexpr int64_t kSecond = 1'000'000'000;
constexpr uint64_t kMiB = 1 << 20;
const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Peak resident set of this process (client and in-process server), from /proc.
uint64_t PeakRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::unique_ptr<grpc::ClientContext> Context(std::chrono::seconds timeout = 60s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

wire::Event WireEvent(const std::string& service, const std::string& message,
                      int64_t time_ns = 0) {
  wire::Event e;
  e.set_time_ns(time_ns);
  e.set_service(service);
  e.set_level(3);
  e.set_message(message);
  return e;
}

void AddWireAttr(wire::Event* e, const std::string& key, const std::string& value) {
  auto* a = e->add_attributes();
  a->set_key(key);
  a->mutable_value()->set_string_value(value);
}

void AddWireIntAttr(wire::Event* e, const std::string& key, int64_t value) {
  auto* a = e->add_attributes();
  a->set_key(key);
  a->mutable_value()->set_int_value(value);
}

std::string Serialize(const std::vector<wire::Event>& events) {
  wire::IngestRequest r;
  for (const wire::Event& e : events) *r.add_events() = e;
  return r.SerializeAsString();
}

// `count` events of one byte each, encoded by hand (cheaper than a million message objects).
std::string TinyEvents(size_t count, bool empty = false) {
  std::string out;
  // Event {message: "x"} is 0x2A 0x01 'x'; as IngestRequest.events it is 0x0A 0x03 + that.
  const std::string one = empty ? std::string("\x0A\x00", 2) : std::string("\x0A\x03\x2A\x01x");
  out.reserve(one.size() * count);
  for (size_t i = 0; i < count; ++i) out += one;
  return out;
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

class HostileInputTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMaxMessage = 8 * kMiB;
  static constexpr uint64_t kMaxBatch = 100000;
  static constexpr uint64_t kMaxRows = 1000;
  static constexpr int kBaseline = 3000;  // events of service "base", 10 per trace

  void SetUp() override {
    config_.data_dir = dir_.path();
    config_.listen = "127.0.0.1:0";
    config_.max_message_bytes = kMaxMessage;
    config_.max_batch_events = kMaxBatch;
    config_.max_result_rows = kMaxRows;
    config_.query_threads = 2;
    config_.archive_after_ns = 0;
    config_.shutdown_grace_ns = 2 * kSecond;
#ifdef TROVE_SANITIZED
    // RSS under ASan is two to three times a Release build's; these rows are about bounded
    // answers, and the budget itself is tested by admission_test and LoadTest.Grpc.
    config_.memory_budget_bytes = 0;
#endif
    auto server = TroveServer::Start(config_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * kMiB);
    channel_ = grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(),
                                         args);
    trove_ = v1::Trove::NewStub(channel_);
    admin_ = v1::Admin::NewStub(channel_);

    // The baseline: half flushed into segments, half left in the write-ahead buffer.
    base_time_ = (NowNs() / kSecond - 3600) * kSecond;
    for (int half = 0; half < 2; ++half) {
      std::vector<wire::Event> events;
      for (int i = half * kBaseline / 2; i < (half + 1) * kBaseline / 2; ++i) {
        wire::Event e = WireEvent("base", "baseline event n" + std::to_string(i),
                                  base_time_ + i * kSecond);
        e.set_trace_id("base-trace-" + std::to_string(i / 10));
        events.push_back(e);
      }
      grpc::Status s;
      v1::IngestResponse r = RawIngest(Serialize(events), &s);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ASSERT_EQ(r.accepted(), kBaseline / 2u);
      if (half == 0) Flush();
    }
  }

  v1::IngestResponse RawIngest(const std::string& bytes, grpc::Status* status) {
    grpc::GenericStub stub(channel_);
    auto ctx = Context();
    grpc::CompletionQueue cq;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    auto call = stub.PrepareUnaryCall(ctx.get(), "/trove.v1.Trove/Ingest", request, &cq);
    call->StartCall();
    grpc::ByteBuffer reply;
    call->Finish(&reply, status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    v1::IngestResponse response;
    if (status->ok()) {
      EXPECT_TRUE(response.ParseFromString(ToString(reply)));
    }
    return response;
  }

  std::vector<v1::Event> Search(const std::string& query, grpc::Status* status,
                                uint64_t limit = 0, uint64_t timeout_ms = 0,
                                bool* truncated = nullptr) {
    v1::SearchRequest request;
    request.set_query(query);
    request.set_limit(limit);
    request.set_timeout_ms(timeout_ms);
    auto ctx = Context();
    auto reader = trove_->Search(ctx.get(), request);
    std::vector<v1::Event> events;
    v1::SearchResponse response;
    while (reader->Read(&response)) {
      for (const v1::Event& e : response.events()) events.push_back(e);
      if (response.done() && truncated != nullptr) *truncated = response.truncated();
    }
    *status = reader->Finish();
    return events;
  }

  v1::AggregateResponse Aggregate(const std::string& query, grpc::Status* status,
                                  uint64_t timeout_ms = 0) {
    v1::AggregateRequest request;
    request.set_query(query);
    request.set_timeout_ms(timeout_ms);
    v1::AggregateResponse response;
    *status = trove_->Aggregate(Context().get(), request, &response);
    return response;
  }

  void Flush() {
    v1::FlushResponse response;
    grpc::Status s = admin_->Flush(Context().get(), v1::FlushRequest(), &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // The server still answers a normal Search, and the baseline is intact: every event counted,
  // and one trace (from the flushed half) and one newest event (buffered half) read back whole.
  void ExpectHealthy(const std::string& row) {
    SCOPED_TRACE("after row: " + row);
    grpc::Status s;
    auto events = Search("service:=base baseline", &s, 3);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].message(), "baseline event n" + std::to_string(kBaseline - 1));
    EXPECT_EQ(events[0].time_ns(), base_time_ + (kBaseline - 1) * kSecond);
    auto table = Aggregate("service:=base | stats count() n", &s);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(table.rows_size(), 1);
    EXPECT_EQ(table.rows(0).cells(0).int_value(), kBaseline);
    v1::GetTraceRequest request;
    request.set_trace_id("base-trace-7");
    v1::GetTraceResponse trace;
    s = trove_->GetTrace(Context().get(), request, &trace);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(trace.events_size(), 10);
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(trace.events(i).message(), "baseline event n" + std::to_string(70 + i));
    }
  }

  int64_t CountAll() {
    grpc::Status s;
    auto table = Aggregate("* | stats count() n", &s);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return table.rows_size() == 1 ? table.rows(0).cells(0).int_value() : -1;
  }

  // The event found by a unique word (exactly one must match).
  v1::Event FindOne(const std::string& word) {
    grpc::Status s;
    auto events = Search(word, &s);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(events.size(), 1u) << word;
    return events.empty() ? v1::Event() : events[0];
  }

  static std::string Attr(const v1::Event& e, const std::string& key) {
    for (const auto& a : e.attributes()) {
      if (a.key() == key) return a.value().string_value();
    }
    return "<absent>";
  }

  TempDir dir_{"hostile"};
  ServerConfig config_;
  std::unique_ptr<TroveServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Trove::Stub> trove_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  int64_t base_time_ = 0;
};

// One row: a request, the status it must get (with words its message must contain), and for
// OK the accepted / rejected counts and words the first rejection reason must contain.
struct IngestRow {
  std::string name;
  std::function<std::string()> request;
  StatusCode code;
  std::string message;  // substring of the status message (non-OK)
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::vector<std::string> reasons = {};  // substrings of the listed rejections, in order
  std::function<void()> verify = nullptr;  // checks of what was stored
  uint64_t max_peak_growth = 0;             // bound on this row's peak RSS growth; 0: none
};

TEST_F(HostileInputTest, IngestTable) {
  const uint64_t rss_before = PeakRssBytes();
  const int64_t now = NowNs();
  const int64_t t = base_time_;
  // ApproximateSize() of an event with only a message is 24 + its size (storage/event.cc).
  const size_t kMaxEvent = config_.max_event_bytes;

  std::vector<IngestRow> rows = {
      {"invalid UTF-8 in every text field",
       [&] {
         wire::Event e = WireEvent("svc\xff", "bad \xff\xfe utf8 markerutf", t);
         e.set_host("h\xc3");
         e.set_trace_id("tr\xff");
         e.set_span_id("s\xff");
         e.set_parent_span_id("p\x80");
         AddWireAttr(&e, "k\xff", "v\xc0\xaf");
         return Serialize({e});
       },
       StatusCode::OK, "", 1, 0, {},
       [&] {
         v1::Event e = FindOne("markerutf");
         EXPECT_EQ(e.service(), "svc" + kReplacement);
         EXPECT_EQ(e.host(), "h" + kReplacement);
         EXPECT_EQ(e.message(), "bad " + kReplacement + kReplacement + " utf8 markerutf");
         EXPECT_EQ(e.trace_id(), "tr" + kReplacement);  // IDs are bytes, repaired on output
         EXPECT_EQ(e.span_id(), "s" + kReplacement);
         EXPECT_EQ(e.parent_span_id(), "p" + kReplacement);
         EXPECT_EQ(Attr(e, "k" + kReplacement), "v" + kReplacement + kReplacement);
       }},
      {"NUL bytes in text fields",
       [&] {
         wire::Event e = WireEvent(std::string("s\0vc", 4), std::string("nul\0in markernul", 16),
                                   t);
         e.set_host(std::string("\0", 1));
         e.set_trace_id(std::string("nul\0trace", 9));
         AddWireAttr(&e, "k", std::string("v\0v", 3));
         return Serialize({e});
       },
       StatusCode::OK, "", 1, 0, {},
       [&] {
         v1::Event e = FindOne("markernul");
         EXPECT_EQ(e.service(), std::string("s\0vc", 4));
         EXPECT_EQ(e.message(), std::string("nul\0in markernul", 16));
         EXPECT_EQ(e.host(), std::string("\0", 1));
         EXPECT_EQ(Attr(e, "k"), std::string("v\0v", 3));
         v1::GetTraceRequest request;
         request.set_trace_id(std::string("nul\0trace", 9));
         v1::GetTraceResponse trace;
         grpc::Status s = trove_->GetTrace(Context().get(), request, &trace);
         ASSERT_TRUE(s.ok()) << s.error_message();
         EXPECT_EQ(trace.events_size(), 1);
       }},
      {"NUL byte in an attribute key",
       [&] {
         wire::Event e = WireEvent("x", "nulkey", t);
         AddWireAttr(&e, std::string("k\0k", 3), "v");
         return Serialize({e});
       },
       StatusCode::OK, "", 0, 1, {"attribute key contains a NUL byte"}},
      {"10 MB message, over max_message_bytes (8 MiB)",
       [&] { return Serialize({WireEvent("x", std::string(10'000'000, 'a'), t)}); },
       StatusCode::RESOURCE_EXHAUSTED, "larger than max"},
      {"5 MB event inside the message limit, between two good events",
       [&] {
         return Serialize({WireEvent("big", "before markerbig1", t),
                           WireEvent("big", std::string(5'000'000, 'a'), t),
                           WireEvent("big", "after markerbig2", t)});
       },
       StatusCode::OK, "", 2, 1, {"event is 5000027 bytes; the limit is 1048576"},
       [&] {
         FindOne("markerbig1");
         FindOne("markerbig2");
       }},
      {"event exactly at max_event_bytes, and one byte over",
       [&] {
         std::string at(kMaxEvent - 24, 'b');
         at.replace(0, 12, "markerlimit ");
         return Serialize({WireEvent("", at, t), WireEvent("", at + "b", t)});
       },
       StatusCode::OK, "", 1, 1, {"event is 1048577 bytes; the limit is 1048576"},
       [&] { EXPECT_EQ(FindOne("markerlimit").message().size(), kMaxEvent - 24); }},
      {"event just under the limit, all invalid UTF-8 (grows 3x on repair)",
       [&] {
         std::string bad(kMaxEvent - 24 - 20, '\xff');
         return Serialize({WireEvent("grow", "markergrow " + bad, t)});
       },
       // The limit holds for what is stored: each invalid byte becomes a 3-byte U+FFFD.
       StatusCode::OK, "", 0, 1, {"bytes after replacing invalid UTF-8; the limit is 1048576"}},
      {"a million tiny events, over max_batch_events",
       [&] { return TinyEvents(1'000'000); }, StatusCode::INVALID_ARGUMENT,
       "batch of 1000000 events exceeds the limit of 100000"},
      // Counted on the wire before parsing (server/trove_service.cc CountWireEvents): parsed,
      // 4M empty events took +300 MiB (~38x the message) before the batch limit refused them.
      {"4 million empty events (2 bytes each) in an 8 MiB message",
       [&] { return TinyEvents(4'000'000, /*empty=*/true); }, StatusCode::INVALID_ARGUMENT,
       "batch of 4000000 events exceeds the limit of 100000", 0, 0, {}, nullptr, 64 * kMiB},
      {"exactly max_batch_events tiny events", [&] { return TinyEvents(kMaxBatch); },
       StatusCode::OK, "", kMaxBatch, 0},
      {"absurd timestamps",
       [&] {
         return Serialize({WireEvent("ts", "ts0 negative", -1),
                           WireEvent("ts", "ts1 int64min", std::numeric_limits<int64_t>::min()),
                           WireEvent("ts", "ts2 zero markerzero", 0),
                           WireEvent("ts", "ts3 int64max", std::numeric_limits<int64_t>::max()),
                           WireEvent("ts", "ts4 far future", now + 3 * 24 * 3600 * kSecond),
                           WireEvent("ts", "ts5 tomorrow markertomorrow", now + 24 * 3600 * kSecond),
                           WireEvent("ts", "ts6 epoch markerepoch", 1)});
       },
       StatusCode::OK, "", 3, 4,
       {"_time -1 is before 1970", "_time -9223372036854775808 is before 1970",
        "_time 9223372036854775807 is more than 172800 s in the future", "in the future"},
       [&] {
         const int64_t arrived = FindOne("markerzero").time_ns();
         EXPECT_GE(arrived, now);
         EXPECT_LE(arrived, NowNs());
         EXPECT_EQ(FindOne("markertomorrow").time_ns(), now + 24 * 3600 * kSecond);
         EXPECT_EQ(FindOne("markerepoch").time_ns(), 1);
       }},
      {"100,001 attributes (over max_attributes)",
       [&] {
         wire::Event e = WireEvent("attrs", "many", t);
         for (int i = 0; i <= 100000; ++i) AddWireIntAttr(&e, "a" + std::to_string(i), i);
         return Serialize({e});
       },
       StatusCode::OK, "", 0, 1, {"event has 100001 attributes; the limit is 100000"}},
      {"100,000 attributes (at max_attributes, over max_event_bytes)",
       [&] {
         wire::Event e = WireEvent("attrs", "many", t);
         for (int i = 0; i < 100000; ++i) AddWireIntAttr(&e, "a" + std::to_string(i), i);
         return Serialize({e});
       },
       StatusCode::OK, "", 0, 1, {"bytes; the limit is 1048576"}},
      {"20,000 attributes (accepted, then flushed into a segment)",
       [&] {
         wire::Event e = WireEvent("attrs", "markerattrs", t);
         for (int i = 0; i < 20000; ++i) AddWireIntAttr(&e, "wide" + std::to_string(i), i);
         return Serialize({e});
       },
       StatusCode::OK, "", 1, 0, {},
       [&] {
         Flush();
         EXPECT_EQ(FindOne("markerattrs").attributes_size(), 20000);
         grpc::Status s;
         auto events = Search("wide19999:=19999", &s);
         ASSERT_TRUE(s.ok()) << s.error_message();
         EXPECT_EQ(events.size(), 1u);
       }},
      {"huge attribute keys and values",
       [&] {
         wire::Event ok = WireEvent("keys", "markerkey256", t);
         AddWireAttr(&ok, std::string(256, 'k'), std::string(900'000, 'v'));
         wire::Event long_key = WireEvent("keys", "key257", t);
         AddWireAttr(&long_key, std::string(257, 'k'), "v");
         wire::Event huge_key = WireEvent("keys", "keyhuge", t);
         AddWireAttr(&huge_key, std::string(2'000'000, 'k'), "v");
         wire::Event huge_value = WireEvent("keys", "valuehuge", t);
         AddWireAttr(&huge_value, "k", std::string(2'000'000, 'v'));
         return Serialize({ok, long_key, huge_key, huge_value});
       },
       StatusCode::OK, "", 1, 3,
       {"attribute key longer than 256 bytes", "event is 2000046 bytes; the limit is 1048576",
        "event is 2000048 bytes; the limit is 1048576"},
       [&] {
         v1::Event e = FindOne("markerkey256");
         EXPECT_EQ(Attr(e, std::string(256, 'k')).size(), 900'000u);
       }},
      {"attribute keys: empty, built-in, no value",
       [&] {
         wire::Event empty = WireEvent("keys", "k1", t);
         AddWireAttr(&empty, "", "v");
         wire::Event builtin = WireEvent("keys", "k2", t);
         AddWireAttr(&builtin, "_msg", "v");
         wire::Event no_value = WireEvent("keys", "k3", t);
         no_value.add_attributes()->set_key("novalue");
         return Serialize({empty, builtin, no_value});
       },
       StatusCode::OK, "", 0, 3,
       {"attribute with an empty key", "attribute key '_msg' is a built-in field",
        "attribute 'novalue' has no value"}},
      {"deeply nested attribute names",
       [&] {
         std::string deep;  // a.b.a.b… 255 bytes: 128 levels of nesting
         for (int i = 0; i < 128; ++i) deep += (i ? "." : "") + std::string(i % 2 ? "b" : "a");
         wire::Event e = WireEvent("nest", "markernest", t);
         AddWireAttr(&e, deep, "deepvalue");
         AddWireAttr(&e, "...", "dots");
         AddWireAttr(&e, ".lead.trail.", "edges");
         return Serialize({e});
       },
       StatusCode::OK, "", 1, 0, {},
       [&] {
         std::string deep;
         for (int i = 0; i < 128; ++i) deep += (i ? "." : "") + std::string(i % 2 ? "b" : "a");
         v1::Event e = FindOne("markernest");
         EXPECT_EQ(Attr(e, deep), "deepvalue");
         EXPECT_EQ(Attr(e, "..."), "dots");
         grpc::Status s;
         auto events = Search(deep + ":=deepvalue", &s);
         ASSERT_TRUE(s.ok()) << s.error_message();
         EXPECT_EQ(events.size(), 1u);
         events = Search("...:=dots", &s);
         ASSERT_TRUE(s.ok()) << s.error_message();
         EXPECT_EQ(events.size(), 1u);
       }},
      {"trace and span IDs: empty, at the limit, over it",
       [&] {
         wire::Event empty = WireEvent("ids", "markeridempty", t);
         wire::Event at = WireEvent("ids", "markerid64", t);
         at.set_trace_id(std::string(64, 't'));
         at.set_span_id(std::string(32, 's'));
         wire::Event over = WireEvent("ids", "id65", t);
         over.set_trace_id(std::string(65, 't'));
         wire::Event huge = WireEvent("ids", "idhuge", t);
         huge.set_trace_id(std::string(1'000'000, 't'));
         wire::Event span = WireEvent("ids", "span33", t);
         span.set_parent_span_id(std::string(33, 's'));
         return Serialize({empty, at, over, huge, span});
       },
       StatusCode::OK, "", 2, 3,
       {"trace_id is 65 bytes; the limit is 64", "trace_id is 1000000 bytes; the limit is 64",
        "span_id/parent_span_id longer than 32 bytes"},
       [&] {
         EXPECT_EQ(FindOne("markeridempty").trace_id(), "");
         v1::GetTraceRequest request;
         request.set_trace_id(std::string(64, 't'));
         v1::GetTraceResponse trace;
         grpc::Status s = trove_->GetTrace(Context().get(), request, &trace);
         ASSERT_TRUE(s.ok()) << s.error_message();
         ASSERT_EQ(trace.events_size(), 1);
         EXPECT_EQ(trace.events(0).span_id(), std::string(32, 's'));
       }},
      {"level outside trove.v1.Level",
       [&] {
         wire::Event e = WireEvent("lvl", "badlevel", t);
         e.set_level(99);
         wire::Event neg = WireEvent("lvl", "neglevel", t);
         neg.set_level(-1);
         return Serialize({e, neg});
       },
       StatusCode::OK, "", 0, 2,
       {"level 99 is not a trove.v1.Level", "level -1 is not a trove.v1.Level"}},
      {"not a protobuf message", [&] { return std::string("\xff\xff\xff\xff garbage", 13); },
       StatusCode::INVALID_ARGUMENT, "not a trove.v1.IngestRequest"},
      {"truncated protobuf message",
       [&] {
         std::string s = Serialize({WireEvent("x", "truncated message", t)});
         return s.substr(0, s.size() - 5);
       },
       StatusCode::INVALID_ARGUMENT, "not a trove.v1.IngestRequest"},
      {"empty request", [&] { return std::string(); }, StatusCode::OK, "", 0, 0},
  };

  int64_t expected_total = CountAll();
  for (const IngestRow& row : rows) {
    SCOPED_TRACE("row: " + row.name);
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t rss0 = PeakRssBytes();
    grpc::Status s;
    v1::IngestResponse r;
    {
      const std::string request = row.request();
      r = RawIngest(request, &s);
    }
    EXPECT_EQ(s.error_code(), row.code) << s.error_message();
    if (row.code == StatusCode::OK) {
      EXPECT_EQ(r.accepted(), row.accepted);
      EXPECT_EQ(r.rejected(), row.rejected);
      ASSERT_EQ(static_cast<size_t>(r.rejections_size()),
                std::min<size_t>(row.rejected, 100));
      for (size_t i = 0; i < row.reasons.size(); ++i) {
        EXPECT_NE(r.rejections(static_cast<int>(i)).reason().find(row.reasons[i]),
                  std::string::npos)
            << r.rejections(static_cast<int>(i)).reason();
      }
      expected_total += static_cast<int64_t>(r.accepted());
    } else {
      EXPECT_NE(s.error_message().find(row.message), std::string::npos) << s.error_message();
    }
    if (row.max_peak_growth != 0) {
      EXPECT_LT(PeakRssBytes() - rss0, row.max_peak_growth) << "the request was materialised";
    }
    if (row.verify) row.verify();
    ExpectHealthy(row.name);
    // Nothing half-applied: the store holds exactly what was acknowledged.
    EXPECT_EQ(CountAll(), expected_total);
    std::printf("  %-66s %-18s %6.0f ms  peak RSS +%4llu MiB\n", row.name.c_str(),
                s.ok() ? "OK" : ("code " + std::to_string(s.error_code())).c_str(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count(),
                static_cast<unsigned long long>((PeakRssBytes() - rss0) / kMiB));
  }
  const uint64_t rss_after = PeakRssBytes();
  std::printf("peak RSS: %llu MiB before the table, %llu MiB after\n",
              static_cast<unsigned long long>(rss_before / kMiB),
              static_cast<unsigned long long>(rss_after / kMiB));
  EXPECT_LT(rss_after - rss_before, uint64_t{1536} * kMiB) << "the server ballooned";
}

// One query row: the request and what it must get. For OK, `min_events` / `max_events`
// bound what a Search returns (Aggregate rows for Aggregate).
struct QueryRow {
  enum class Call { kSearch, kAggregate, kTrace };
  std::string name;
  Call call;
  std::string query;
  StatusCode code;
  std::string message;  // substring of the status message (non-OK)
  uint64_t limit = 0;
  uint64_t timeout_ms = 0;
  size_t min_events = 0;
  size_t max_events = std::numeric_limits<size_t>::max();
};

TEST_F(HostileInputTest, QueryTable) {
  // Data to make queries heavy: 100,000 events with distinct `u` values and messages.
  {
    wire::IngestRequest request;
    for (int i = 0; i < 100000; ++i) {
      wire::Event* e = request.add_events();
      *e = WireEvent("load", "load line " + std::to_string(i) + " aaaaaaaaab user" +
                                 std::to_string(i % 977),
                     base_time_ + (i % 3600) * kSecond);
      AddWireIntAttr(e, "u", i);
    }
    grpc::Status s;
    v1::IngestResponse r = RawIngest(request.SerializeAsString(), &s);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(r.accepted(), 100000u);
    Flush();
  }
  const uint64_t rss_before = PeakRssBytes();

  auto repeat = [](const std::string& s, int n, const std::string& sep = "") {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? sep : "") + s;
    return out;
  };
  std::string many_words;  // several MB of words: 400,000 implicit ANDs
  for (int i = 0; i < 400000; ++i) many_words += "w" + std::to_string(i % 1000) + " ";
  std::string alternation = "~\"";  // a 1 MB regex of alternatives
  for (int i = 0; alternation.size() < kMiB; ++i) alternation += "alt" + std::to_string(i) + "|";
  alternation += "z\"";

  using C = QueryRow::Call;
  const auto OK = StatusCode::OK;
  const auto INVALID = StatusCode::INVALID_ARGUMENT;
  std::vector<QueryRow> rows = {
      {"unterminated phrase", C::kSearch, "service:base \"payment", INVALID, "position 22: expected a closing \" for the quote at position 14"},
      {"dangling field", C::kSearch, "service:", INVALID, "position"},
      {"unbalanced parenthesis", C::kSearch, "(a OR b", INVALID, "')' to close '('"},
      {"stray closing parenthesis", C::kSearch, "a)", INVALID, "no matching '('"},
      {"unknown pipe", C::kSearch, "a | frobnicate", INVALID, "position 5: expected a pipe"},
      {"dangling AND", C::kSearch, "a AND", INVALID, "position 6: expected a term after 'AND' at position 3"},
      {"bad regex", C::kSearch, "~\"(unclosed\"", INVALID, "missing )"},
      {"10,000 nested parentheses", C::kSearch, repeat("(", 10000) + "a" + repeat(")", 10000),
       INVALID, "at most 256 nested terms"},
      {"200 nested parentheses (under the nesting limit)", C::kSearch,
       repeat("(", 200) + "baseline" + repeat(")", 200), OK, "", 5, 0, 5, 5},
      {"10,000 NOTs", C::kSearch, repeat("NOT ", 10000) + "a", INVALID,
       "at most 256 nested terms"},
      {"10,000 minus signs", C::kSearch, repeat("-", 10000) + "a", INVALID,
       "at most 256 nested terms"},
      // The parser caps terms at 4096 (query/parser.cc kMaxTerms): without the cap 100,000
      // ANDed words cost ~6 s and ~1 GiB of peak RSS (a term lookup per leaf per segment).
      {"100,000 ANDs", C::kSearch, repeat("baseline", 100001, " AND "), INVALID,
       "expected at most 4096 terms in a query"},
      {"100,000 ORs", C::kSearch, repeat("nosuchword", 100000, " OR "), INVALID,
       "expected at most 4096 terms in a query"},
      {"400,000 implicit ANDs, a 2.7 MB query", C::kSearch, many_words, INVALID,
       "position 19935: expected at most 4096 terms in a query"},
      {"4,096 ANDs (at the term limit)", C::kSearch, repeat("baseline", 4096, " AND "), OK, "",
       5, 0, 5, 5},
      {"4,096 ORs (at the term limit)", C::kSearch,
       repeat("nosuchword", 4095, " OR ") + " OR user7", OK, "", 5, 0, 5, 5},
      {"a 4 MB single word", C::kSearch, std::string(4 * kMiB, 'q'), OK, "", 0, 0, 0, 0},
      {"a 4 MB phrase", C::kSearch, "\"" + std::string(4 * kMiB, 'q') + "\"", OK, "", 0, 0, 0,
       0},
      {"a 10 MB query, over max_message_bytes", C::kSearch, std::string(10'000'000, 'q'),
       StatusCode::RESOURCE_EXHAUSTED, "larger than max"},
      {"pathological regex (a|aa)*b (RE2 is linear)", C::kSearch, "~\"(a|aa)*$\" service:load",
       OK, "", 10, 0, 10, 10},
      {"nested-quantifier regex (x+x+)+y", C::kSearch, "~\"(a+a+)+b\"", OK, "", 10, 0, 10, 10},
      {"regex with nested counted repetition", C::kSearch, "~\"((((a{100}){100}){100}){100})\"",
       INVALID, "invalid regular expression"},
      {"regex over RE2's 8 MiB program budget", C::kSearch, "~\"\\pL{1000}\\pL{1000}\"", INVALID,
       "pattern too large"},
      {"a 1 MB regex of alternatives (within the budget)", C::kSearch, alternation, OK, "", 0, 0,
       0, 0},
      {"limit 999999999999, request limit 0 (the default, 100)", C::kSearch,
       "service:load | limit 999999999999", OK, "", 0, 0, 100, 100},
      {"limit 999999999999, request limit UINT64_MAX (capped)", C::kSearch,
       "service:load | limit 999999999999", OK, "", std::numeric_limits<uint64_t>::max(), 0,
       kMaxRows, kMaxRows},
      {"limit beyond uint64", C::kSearch, "* | limit 99999999999999999999999", INVALID,
       "position 11: expected a non-negative integer"},
      {"negative limit", C::kSearch, "* | limit -5", INVALID, "position 11: expected a non-negative integer"},
      {"request limit UINT64_MAX", C::kSearch, "service:load", OK, "",
       std::numeric_limits<uint64_t>::max(), 0, kMaxRows, kMaxRows},
      {"sort without limit over 100,000 events", C::kSearch, "service:load | sort by (_msg)",
       OK, "", 0, 0, 100, 100},
      {"sort without limit, request limit huge", C::kSearch, "* | sort by (u desc)", OK, "",
       std::numeric_limits<uint64_t>::max(), 0, kMaxRows, kMaxRows},
      {"stats by 100,000 groups (over max_result_rows)", C::kAggregate,
       "* | stats by (u) count()", StatusCode::RESOURCE_EXHAUSTED, "max_result_rows (1000)"},
      {"stats by 100,000 groups, sorted and limited", C::kAggregate,
       "* | stats by (u, _msg) count() n | sort by (n desc) | limit 10", OK, "", 0, 0, 10, 10},
      {"stats by _time:1ns", C::kAggregate, "* | stats by (_time:1ns) count()",
       StatusCode::RESOURCE_EXHAUSTED, "max_result_rows"},
      {"top with a huge N", C::kAggregate, "* | top 999999999999 by (u)",
       StatusCode::RESOURCE_EXHAUSTED, "max_result_rows"},
      {"quantile out of range", C::kAggregate, "* | stats quantile(7, u)", INVALID, "position"},
      {"Search with a stats pipe", C::kSearch, "* | stats count()", INVALID, "send it to Aggregate"},
      {"Aggregate without a stats pipe", C::kAggregate, "*", INVALID, "stats or top pipe"},
      {"timeout_ms 1 on a heavy regex scan", C::kSearch,
       "~\"(a|b|c)*q(x|y)*z\" | sort by (_msg)", StatusCode::DEADLINE_EXCEEDED, "deadline", 0, 1},
      {"timeout_ms 1 on a heavy aggregation", C::kAggregate,
       "* | stats by (_msg) count_uniq(u), quantile(0.5, u)", StatusCode::DEADLINE_EXCEEDED,
       "deadline", 0, 1},
      {"GetTrace of an unknown ID", C::kTrace, "no-such-trace-id", OK, "", 0, 0, 0, 0},
      {"GetTrace of an empty ID", C::kTrace, "", INVALID, "trace_id is empty"},
      {"GetTrace of a 1 MB ID", C::kTrace, std::string(kMiB, 'z'), OK, "", 0, 0, 0, 0},
  };

  for (const QueryRow& row : rows) {
    SCOPED_TRACE("row: " + row.name);
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status s;
    size_t n = 0;
    switch (row.call) {
      case C::kSearch:
        n = Search(row.query, &s, row.limit, row.timeout_ms).size();
        break;
      case C::kAggregate:
        n = static_cast<size_t>(Aggregate(row.query, &s, row.timeout_ms).rows_size());
        break;
      case C::kTrace: {
        v1::GetTraceRequest request;
        request.set_trace_id(row.query);
        v1::GetTraceResponse trace;
        s = trove_->GetTrace(Context().get(), request, &trace);
        n = static_cast<size_t>(trace.events_size());
        break;
      }
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(s.error_code(), row.code) << s.error_message();
    if (row.code == OK) {
      EXPECT_GE(n, row.min_events);
      EXPECT_LE(n, row.max_events);
    } else {
      EXPECT_NE(s.error_message().find(row.message), std::string::npos) << s.error_message();
    }
    std::string shown = s.error_message().substr(0, 90);
    std::printf("  %-56s code %-2d %7.0f ms  peak RSS %5llu MiB  %s\n", row.name.c_str(),
                s.error_code(), ms, static_cast<unsigned long long>(PeakRssBytes() / kMiB),
                shown.c_str());
    ExpectHealthy(row.name);
  }
  const uint64_t rss_after = PeakRssBytes();
  std::printf("peak RSS: %llu MiB before the table, %llu MiB after\n",
              static_cast<unsigned long long>(rss_before / kMiB),
              static_cast<unsigned long long>(rss_after / kMiB));
  EXPECT_LT(rss_after - rss_before, uint64_t{1536} * kMiB) << "the server ballooned";
}

}  // namespace
}  // namespace trove::server
