#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "query/engine.h"
#include "server/admin_service.h"
#include "server/admission.h"
#include "server/cancel_watcher.h"
#include "server/tail_hub.h"
#include "server/trove_service.h"
#include "storage/block_cache.h"
#include "storage/cold_tier.h"
#include "storage/store.h"

namespace trove::server {

int GrpcThreadLimit(const ServerConfig& c) {
  const uint64_t n = c.max_concurrent_queries + c.max_queued_queries + c.max_tail_subscribers +
                     kOtherCallThreads;
  return static_cast<int>(std::min<uint64_t>(n, 1 << 16));
}

uint64_t GrpcMemoryLimit(const ServerConfig& c) {
  return c.max_inflight_ingest_bytes + 2 * c.max_message_bytes;
}

TroveServer::TroveServer(const ServerConfig& config) : config_(config) {}

TroveServer::~TroveServer() { Shutdown(); }

Result<std::unique_ptr<TroveServer>> TroveServer::Start(const ServerConfig& config) {
  TROVE_RETURN_IF_ERROR(ValidateServerConfig(config));
  std::unique_ptr<TroveServer> server(new TroveServer(config));

  StoreOptions store_options;
  store_options.partition_ns = config.partition_ns;
  store_options.flush_bytes = config.flush_bytes;
  store_options.flush_age_ns = config.flush_age_ns;
  store_options.limits.max_event_bytes = config.max_event_bytes;
  // Created now, so an unusable cold directory stops the start instead of the first archival
  // an hour or a week later.
  const std::string cold_dir = ColdDir(config);
  if (Status s = FileSystem::Default()->CreateDirs(cold_dir); !s.ok()) {
    return Status::IOError("cannot create the cold-tier directory " + cold_dir + ": " +
                           s.ToString());
  }
  store_options.cold_tier = NewDirectoryColdTier(FileSystem::Default(), cold_dir);
  store_options.archive_after_ns = config.archive_after_ns;
  store_options.retention_ns = config.retention_ns;
  store_options.max_disk_bytes = config.max_disk_bytes;
  store_options.maintenance_interval_ns = config.maintenance_interval_ns;
  auto store = Store::Open(store_options, config.data_dir);
  if (!store.ok()) {
    std::string hint;
    if (store.status().message().find("LOCK") != std::string::npos) {
      hint = " (is another troved using this directory?)";
    } else if (store.status().message().find(cold_dir) != std::string::npos) {
      hint = " (is --cold-dir the directory its segments were archived to?)";
    }
    return Status::IOError("cannot open the store in " + config.data_dir + ": " +
                           store.status().ToString() + hint);
  }
  server->store_ = std::move(store).value();
  query::QueryEngineOptions engine_options;
  engine_options.threads = config.query_threads;
  server->engine_ = std::make_unique<query::QueryEngine>(engine_options);
  server->watcher_ = std::make_unique<CancelWatcher>();
  server->admission_ = std::make_unique<AdmissionControl>(AdmissionControl::FromConfig(config));
  // Process-wide; counted in the memory budget (ValidateServerConfig).
  SetCacheBudget(config.block_cache_bytes);
  TailHub::Options tail_options;
  tail_options.queue_events = config.tail_queue_events;
  server->tail_ = std::make_unique<TailHub>(tail_options);
  server->trove_service_ =
      std::make_unique<TroveService>(config, server->store_.get(), server->engine_.get(),
                                     server->tail_.get(), server->watcher_.get(),
                                     server->admission_.get());
  server->admin_service_ = std::make_unique<AdminService>(
      server->store_.get(), server->admission_.get(), config.data_dir);

  // Both are process-wide switches read when a ServerBuilder is made: stock tools (grpcurl,
  // grpc_health_probe) then work against troved.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  // gRPC sets SO_REUSEPORT by default, which would let a second troved bind the same port and
  // steal half the connections; a taken port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // A flood of connections or calls must not grow threads and buffers without bound: past the
  // thread limit gRPC answers RESOURCE_EXHAUSTED itself; under transport memory pressure it
  // shrinks flow-control windows and may cancel a stream ("Buffers full").
  grpc::ResourceQuota quota("troved");
  quota.SetMaxThreads(GrpcThreadLimit(config));
  quota.Resize(static_cast<size_t>(GrpcMemoryLimit(config)));
  builder.SetResourceQuota(quota);
  builder.RegisterService(server->trove_service_.get());
  builder.RegisterService(server->admin_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  const bool unix_socket = config.listen.compare(0, 5, "unix:") == 0;
  if (server->grpc_server_ == nullptr || (!unix_socket && port == 0)) {
    return Status::IOError("cannot listen on " + config.listen +
                           ": the address is in use or not available on this host");
  }
  if (unix_socket) {
    server->address_ = config.listen;
  } else {
    server->address_ =
        config.listen.substr(0, config.listen.rfind(':')) + ":" + std::to_string(port);
  }
  if (auto* health = server->grpc_server_->GetHealthCheckService()) {
    health->SetServingStatus("trove.v1.Trove", true);
    health->SetServingStatus("trove.v1.Admin", true);
    health->SetServingStatus(kIngestHealthService,
                             server->store_->GetStats().background_error.empty());
    TroveServer* self = server.get();
    server->health_thread_ = std::thread([self] { self->HealthLoop(); });
  }
  return server;
}

void TroveServer::HealthLoop() {
  grpc::HealthCheckServiceInterface* health = grpc_server_->GetHealthCheckService();
  bool serving = true;
  bool first = true;
  std::unique_lock<std::mutex> lock(health_mu_);
  while (!health_stop_) {
    lock.unlock();
    // GetStats walks the segment list under the store's lock: cheap next to 200 ms.
    const std::string error = store_->GetStats().background_error;
    const bool writable = error.empty();
    if (first || writable != serving) {
      health->SetServingStatus(kIngestHealthService, writable);
      if (!first) {
        fprintf(stderr, "troved: %s\n",
                writable ? "store writable again; health trove.v1.Ingest SERVING"
                         : ("store read-only (" + error +
                            "); health trove.v1.Ingest NOT_SERVING")
                               .c_str());
      }
      serving = writable;
      first = false;
    }
    lock.lock();
    health_cv_.wait_for(lock, kHealthPollInterval, [this] { return health_stop_; });
  }
}

void TroveServer::StopHealthThread() {
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_stop_ = true;
  }
  health_cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
}

Status TroveServer::Shutdown() {
  if (shut_down_) return Status::OK();
  shut_down_ = true;
  // Before gRPC's Shutdown turns every service NOT_SERVING, so nothing turns one back.
  StopHealthThread();
  if (grpc_server_ != nullptr) {
    // Tails never finish on their own: end them first so the grace period is for real work.
    tail_->Close();
    // Stops accepting calls, turns health NOT_SERVING, waits for in-flight handlers until the
    // deadline and cancels the rest (their queries see the cancel flag via CancelWatcher).
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::nanoseconds(config_.shutdown_grace_ns));
    grpc_server_->Wait();
  }
  Status flushed;
  if (store_ != nullptr) {
    // Not needed for durability (the write-ahead buffer has every acknowledged event), but a
    // restart then has nothing to replay.
    flushed = store_->Flush();
  }
  grpc_server_.reset();
  admin_service_.reset();
  trove_service_.reset();
  store_.reset();
  return flushed;
}

}  // namespace trove::server
