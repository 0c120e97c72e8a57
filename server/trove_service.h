// TroveService: the trove.v1.Trove gRPC service (ingest, search, aggregate, traces, live tail)
// over one Store, with the synchronous gRPC API (one thread per call in flight).
//
// Limits come from ServerConfig: ingest batches over max_batch_events fail with
// INVALID_ARGUMENT; a query runs at most min(request timeout_ms, max_query_ns) and stops when its
// client cancels (CancelWatcher); a search returns at most max_result_rows events, an
// aggregation at most max_result_rows rows, a trace its first max_result_rows events. Every
// query, ingest message and tail first passes AdmissionControl (slots, in-flight bytes, the
// memory budget). Errors follow the conventions of proto/trove.proto (ToGrpcStatus); a refusal
// by admission control or by the store's backpressure (RESOURCE_EXHAUSTED) adds trailing
// metadata `retry-after-ms: 1000`.
//
// Ingest and IngestStream decode their requests with server/ingest_wire.proto (text fields as
// `bytes`), so invalid UTF-8 in an event is repaired to U+FFFD by the store instead of failing
// the whole request in protobuf's parser. See the constructor.
//
// Thread-safe: gRPC calls the handlers concurrently.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "query/engine.h"
#include "server/admission.h"
#include "server/cancel_watcher.h"
#include "server/config.h"
#include "server/tail_hub.h"
#include "storage/store.h"

namespace trove::server {

namespace wire {
class IngestRequest;
}

class TroveService final : public ::trove::v1::Trove::Service {
 public:
  // Not owned: store, engine, tail, watcher and admission must outlive the service.
  TroveService(const ServerConfig& config, Store* store, const query::QueryEngine* engine,
               TailHub* tail, CancelWatcher* watcher, AdmissionControl* admission);

  // Streams the matching events in batches of up to kSearchBatchEvents; the last message has
  // done = true, truncated and (when asked) explain. A query with a stats/top pipe is
  // INVALID_ARGUMENT (use Aggregate).
  grpc::Status Search(grpc::ServerContext* context, const ::trove::v1::SearchRequest* request,
                      grpc::ServerWriter<::trove::v1::SearchResponse>* writer) override;
  // INVALID_ARGUMENT unless the query has a stats or top pipe; RESOURCE_EXHAUSTED when the
  // table has more than max_result_rows rows.
  grpc::Status Aggregate(grpc::ServerContext* context, const ::trove::v1::AggregateRequest* request,
                         ::trove::v1::AggregateResponse* response) override;
  // Every event of the ID in time order, at most max_result_rows of them (the first by time;
  // truncated says more exist); an unknown ID gives an empty response.
  grpc::Status GetTrace(grpc::ServerContext* context, const ::trove::v1::GetTraceRequest* request,
                        ::trove::v1::GetTraceResponse* response) override;
  // Sends initial metadata once the subscription is registered (a client that waits for it
  // knows every matching event of an ingest call that starts afterwards will reach it), then
  // batches of matching events as they are acknowledged, until the client cancels (CANCELLED) or the server shuts down
  // (UNAVAILABLE).
  grpc::Status Tail(grpc::ServerContext* context, const ::trove::v1::TailRequest* request,
                    grpc::ServerWriter<::trove::v1::TailResponse>* writer) override;

  // Events per streamed SearchResponse / TailResponse; a message also closes at
  // kBatchBytes of event data so it stays far below gRPC's default 4 MiB client receive limit.
  static constexpr size_t kSearchBatchEvents = 500;
  static constexpr size_t kBatchBytes = 1 << 20;
  // Rejections listed per IngestResponse (the counts cover all of them).
  static constexpr size_t kMaxListedRejections = 100;

 private:
  struct IngestTotals;
  struct QueryScope;

  grpc::Status IngestUnary(
      grpc::ServerContext* context,
      grpc::ServerUnaryStreamer<grpc::ByteBuffer, ::trove::v1::IngestResponse>* stream);
  grpc::Status IngestStreamed(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<::trove::v1::IngestResponse, grpc::ByteBuffer>* stream);
  // Decodes one request message; INVALID_ARGUMENT when it is not an IngestRequest or holds
  // more than max_batch_events events (counted on the wire, before anything is parsed).
  grpc::Status DecodeIngest(grpc::ByteBuffer* buffer, wire::IngestRequest* request) const;
  // Converts, appends and publishes one batch; adds its outcome to *totals. A non-OK status
  // means nothing of this batch was acknowledged.
  grpc::Status AppendBatch(grpc::ServerContext* context, const wire::IngestRequest& request,
                           IngestTotals* totals);
  // Publishes the accepted events of an Append to tail subscribers.
  void PublishAccepted(std::vector<Event> events, const std::vector<bool>& rejected);

  // Admits the query (a slot, waiting up to queue_wait), then sets its options (time range,
  // deadline, cancel flag). RESOURCE_EXHAUSTED when it is not admitted.
  grpc::Status StartQuery(grpc::ServerContext* context, const ::trove::v1::TimeRange* range,
                          uint64_t timeout_ms, QueryScope* scope);
  // Room for one ingest message of buffer's size in the in-flight budget.
  grpc::Status AdmitIngest(grpc::ServerContext* context, grpc::ByteBuffer* buffer,
                           AdmissionControl::Ticket* ticket);
  // A refusal (ResourceExhausted) as RESOURCE_EXHAUSTED with `retry-after-ms`.
  static grpc::Status Refused(grpc::ServerContext* context, const Status& status);

  const ServerConfig config_;
  Store* const store_;
  const query::QueryEngine* const engine_;
  TailHub* const tail_;
  CancelWatcher* const watcher_;
  AdmissionControl* const admission_;
};

}  // namespace trove::server
