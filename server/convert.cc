#include "server/convert.h"

#include <type_traits>
#include <utility>

#include "server/ingest_wire.pb.h"
#include "storage/segment.h"

namespace trove::server {
namespace {

// trove.v1.Event and trove.server.wire.Event have the same accessors (string and bytes fields
// both read as std::string), so one template converts both.
template <typename ProtoEvent>
Status EventFromProtoImpl(const ProtoEvent& in, Event* out) {
  const int level = static_cast<int>(in.level());
  if (level < 0 || level >= kNumLevels) {
    return Status::InvalidArgument("level " + std::to_string(level) +
                                   " is not a trove.v1.Level (0..6)");
  }
  out->time_ns = in.time_ns();
  out->service = in.service();
  out->level = static_cast<Level>(level);
  out->host = in.host();
  out->message = in.message();
  out->trace_id = in.trace_id();
  out->span_id = in.span_id();
  out->parent_span_id = in.parent_span_id();
  out->attributes.clear();
  out->attributes.reserve(in.attributes_size());
  for (const auto& a : in.attributes()) {
    using ValueProto = std::decay_t<decltype(a.value())>;
    Attribute attr;
    attr.key = a.key();
    switch (a.value().kind_case()) {
      case ValueProto::kStringValue:
        attr.value = a.value().string_value();
        break;
      case ValueProto::kIntValue:
        attr.value = a.value().int_value();
        break;
      case ValueProto::kDoubleValue:
        attr.value = a.value().double_value();
        break;
      case ValueProto::kBoolValue:
        attr.value = a.value().bool_value();
        break;
      default: {
        std::string key = attr.key;
        SanitizeUtf8(&key);
        return Status::InvalidArgument("attribute '" + key + "' has no value");
      }
    }
    out->attributes.push_back(std::move(attr));
  }
  return Status::OK();
}

// Sets a proto3 string field, repairing invalid UTF-8 so the receiver's parse cannot fail.
template <typename S>
void SetText(S&& value, std::string* field) {
  *field = std::forward<S>(value);
  SanitizeUtf8(field);
}

}  // namespace

Status EventFromProto(const v1::Event& in, Event* out) { return EventFromProtoImpl(in, out); }
Status EventFromProto(const wire::Event& in, Event* out) { return EventFromProtoImpl(in, out); }

void CellToProto(const query::Cell& in, v1::Cell* out) {
  if (const auto* s = std::get_if<std::string>(&in)) {
    SetText(*s, out->mutable_string_value());
  } else if (const auto* i = std::get_if<int64_t>(&in)) {
    out->set_int_value(*i);
  } else if (const auto* d = std::get_if<double>(&in)) {
    out->set_double_value(*d);
  } else if (const auto* t = std::get_if<query::TimeValue>(&in)) {
    out->set_time_ns(t->ns);
  }
  // monostate: null, no field set.
}

void TableToProto(const query::Table& in, v1::AggregateResponse* out) {
  for (const std::string& c : in.columns) SetText(c, out->add_columns());
  out->mutable_rows()->Reserve(static_cast<int>(in.rows.size()));
  for (const auto& row : in.rows) {
    v1::Row* r = out->add_rows();
    for (const query::Cell& cell : row) CellToProto(cell, r->add_cells());
  }
}

void ExplainToProto(const query::ExplainStats& in, double elapsed_ms, v1::Explain* out) {
  SetText(in.plan, out->mutable_plan());
  out->set_segments_total(in.segments_total);
  out->set_segments_pruned_time(in.segments_pruned_time);
  out->set_segments_pruned_filter(in.segments_pruned_filter);
  out->set_segments_pruned_index(in.segments_pruned_index);
  out->set_segments_skipped_limit(in.segments_skipped_limit);
  out->set_segments_searched(in.segments_searched);
  out->set_blocks_pruned(in.blocks_pruned);
  out->set_candidate_rows(in.candidate_rows);
  out->set_verified_rows(in.verified_rows);
  out->set_matched_rows(in.matched_rows);
  out->set_buffered_events(in.recent_events);
  for (const std::string& t : in.terms) SetText(t, out->add_terms());
  for (const std::string& c : in.columns_read) SetText(c, out->add_columns_read());
  out->set_elapsed_ms(elapsed_ms);
  out->set_segments_hot(in.segments_hot);
  out->set_segments_cold(in.segments_cold);
  for (const auto& r : in.segments_read) SetText(query::SegmentReadName(r), out->add_segments_read());
}

void TraceToProto(query::Trace* in, v1::GetTraceResponse* out) {
  SetText(in->trace_id, out->mutable_trace_id());
  out->mutable_events()->Reserve(static_cast<int>(in->events.size()));
  for (Event& e : in->events) EventToProto(std::move(e), out->add_events());
  for (const query::TraceSpan& s : in->spans) {
    v1::Span* span = out->add_spans();
    SetText(s.span_id, span->mutable_span_id());
    SetText(s.parent_span_id, span->mutable_parent_span_id());
    SetText(s.service, span->mutable_service());
    span->set_start_ns(s.start_ns);
    span->set_end_ns(s.end_ns);
    span->set_depth(s.depth);
    for (size_t i : s.events) span->add_event_indexes(static_cast<uint32_t>(i));
  }
  for (const query::ServiceSummary& s : in->services) {
    v1::ServiceSummary* sum = out->add_services();
    SetText(s.service, sum->mutable_service());
    sum->set_first_ns(s.first_ns);
    sum->set_last_ns(s.last_ns);
    sum->set_events(s.events);
    sum->set_errors(s.errors);
  }
  out->set_start_ns(in->start_ns);
  out->set_end_ns(in->end_ns);
  out->set_truncated(in->truncated);
}

void MaintenanceCountsToProto(const MaintenanceCounts& in, v1::MaintenanceCounts* out) {
  out->set_archived_segments(in.archived_segments);
  out->set_archived_rows(in.archived_rows);
  out->set_archived_hot_bytes(in.archived_hot_bytes);
  out->set_archived_cold_bytes(in.archived_cold_bytes);
  out->set_dropped_partitions(in.dropped_partitions);
  out->set_dropped_segments(in.dropped_segments);
  out->set_dropped_rows(in.dropped_rows);
  out->set_dropped_bytes(in.dropped_bytes);
  out->set_dropped_by_retention(in.dropped_by_retention);
  out->set_dropped_by_disk(in.dropped_by_disk);
}

void TierStatsToProto(const TierStats& in, v1::TierStats* out) {
  out->set_segments(in.segments);
  out->set_rows(in.rows);
  out->set_bytes(in.bytes);
  out->set_raw_bytes(in.raw_bytes);
}

void StoreStatsToProto(const StoreStats& in, v1::StatsResponse* out) {
  out->set_segments(in.segments);
  out->set_segment_rows(in.segment_rows);
  out->set_segment_bytes(in.segment_bytes);
  out->set_segment_raw_bytes(in.segment_raw_bytes);
  out->set_buffered_events(in.buffered_events);
  out->set_buffered_bytes(in.buffered_bytes);
  out->set_flushes(in.flushes);
  out->set_merges(in.merges);
  out->set_db_bytes(in.db_bytes);
  SetText(in.background_error, out->mutable_background_error());
  TierStatsToProto(in.hot, out->mutable_hot());
  TierStatsToProto(in.cold, out->mutable_cold());
  out->set_cold_cache_bytes(in.cold_cache_bytes);
  SetText(in.cold_tier, out->mutable_cold_tier());
  MaintenanceCountsToProto(in.maintenance, out->mutable_maintenance());
  out->set_maintenance_passes(in.maintenance_passes);
  SetText(in.maintenance_error, out->mutable_maintenance_error());
  out->set_read_only(!in.background_error.empty());
  out->set_recoveries(in.recoveries);
}

void AdmissionStatsToProto(const AdmissionControl::Stats& in,
                           const AdmissionControl::Options& limits, v1::AdmissionStats* out) {
  out->set_queries_running(in.queries_running);
  out->set_queries_waiting(in.queries_waiting);
  out->set_ingest_inflight_bytes(in.ingest_inflight_bytes);
  out->set_ingest_waiting(in.ingest_waiting);
  out->set_tail_subscribers(in.tail_subscribers);
  out->set_rss_bytes(in.rss_bytes);
  out->set_peak_rss_bytes(in.peak_rss_bytes);
  out->set_queries_admitted(in.queries_admitted);
  out->set_ingest_admitted(in.ingest_admitted);
  out->set_rejected_queries_busy(in.rejected_queries_busy);
  out->set_rejected_ingest_busy(in.rejected_ingest_busy);
  out->set_rejected_queries_memory(in.rejected_queries_memory);
  out->set_rejected_ingest_memory(in.rejected_ingest_memory);
  out->set_rejected_tails(in.rejected_tails);
  out->set_rejected_store_backpressure(in.rejected_store_backpressure);
  out->set_max_concurrent_queries(limits.max_concurrent_queries);
  out->set_max_queued_queries(limits.max_queued_queries);
  out->set_queue_wait_ns(limits.queue_wait.count());
  out->set_max_inflight_ingest_bytes(limits.max_inflight_ingest_bytes);
  out->set_max_tail_subscribers(limits.max_tail_subscribers);
  out->set_memory_budget_bytes(limits.memory_budget_bytes);
}

void TieringOptionsToProto(const StoreOptions& in, v1::StatsResponse* out) {
  out->set_archive_after_ns(in.archive_after_ns);
  out->set_retention_ns(in.retention_ns);
  out->set_max_disk_bytes(in.max_disk_bytes);
  out->set_maintenance_interval_ns(in.maintenance_interval_ns);
}

void SegmentToProto(const SegmentReader& in, int64_t partition_ns, v1::SegmentInfo* out) {
  const SegmentMeta& m = in.meta();
  out->set_id(m.id);
  out->set_partition_start_ns(m.partition * partition_ns);
  out->set_min_time_ns(m.min_time);
  out->set_max_time_ns(m.max_time);
  out->set_rows(m.rows);
  out->set_bytes(in.file_size());
  out->set_raw_bytes(m.raw_bytes);
  out->set_tier(TierName(in.tier()));
  SetText(in.path(), out->mutable_path());
}

grpc::Status ToGrpcStatus(const Status& status) {
  using grpc::StatusCode;
  StatusCode code = StatusCode::UNKNOWN;
  switch (status.code()) {
    case Status::Code::kOk:
      return grpc::Status::OK;
    case Status::Code::kNotFound:
      code = StatusCode::NOT_FOUND;
      break;
    case Status::Code::kInvalidArgument:
      code = StatusCode::INVALID_ARGUMENT;
      break;
    case Status::Code::kCorruption:
      code = StatusCode::DATA_LOSS;
      break;
    case Status::Code::kIOError:
      code = StatusCode::INTERNAL;
      break;
    case Status::Code::kResourceExhausted:
      code = StatusCode::RESOURCE_EXHAUSTED;
      break;
    case Status::Code::kAborted:
      // The engine says why it stopped in words ("query deadline exceeded", "query cancelled").
      if (status.message().find("deadline") != std::string::npos) {
        code = StatusCode::DEADLINE_EXCEEDED;
      } else if (status.message().find("cancel") != std::string::npos) {
        code = StatusCode::CANCELLED;
      } else {
        code = StatusCode::ABORTED;
      }
      break;
  }
  std::string message = status.message();
  SanitizeUtf8(&message);  // grpc-message must be UTF-8 text
  return grpc::Status(code, message);
}

}  // namespace trove::server
