// Conversion between the public protobuf messages (proto/trove.proto) and Trove's internal
// types (storage/event.h, query/engine.h). The only code that knows both; the services call it
// and storage/query never see a protobuf.
//
// Free functions without shared state: thread-safe.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>

#include "proto/event_convert.h"
#include "proto/trove.pb.h"
#include "query/engine.h"
#include "server/admission.h"
#include "storage/event.h"
#include "storage/status.h"
#include "storage/store.h"

namespace trove::server {

namespace v1 = ::trove::v1;
namespace wire {
class Event;  // server/ingest_wire.proto: trove.v1.Event with `bytes` text fields
}

// ---- events ----

// Fills *out from an ingested event. Text is copied as is (Store::Append repairs invalid UTF-8
// and checks limits). Returns InvalidArgument, a per-event rejection reason, for what the proto
// can say but an Event cannot hold: a level number outside trove.v1.Level, an attribute without
// a value.
Status EventFromProto(const v1::Event& in, Event* out);
Status EventFromProto(const wire::Event& in, Event* out);

// EventToProto and LevelToProto: proto/event_convert.h.

// ---- query results ----

void CellToProto(const query::Cell& in, v1::Cell* out);
// Columns and rows of an aggregation table.
void TableToProto(const query::Table& in, v1::AggregateResponse* out);
void ExplainToProto(const query::ExplainStats& in, double elapsed_ms, v1::Explain* out);
// Moves the events out of *in.
void TraceToProto(query::Trace* in, v1::GetTraceResponse* out);

// ---- admin ----

// Everything but data_dir, uptime_ns and the tiering settings, which the caller knows.
void StoreStatsToProto(const StoreStats& in, v1::StatsResponse* out);
// The tiering settings of StatsResponse (archive_after_ns … maintenance_interval_ns).
void TieringOptionsToProto(const StoreOptions& in, v1::StatsResponse* out);
void TierStatsToProto(const TierStats& in, v1::TierStats* out);
void MaintenanceCountsToProto(const MaintenanceCounts& in, v1::MaintenanceCounts* out);
void SegmentToProto(const SegmentReader& in, int64_t partition_ns, v1::SegmentInfo* out);
// Counters and limits of admission control.
void AdmissionStatsToProto(const AdmissionControl::Stats& in,
                           const AdmissionControl::Options& limits, v1::AdmissionStats* out);

// ---- errors ----

// The gRPC status for a Trove Status (proto/trove.proto conventions):
//   InvalidArgument → INVALID_ARGUMENT, NotFound → NOT_FOUND,
//   ResourceExhausted → RESOURCE_EXHAUSTED, Corruption → DATA_LOSS, IOError → INTERNAL,
//   Aborted: "deadline" → DEADLINE_EXCEEDED, "cancel" → CANCELLED, else ABORTED.
// The message is the Status message (it names the file, the position, the limit).
grpc::Status ToGrpcStatus(const Status& status);

}  // namespace trove::server
