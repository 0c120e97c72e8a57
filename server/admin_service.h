// AdminService: the trove.v1.Admin gRPC service: store statistics, the segment list, flush,
// compact, and archive (one retention and archival pass).
//
// Thread-safe: the store serialises flushes, merges and maintenance passes itself.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "proto/trove.grpc.pb.h"
#include "server/admission.h"
#include "storage/store.h"

namespace trove::server {

class AdminService final : public ::trove::v1::Admin::Service {
 public:
  // Not owned: store and admission must outlive the service. data_dir is reported as given
  // (Stats). Admin calls are not subject to admission control: an operator must be able to
  // look at an overloaded server.
  AdminService(Store* store, const AdmissionControl* admission, std::string data_dir);

  grpc::Status Stats(grpc::ServerContext* context, const ::trove::v1::StatsRequest* request,
                     ::trove::v1::StatsResponse* response) override;
  // Segments ordered by (min time, id), each with its tier.
  grpc::Status ListSegments(grpc::ServerContext* context,
                            const ::trove::v1::ListSegmentsRequest* request,
                            ::trove::v1::ListSegmentsResponse* response) override;
  grpc::Status Flush(grpc::ServerContext* context, const ::trove::v1::FlushRequest* request,
                     ::trove::v1::FlushResponse* response) override;
  grpc::Status Compact(grpc::ServerContext* context, const ::trove::v1::CompactRequest* request,
                       ::trove::v1::CompactResponse* response) override;
  // Flush, then Store::RunMaintenance; the response holds that pass's counts.
  grpc::Status Archive(grpc::ServerContext* context, const ::trove::v1::ArchiveRequest* request,
                       ::trove::v1::ArchiveResponse* response) override;

 private:
  Store* const store_;
  const AdmissionControl* const admission_;
  const std::string data_dir_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace trove::server
