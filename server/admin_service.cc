#include "server/admin_service.h"

#include "server/convert.h"

namespace trove::server {

namespace v1 = ::trove::v1;

AdminService::AdminService(Store* store, const AdmissionControl* admission,
                           std::string data_dir)
    : store_(store),
      admission_(admission),
      data_dir_(std::move(data_dir)), started_(std::chrono::steady_clock::now()) {}

grpc::Status AdminService::Stats(grpc::ServerContext*, const v1::StatsRequest*,
                                 v1::StatsResponse* response) {
  StoreStatsToProto(store_->GetStats(), response);
  TieringOptionsToProto(store_->options(), response);
  AdmissionStatsToProto(admission_->GetStats(), admission_->options(),
                        response->mutable_admission());
  response->set_data_dir(data_dir_);
  response->set_uptime_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - started_)
                              .count());
  return grpc::Status::OK;
}

grpc::Status AdminService::ListSegments(grpc::ServerContext*, const v1::ListSegmentsRequest*,
                                        v1::ListSegmentsResponse* response) {
  auto snapshot = store_->GetSnapshot();
  const int64_t partition_ns = store_->options().partition_ns;
  for (const auto& segment : snapshot->segments()) {
    SegmentToProto(*segment, partition_ns, response->add_segments());
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::Flush(grpc::ServerContext*, const v1::FlushRequest*,
                                 v1::FlushResponse*) {
  return ToGrpcStatus(store_->Flush());
}

grpc::Status AdminService::Compact(grpc::ServerContext*, const v1::CompactRequest*,
                                   v1::CompactResponse*) {
  return ToGrpcStatus(store_->Compact());
}

grpc::Status AdminService::Archive(grpc::ServerContext*, const v1::ArchiveRequest*,
                                   v1::ArchiveResponse* response) {
  // The pass works on segments only: flushing first means an operator's "archive now" (or
  // "apply the retention now") also covers events still in the write-ahead buffer.
  if (Status s = store_->Flush(); !s.ok()) return ToGrpcStatus(s);
  auto counts = store_->RunMaintenance();
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  MaintenanceCountsToProto(*counts, response->mutable_counts());
  response->set_segments_archived(counts->archived_segments);
  response->set_partitions_dropped(counts->dropped_partitions);
  return grpc::Status::OK;
}

}  // namespace trove::server
