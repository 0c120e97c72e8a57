// TroveServer: troved's lifecycle. Opens the store, serves trove.v1.Trove and trove.v1.Admin
// plus gRPC health checking (grpc.health.v1.Health) and server reflection on one address, and
// shuts down gracefully.
//
// Health: "" (the server), "trove.v1.Trove" and "trove.v1.Admin" are SERVING while the server
// runs; kIngestHealthService is NOT_SERVING while the store is read-only (a failed background
// flush or merge, or a failed write-ahead write: ingest fails, reads work) and SERVING again
// once the store recovers by itself. A thread polls the store every kHealthPollInterval.
//
// Load: AdmissionControl (server/admission.h) bounds queries, in-flight ingest bytes, tails and
// new work over the memory budget; the gRPC server's ResourceQuota bounds its threads and
// transport memory (GrpcThreadLimit, GrpcMemoryLimit).
//
// Thread-safety: address(), config() and store() may be called from any thread; Shutdown()
// is idempotent and may race with in-flight calls (that is its job) but must not be called
// concurrently with itself or the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/config.h"
#include "storage/status.h"

namespace grpc {
class Server;
}

namespace trove {
class Store;
namespace query {
class QueryEngine;
}
}  // namespace trove

namespace trove::server {

class AdminService;
class AdmissionControl;
class CancelWatcher;
class TailHub;
class TroveService;

// The health service name that reports whether ingest works (the store is writable).
inline constexpr char kIngestHealthService[] = "trove.v1.Ingest";
// How often the health thread looks at the store's read-only state.
inline constexpr std::chrono::milliseconds kHealthPollInterval{200};

// Threads the gRPC server may use (grpc::ResourceQuota::SetMaxThreads): one per query slot,
// waiting query and tail, plus kOtherCallThreads for ingest, admin and health calls and
// gRPC's own pollers. A call beyond it fails at once with RESOURCE_EXHAUSTED from gRPC.
inline constexpr int kOtherCallThreads = 128;
int GrpcThreadLimit(const ServerConfig& config);
// Transport memory of the gRPC server (grpc::ResourceQuota::Resize): the in-flight ingest
// budget plus two largest messages.
uint64_t GrpcMemoryLimit(const ServerConfig& config);

class TroveServer {
 public:
  // Opens (or creates) the store in config.data_dir with its cold tier in ColdDir(config)
  // (created when missing), binds config.listen and starts serving. Errors: InvalidArgument
  // for a bad config, IOError when the store cannot be opened (another troved holds it, no
  // permission, cold segments missing from the cold directory) or the address cannot be bound
  // (in use, not local); the message names the directory or address.
  static Result<std::unique_ptr<TroveServer>> Start(const ServerConfig& config);

  ~TroveServer();  // Shutdown()
  TroveServer(const TroveServer&) = delete;
  TroveServer& operator=(const TroveServer&) = delete;

  // The bound address, "HOST:PORT" with the port picked when config.listen asked for port 0
  // (or the unix: address as given).
  const std::string& address() const { return address_; }
  const ServerConfig& config() const { return config_; }
  // The open store (tests and embedding). Owned by the server; valid until Shutdown().
  Store* store() const { return store_.get(); }
  // The admission control of the services (tests). Valid until the server is destroyed.
  AdmissionControl* admission() const { return admission_.get(); }

  // Graceful stop: health turns NOT_SERVING, no new calls are accepted, live tails end with
  // UNAVAILABLE, in-flight calls get config.shutdown_grace_ns to finish and are cancelled
  // after that; then buffered events are flushed into segments and the store is closed.
  // Returns the flush's status (acknowledged events are durable either way). Idempotent.
  Status Shutdown();

 private:
  explicit TroveServer(const ServerConfig& config);
  // The health thread: kIngestHealthService follows the store's read-only state.
  void HealthLoop();
  void StopHealthThread();

  const ServerConfig config_;
  std::string address_;
  // Destruction order matters: the gRPC server first, then what its handlers use.
  std::unique_ptr<Store> store_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::unique_ptr<CancelWatcher> watcher_;
  std::unique_ptr<AdmissionControl> admission_;
  std::unique_ptr<TailHub> tail_;
  std::unique_ptr<TroveService> trove_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::mutex health_mu_;  // guards health_stop_
  std::condition_variable health_cv_;
  bool health_stop_ = false;
  std::thread health_thread_;
  bool shut_down_ = false;
};

}  // namespace trove::server
