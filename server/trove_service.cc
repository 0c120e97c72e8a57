#include "server/trove_service.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

#include "query/matcher.h"
#include "query/parser.h"
#include "server/convert.h"
#include "server/ingest_wire.pb.h"

namespace trove::server {

namespace v1 = ::trove::v1;
using grpc::StatusCode;

namespace {

int64_t WallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool HasStatsPipe(const query::Query& q) {
  return std::any_of(q.pipes.begin(), q.pipes.end(), [](const query::Pipe& p) {
    return p.kind == query::Pipe::Kind::kStats || p.kind == query::Pipe::Kind::kTop;
  });
}

double MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

grpc::Status InvalidArgument(std::string message) {
  SanitizeUtf8(&message);
  return grpc::Status(StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status BatchTooLarge(uint64_t events, uint64_t limit) {
  return InvalidArgument("batch of " + std::to_string(events) + " events exceeds the limit of " +
                         std::to_string(limit) +
                         " (max_batch_events); split it into smaller requests");
}

// Counts the events (field 1) of a serialized IngestRequest without materialising them. An
// empty event is 2 bytes on the wire but ~80 bytes parsed, so a max_message_bytes request of
// them would cost GiBs before the batch limit could refuse it (tests/hostile_input_test.cc).
// False on malformed wire data, which the real parse then reports.
bool CountWireEvents(grpc::ByteBuffer* buffer, uint64_t* count) {
  using google::protobuf::internal::WireFormatLite;
  grpc::ProtoBufferReader reader(buffer);
  if (!reader.status().ok()) return false;
  google::protobuf::io::CodedInputStream in(&reader);
  *count = 0;
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return true;  // the end (or a bad tag, left to the parse)
    if (WireFormatLite::GetTagFieldNumber(tag) == 1) ++*count;
    if (!WireFormatLite::SkipField(&in, tag)) return false;
  }
}

}  // namespace

// What an ingest call has done so far; a stream adds up all its messages.
struct TroveService::IngestTotals {
  uint64_t events = 0;  // events received: the stream index of the next message's first event
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::vector<std::pair<uint64_t, std::string>> rejections;  // first kMaxListedRejections

  void ToProto(v1::IngestResponse* out) const {
    out->set_accepted(accepted);
    out->set_rejected(rejected);
    for (const auto& [index, reason] : rejections) {
      v1::Rejection* r = out->add_rejections();
      r->set_index(index);
      r->set_reason(reason);
    }
  }
};

// A running query: its slot, its options and the registration that cancels it with its call.
struct TroveService::QueryScope {
  AdmissionControl::Ticket ticket;
  query::QueryOptions options;
  std::atomic<bool> cancelled{false};
  CancelWatcher::Registration registration;
};

TroveService::TroveService(const ServerConfig& config, Store* store,
                           const query::QueryEngine* engine, TailHub* tail, CancelWatcher* watcher,
                           AdmissionControl* admission)
    : config_(config),
      store_(store),
      engine_(engine),
      tail_(tail),
      watcher_(watcher),
      admission_(admission) {
  // Replace the generated handlers of Ingest (method 0) and IngestStream (method 1) by ones
  // that receive the raw request bytes, so DecodeIngest can parse them leniently
  // (ingest_wire.proto). Registering a method as "streamed" is the mechanism behind the
  // generated WithStreamedUnaryMethod_* classes; on the wire nothing changes.
  MarkMethodStreamed(
      0, new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, v1::IngestResponse>(
             [this](grpc::ServerContext* context,
                    grpc::ServerUnaryStreamer<grpc::ByteBuffer, v1::IngestResponse>* stream) {
               return IngestUnary(context, stream);
             }));
  MarkMethodStreamed(
      1, new grpc::internal::TemplatedBidiStreamingHandler<
             grpc::ServerReaderWriter<v1::IngestResponse, grpc::ByteBuffer>, false>(
             [this](grpc::ServerContext* context,
                    grpc::ServerReaderWriter<v1::IngestResponse, grpc::ByteBuffer>* stream) {
               return IngestStreamed(context, stream);
             }));
}

// ---- admission ----------------------------------------------------------------------------

grpc::Status TroveService::Refused(grpc::ServerContext* context, const Status& status) {
  // The same hint the store's backpressure gives: nothing of the call was stored (or, for a
  // query, nothing ran), so retrying it shortly is safe.
  context->AddTrailingMetadata("retry-after-ms", "1000");
  return ToGrpcStatus(status);
}

grpc::Status TroveService::AdmitIngest(grpc::ServerContext* context, grpc::ByteBuffer* buffer,
                                       AdmissionControl::Ticket* ticket) {
  Status s = admission_->AdmitIngest(buffer->Length(), context->deadline(), ticket);
  return s.ok() ? grpc::Status::OK : Refused(context, s);
}

// ---- ingest -------------------------------------------------------------------------------

grpc::Status TroveService::DecodeIngest(grpc::ByteBuffer* buffer,
                                        wire::IngestRequest* request) const {
  uint64_t events = 0;
  if (CountWireEvents(buffer, &events) && events > config_.max_batch_events) {
    return BatchTooLarge(events, config_.max_batch_events);
  }
  grpc::ProtoBufferReader reader(buffer);
  if (!reader.status().ok() || !request->ParseFromZeroCopyStream(&reader)) {
    return InvalidArgument("the request is not a trove.v1.IngestRequest");
  }
  return grpc::Status::OK;
}

grpc::Status TroveService::IngestUnary(
    grpc::ServerContext* context,
    grpc::ServerUnaryStreamer<grpc::ByteBuffer, v1::IngestResponse>* stream) {
  grpc::ByteBuffer buffer;
  if (!stream->Read(&buffer)) return InvalidArgument("no IngestRequest received");
  AdmissionControl::Ticket ticket;
  grpc::Status s = AdmitIngest(context, &buffer, &ticket);
  if (!s.ok()) return s;
  wire::IngestRequest request;
  s = DecodeIngest(&buffer, &request);
  if (!s.ok()) return s;
  IngestTotals totals;
  s = AppendBatch(context, request, &totals);
  if (!s.ok()) return s;
  v1::IngestResponse response;
  totals.ToProto(&response);
  stream->Write(response);
  return grpc::Status::OK;
}

grpc::Status TroveService::IngestStreamed(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::IngestResponse, grpc::ByteBuffer>* stream) {
  IngestTotals totals;
  grpc::ByteBuffer buffer;
  wire::IngestRequest request;
  // Each message is durable before the next is read (proto contract), so a failure leaves a
  // clean prefix of the stream acknowledged; the error says where it ends.
  while (stream->Read(&buffer)) {
    request.Clear();
    // Admitted message by message: a stream may run for long, and each message is a new
    // append of new bytes.
    AdmissionControl::Ticket ticket;
    grpc::Status s = AdmitIngest(context, &buffer, &ticket);
    if (s.ok()) s = DecodeIngest(&buffer, &request);
    if (s.ok()) s = AppendBatch(context, request, &totals);
    if (!s.ok()) {
      if (totals.events == 0) return s;
      std::string message = s.error_message() + " (the stream's events before index " +
                            std::to_string(totals.events) +
                            " were handled: " + std::to_string(totals.accepted) + " accepted)";
      return grpc::Status(s.error_code(), message);
    }
  }
  v1::IngestResponse response;
  totals.ToProto(&response);
  stream->Write(response);
  return grpc::Status::OK;
}

grpc::Status TroveService::AppendBatch(grpc::ServerContext* context,
                                       const wire::IngestRequest& request, IngestTotals* totals) {
  const size_t n = static_cast<size_t>(request.events_size());
  if (n > config_.max_batch_events) {
    return BatchTooLarge(n, config_.max_batch_events);
  }
  const int64_t now = WallNowNs();
  std::vector<Event> events;
  events.reserve(n);
  std::vector<size_t> origin;  // request index of events[i]
  origin.reserve(n);
  std::vector<std::pair<size_t, std::string>> rejected;  // request index, reason
  for (size_t i = 0; i < n; ++i) {
    Event e;
    Status s = EventFromProto(request.events(static_cast<int>(i)), &e);
    if (!s.ok()) {
      rejected.emplace_back(i, s.message());
      continue;
    }
    if (e.time_ns == 0) e.time_ns = now;  // no time given: the arrival time (proto contract)
    events.push_back(std::move(e));
    origin.push_back(i);
  }
  // Copy only when someone tails: Append consumes the events.
  std::vector<Event> for_tail;
  if (tail_->HasSubscribers()) for_tail = events;

  auto appended = store_->Append(std::move(events));
  if (!appended.ok()) {
    // Backpressure: the client should retry the same batch shortly.
    if (appended.status().IsResourceExhausted()) {
      admission_->CountBackpressure();
      return Refused(context, appended.status());
    }
    return ToGrpcStatus(appended.status());
  }
  std::vector<bool> store_rejected(for_tail.size());
  for (const AppendResult::Rejected& r : appended->rejected) {
    rejected.emplace_back(origin[r.index], r.reason.message());
    if (r.index < store_rejected.size()) store_rejected[r.index] = true;
  }
  std::sort(rejected.begin(), rejected.end());

  const uint64_t base = totals->events;
  totals->events += n;
  totals->accepted += appended->accepted;
  totals->rejected += rejected.size();
  for (auto& [index, reason] : rejected) {
    if (totals->rejections.size() >= kMaxListedRejections) break;
    SanitizeUtf8(&reason);
    totals->rejections.emplace_back(base + index, std::move(reason));
  }
  if (!for_tail.empty()) PublishAccepted(std::move(for_tail), store_rejected);
  return grpc::Status::OK;
}

void TroveService::PublishAccepted(std::vector<Event> events, const std::vector<bool>& rejected) {
  std::vector<Event> accepted;
  accepted.reserve(events.size());
  const int64_t now = WallNowNs();
  for (size_t i = 0; i < events.size(); ++i) {
    if (rejected[i]) continue;
    // The same repair the store applied (U+FFFD, attribute order), so tail shows what a search
    // will show. It succeeded in the store; a failure here (a clock step) only skips the repair.
    Status ignored = NormalizeEvent(store_->options().limits, now, &events[i]);
    (void)ignored;
    accepted.push_back(std::move(events[i]));
  }
  tail_->Publish(accepted);
}

// ---- queries ------------------------------------------------------------------------------

grpc::Status TroveService::StartQuery(grpc::ServerContext* context, const v1::TimeRange* range,
                                      uint64_t timeout_ms, QueryScope* scope) {
  query::QueryOptions& o = scope->options;
  if (range != nullptr) {
    if (range->from_ns() != 0) o.from_ns = range->from_ns();
    if (range->to_ns() != 0) o.to_ns = range->to_ns();
    if (range->from_ns() != 0 && range->to_ns() != 0 && range->from_ns() >= range->to_ns()) {
      return InvalidArgument("range.from_ns (" + std::to_string(range->from_ns()) +
                             ") must be before range.to_ns (" + std::to_string(range->to_ns()) +
                             ")");
    }
  }
  // A slot first: the query's own time starts once it runs.
  if (Status admitted = admission_->AdmitQuery(context->deadline(), &scope->ticket);
      !admitted.ok()) {
    return Refused(context, admitted);
  }
  // The query may run for the server's limit, the request's timeout and the client's gRPC
  // deadline, whichever ends first.
  const auto start = std::chrono::steady_clock::now();
  auto budget = std::chrono::nanoseconds(config_.max_query_ns);
  if (timeout_ms != 0 && timeout_ms < static_cast<uint64_t>(config_.max_query_ns / 1'000'000)) {
    budget = std::chrono::milliseconds(timeout_ms);
  }
  o.deadline = start + budget;
  const auto client_deadline = context->deadline();
  if (client_deadline != std::chrono::system_clock::time_point::max()) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        client_deadline - std::chrono::system_clock::now());
    if (left < budget) o.deadline = start + left;
  }
  o.cancel = &scope->cancelled;
  scope->registration =
      watcher_->Watch([context] { return context->IsCancelled(); }, &scope->cancelled);
  return grpc::Status::OK;
}

grpc::Status TroveService::Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                                  grpc::ServerWriter<v1::SearchResponse>* writer) {
  const auto t0 = std::chrono::steady_clock::now();
  // An empty query lists everything, as for Tail.
  const bool blank = request->query().find_first_not_of(" \t\r\n") == std::string::npos;
  auto query = query::ParseQuery(blank ? "*" : request->query(), WallNowNs());
  if (!query.ok()) return ToGrpcStatus(query.status());
  if (HasStatsPipe(*query)) {
    return InvalidArgument("the query has a stats or top pipe; send it to Aggregate");
  }
  QueryScope scope;
  grpc::Status s = StartQuery(context, &request->range(), request->timeout_ms(), &scope);
  if (!s.ok()) return s;
  uint64_t limit = request->limit() != 0 ? request->limit() : config_.default_search_limit;
  scope.options.max_result_rows = std::min(limit, config_.max_result_rows);

  auto result = engine_->Run(*store_->GetSnapshot(), *query, scope.options);
  if (!result.ok()) return ToGrpcStatus(result.status());
  std::vector<Event>& events = result->events;

  // Batches of kSearchBatchEvents (or kBatchBytes); the last one carries done and the stats.
  size_t next = 0;
  bool first = true;
  do {
    v1::SearchResponse response;
    if (first) {
      for (const std::string& f : result->fields) response.add_fields(f);
      first = false;
    }
    size_t bytes = 0;
    while (next < events.size() && response.events_size() < static_cast<int>(kSearchBatchEvents) &&
           bytes < kBatchBytes) {
      bytes += events[next].ApproximateSize();
      EventToProto(std::move(events[next]), response.add_events());
      ++next;
    }
    if (next == events.size()) {
      response.set_done(true);
      response.set_truncated(result->truncated);
      if (request->explain()) {
        ExplainToProto(result->explain, MillisSince(t0), response.mutable_explain());
      }
    }
    // The last batch goes out with the status (WriteLast): one send instead of two.
    if (next == events.size()) {
      writer->WriteLast(response, grpc::WriteOptions());
    } else if (!writer->Write(response)) {
      return grpc::Status(StatusCode::CANCELLED, "the client stopped reading");
    }
  } while (next < events.size());
  return grpc::Status::OK;
}

grpc::Status TroveService::Aggregate(grpc::ServerContext* context,
                                     const v1::AggregateRequest* request,
                                     v1::AggregateResponse* response) {
  const auto t0 = std::chrono::steady_clock::now();
  auto query = query::ParseQuery(request->query(), WallNowNs());
  if (!query.ok()) return ToGrpcStatus(query.status());
  if (!HasStatsPipe(*query)) {
    return InvalidArgument(
        "Aggregate needs a query with a stats or top pipe, e.g. "
        "'level:error | stats by (service) count()'; for events use Search (trove search)");
  }
  QueryScope scope;
  grpc::Status s = StartQuery(context, &request->range(), request->timeout_ms(), &scope);
  if (!s.ok()) return s;
  auto result = engine_->Run(*store_->GetSnapshot(), *query, scope.options);
  if (!result.ok()) return ToGrpcStatus(result.status());
  if (result->table.rows.size() > config_.max_result_rows) {
    return grpc::Status(StatusCode::RESOURCE_EXHAUSTED,
                        "the aggregation has " + std::to_string(result->table.rows.size()) +
                            " rows, more than the server's max_result_rows (" +
                            std::to_string(config_.max_result_rows) +
                            "); add '| sort by (...) | limit N' or group more coarsely");
  }
  TableToProto(result->table, response);
  if (request->explain()) {
    ExplainToProto(result->explain, MillisSince(t0), response->mutable_explain());
  }
  return grpc::Status::OK;
}

grpc::Status TroveService::GetTrace(grpc::ServerContext* context,
                                    const v1::GetTraceRequest* request,
                                    v1::GetTraceResponse* response) {
  if (request->trace_id().empty()) return InvalidArgument("trace_id is empty");
  QueryScope scope;
  grpc::Status s = StartQuery(context, nullptr, 0, &scope);
  if (!s.ok()) return s;
  // A trace with more events is cut to its first max_result_rows by time (truncated).
  scope.options.max_trace_events = config_.max_result_rows;
  auto trace = engine_->GetTrace(*store_->GetSnapshot(), request->trace_id(), scope.options);
  if (!trace.ok()) return ToGrpcStatus(trace.status());
  TraceToProto(&*trace, response);
  return grpc::Status::OK;
}

// ---- live tail ----------------------------------------------------------------------------

grpc::Status TroveService::Tail(grpc::ServerContext* context, const v1::TailRequest* request,
                                grpc::ServerWriter<v1::TailResponse>* writer) {
  const bool blank = request->query().find_first_not_of(" \t\r\n") == std::string::npos;
  auto query = query::ParseQuery(blank ? "*" : request->query(), WallNowNs());
  if (!query.ok()) return ToGrpcStatus(query.status());
  if (!query->pipes.empty()) {
    return InvalidArgument("Tail takes a filter without pipes, e.g. 'service:api level:error'");
  }
  auto filter = query::CompiledFilter::Compile(query->filter, std::numeric_limits<int64_t>::min(),
                                               std::numeric_limits<int64_t>::max());
  if (!filter.ok()) return ToGrpcStatus(filter.status());
  AdmissionControl::Ticket ticket;
  if (Status admitted = admission_->AdmitTail(&ticket); !admitted.ok()) {
    return Refused(context, admitted);
  }
  auto subscription = tail_->Subscribe(std::move(filter).value());
  writer->SendInitialMetadata();

  std::vector<Event> events;
  uint64_t dropped = 0;
  // Wake up a few times a second to notice a cancelled client even when nothing arrives.
  constexpr auto kPoll = std::chrono::milliseconds(200);
  while (!context->IsCancelled()) {
    if (!subscription->Next(kPoll, kSearchBatchEvents, kBatchBytes, &events, &dropped)) {
      return grpc::Status(StatusCode::UNAVAILABLE, "the server is shutting down");
    }
    if (events.empty() && dropped == 0) continue;
    v1::TailResponse response;
    for (Event& e : events) EventToProto(std::move(e), response.add_events());
    response.set_dropped(dropped);
    if (!writer->Write(response)) break;
  }
  return grpc::Status(StatusCode::CANCELLED, "the client went away");
}

}  // namespace trove::server
