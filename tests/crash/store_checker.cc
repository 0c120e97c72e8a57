#include "tests/crash/store_checker.h"

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>
#include <thread>

namespace trove::crash {
namespace {

// Ids per `stats by (id)` query: bounds one answer to a few MiB.
constexpr int64_t kIdsPerQuery = 200'000;
// The checker's calls scan the whole store; generous for the sanitizer build.
constexpr int kQueryTimeoutMs = 120'000;

std::unique_ptr<grpc::ClientContext> Context(int timeout_ms) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  return context;
}

Status RpcError(const char* what, const grpc::Status& s) {
  return Status::IOError(std::string(what) + " failed: code " +
                         std::to_string(static_cast<int>(s.error_code())) + " " +
                         s.error_message());
}

// A cell holding an integer, as Aggregate may render it.
bool CellInt(const v1::Cell& cell, int64_t* out) {
  switch (cell.kind_case()) {
    case v1::Cell::kIntValue:
      *out = cell.int_value();
      return true;
    case v1::Cell::kDoubleValue:
      *out = static_cast<int64_t>(cell.double_value());
      return static_cast<double>(*out) == cell.double_value();
    case v1::Cell::kStringValue: {
      const std::string& s = cell.string_value();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && end == s.data() + s.size();
    }
    default:
      return false;
  }
}

void Fail(CheckReport* report, std::string message) {
  if (report->failures.size() < 20) report->failures.push_back(std::move(message));
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  // A fresh channel per server life: no reconnect backoff carried over from the dead one.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

Status WaitServing(const std::shared_ptr<grpc::Channel>& channel, int timeout_ms) {
  // grpc.health.v1 has no generated stubs here: the request is the empty message and SERVING
  // is the answer {status: 1}, i.e. the bytes 08 01.
  grpc::GenericStub stub(channel);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    auto context = Context(1000);
    std::promise<grpc::Status> done;
    stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                   &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
    const grpc::Status s = done.get_future().get();
    if (s.ok()) {
      std::vector<grpc::Slice> slices;
      std::string bytes;
      if (response.Dump(&slices).ok()) {
        for (const grpc::Slice& slice : slices) {
          bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
        }
      }
      if (bytes == std::string("\x08\x01", 2)) return Status::OK();
      last = "health status bytes of size " + std::to_string(bytes.size());
    } else {
      last = s.error_message();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::IOError("troved not SERVING within " + std::to_string(timeout_ms) +
                         " ms: " + last);
}

StoreChecker::StoreChecker(std::shared_ptr<grpc::Channel> channel)
    : trove_(v1::Trove::NewStub(channel)), admin_(v1::Admin::NewStub(channel)) {}

Result<int64_t> StoreChecker::CountEvents() {
  v1::AggregateRequest request;
  request.set_query("* | stats count() n");
  v1::AggregateResponse response;
  grpc::Status s = trove_->Aggregate(Context(kQueryTimeoutMs).get(), request, &response);
  if (!s.ok()) return RpcError("Aggregate count()", s);
  int64_t n = 0;
  if (response.rows_size() != 1 || response.rows(0).cells_size() != 1 ||
      !CellInt(response.rows(0).cells(0), &n)) {
    return Status::Corruption("count() answered " + response.ShortDebugString());
  }
  return n;
}

Result<v1::StatsResponse> StoreChecker::Stats(int timeout_ms) {
  v1::StatsResponse response;
  grpc::Status s = admin_->Stats(Context(timeout_ms).get(), v1::StatsRequest(), &response);
  if (!s.ok()) return RpcError("Admin.Stats", s);
  return response;
}

Status StoreChecker::Flush() {
  v1::FlushResponse response;
  grpc::Status s = admin_->Flush(Context(kQueryTimeoutMs).get(), v1::FlushRequest(), &response);
  return s.ok() ? Status::OK() : RpcError("Admin.Flush", s);
}

Status StoreChecker::CountIds(int64_t n, std::vector<uint32_t>* counts, int64_t* unknown_ids,
                              int64_t* with_id) {
  counts->assign(n, 0);
  *unknown_ids = 0;
  *with_id = 0;
  for (int64_t lo = 0; lo < n; lo += kIdsPerQuery) {
    const int64_t hi = std::min(n, lo + kIdsPerQuery);
    v1::AggregateRequest request;
    request.set_query("id:[" + std::to_string(lo) + ", " + std::to_string(hi) +
                      ") | stats by (id) count() n");
    v1::AggregateResponse response;
    grpc::Status s = trove_->Aggregate(Context(kQueryTimeoutMs).get(), request, &response);
    if (!s.ok()) return RpcError("Aggregate stats by (id)", s);
    for (const v1::Row& row : response.rows()) {
      int64_t id = -1, count = 0;
      if (row.cells_size() != 2 || !CellInt(row.cells(1), &count)) {
        return Status::Corruption("stats by (id) row " + row.ShortDebugString());
      }
      *with_id += count;
      if (!CellInt(row.cells(0), &id) || id < lo || id >= hi) {
        *unknown_ids += count;
        continue;
      }
      (*counts)[id] += static_cast<uint32_t>(count);
    }
  }
  return Status::OK();
}

Status StoreChecker::CheckTrace(const BatchRecord& batch, CheckReport* report) {
  v1::GetTraceRequest request;
  request.set_trace_id(batch.trace_id);
  v1::GetTraceResponse response;
  grpc::Status s = trove_->GetTrace(Context(kQueryTimeoutMs).get(), request, &response);
  if (!s.ok()) return RpcError("GetTrace", s);
  std::vector<int64_t> ids;
  for (const v1::Event& e : response.events()) {
    for (const v1::Attribute& a : e.attributes()) {
      if (a.key() == "id") ids.push_back(a.value().int_value());
    }
  }
  std::sort(ids.begin(), ids.end());
  bool right = ids.size() == static_cast<size_t>(batch.count);
  for (size_t i = 0; right && i < ids.size(); ++i) right = ids[i] == batch.first_id + int64_t(i);
  if (!right) {
    Fail(report, "GetTrace(" + batch.trace_id + ") returned " + std::to_string(ids.size()) +
                     " events; want ids " + std::to_string(batch.first_id) + ".." +
                     std::to_string(batch.first_id + batch.count - 1) + " once each");
  }
  ++report->traces_checked;
  return Status::OK();
}

Status StoreChecker::CheckTiers(CheckReport* report) {
  auto stats = Stats(kQueryTimeoutMs);
  if (!stats.ok()) return stats.status();
  const v1::StatsResponse& st = *stats;
  auto expect = [&](std::string_view what, uint64_t got, uint64_t want) {
    if (got != want) {
      Fail(report, std::string(what) + ": " + std::to_string(got) + ", want " +
                       std::to_string(want));
    }
  };
  expect("Stats: segment_rows + buffered_events vs count()",
         st.segment_rows() + st.buffered_events(), report->stored_events);
  expect("Stats: hot.segments + cold.segments vs segments", st.hot().segments() +
         st.cold().segments(), st.segments());
  expect("Stats: hot.rows + cold.rows vs segment_rows", st.hot().rows() + st.cold().rows(),
         st.segment_rows());
  expect("Stats: hot.bytes + cold.bytes vs segment_bytes", st.hot().bytes() + st.cold().bytes(),
         st.segment_bytes());
  if (!st.background_error().empty()) Fail(report, "background error: " + st.background_error());
  report->hot_segments = st.hot().segments();
  report->cold_segments = st.cold().segments();
  report->buffered_events = st.buffered_events();

  // ListSegments is a separate snapshot. Merges and archival keep the row total, but a flush
  // (of events replayed at start) moves rows from the buffer into segments: the listing must
  // match the Stats taken just before or after it, and a flush on both sides is retried.
  std::string mismatch;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto before = Stats(kQueryTimeoutMs);
    if (!before.ok()) return before.status();
    v1::ListSegmentsResponse list;
    grpc::Status s = admin_->ListSegments(Context(kQueryTimeoutMs).get(),
                                          v1::ListSegmentsRequest(), &list);
    if (!s.ok()) return RpcError("Admin.ListSegments", s);
    auto after = Stats(kQueryTimeoutMs);
    if (!after.ok()) return after.status();
    uint64_t rows = 0;
    for (const v1::SegmentInfo& seg : list.segments()) {
      rows += seg.rows();
      if (seg.tier() != "hot" && seg.tier() != "cold") {
        Fail(report, "ListSegments: segment " + std::to_string(seg.id()) + " in tier '" +
                         seg.tier() + "'");
      }
    }
    if (rows == before->segment_rows() || rows == after->segment_rows()) return Status::OK();
    mismatch = "ListSegments rows " + std::to_string(rows) + " vs Stats segment_rows " +
               std::to_string(before->segment_rows()) + "/" +
               std::to_string(after->segment_rows());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Fail(report, mismatch);
  return Status::OK();
}

Result<CheckReport> StoreChecker::CheckAll(const std::vector<Fate>& fates,
                                           const std::vector<BatchRecord>& batches,
                                           int trace_samples, std::mt19937_64* rng) {
  CheckReport report;
  auto total = CountEvents();
  if (!total.ok()) return total.status();
  report.stored_events = *total;

  const int64_t n = static_cast<int64_t>(fates.size());
  std::vector<uint32_t> counts;
  int64_t unknown = 0, with_id = 0;
  TROVE_RETURN_IF_ERROR(CountIds(n, &counts, &unknown, &with_id));
  if (with_id != report.stored_events) {
    // Fewer: events without an id the writers gave out. More: count() and the id ranges
    // disagree about the same store.
    report.unexpected += std::max<int64_t>(0, report.stored_events - with_id);
    Fail(&report, "count() says " + std::to_string(report.stored_events) +
                      " events, stats by (id) over [0, " + std::to_string(n) + ") says " +
                      std::to_string(with_id));
  }
  if (unknown > 0) {
    report.unexpected += unknown;
    Fail(&report, std::to_string(unknown) + " events with an id outside the range asked");
  }
  for (int64_t id = 0; id < n; ++id) {
    const uint32_t c = counts[id];
    if (c > 1) {
      ++report.duplicates;
      Fail(&report, "id " + std::to_string(id) + " stored " + std::to_string(c) + " times");
    }
    switch (fates[id]) {
      case Fate::kAcked:
        ++report.acked;
        if (c == 0) {
          ++report.lost;
          Fail(&report, "acknowledged id " + std::to_string(id) + " is missing");
        }
        break;
      case Fate::kInDoubt:
        ++report.in_doubt;
        if (c > 0) ++report.in_doubt_stored;
        break;
      case Fate::kRefused:
        if (c > 0) {
          ++report.unexpected;
          Fail(&report, "refused id " + std::to_string(id) + " is stored");
        }
        break;
    }
  }
  // A batch is appended as one write: after a kill it is all there or not at all.
  std::vector<const BatchRecord*> acked;
  for (const BatchRecord& b : batches) {
    if (b.fate == Fate::kAcked) acked.push_back(&b);
    if (b.fate != Fate::kInDoubt) continue;
    int present = 0;
    for (int64_t id = b.first_id; id < b.first_id + b.count; ++id) present += counts[id] > 0;
    if (present != 0 && present != b.count) {
      ++report.torn_batches;
      Fail(&report, "batch " + b.trace_id + " in doubt is partly stored: " +
                        std::to_string(present) + " of " + std::to_string(b.count));
    }
  }
  for (int i = 0; i < trace_samples && !acked.empty(); ++i) {
    TROVE_RETURN_IF_ERROR(CheckTrace(*acked[(*rng)() % acked.size()], &report));
  }
  TROVE_RETURN_IF_ERROR(CheckTiers(&report));
  return report;
}

}  // namespace trove::crash
