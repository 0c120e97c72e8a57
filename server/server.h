// TroveServer: troved's lifecycle. Opens the store, serves trove.v1.Trove and trove.v1.Admin
// plus gRPC health checking (grpc.health.v1.Health) and server reflection on one address, and
// shuts down gracefully.
//
// Thread-safety: address(), config() and store() may be called from any thread; Shutdown()
// is idempotent and may race with in-flight calls (that is its job) but must not be called
// concurrently with itself or the destructor.
#pragma once

#include <memory>
#include <string>

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
class CancelWatcher;
class TailHub;
class TroveService;

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

  // Graceful stop: health turns NOT_SERVING, no new calls are accepted, live tails end with
  // UNAVAILABLE, in-flight calls get config.shutdown_grace_ns to finish and are cancelled
  // after that; then buffered events are flushed into segments and the store is closed.
  // Returns the flush's status (acknowledged events are durable either way). Idempotent.
  Status Shutdown();

 private:
  explicit TroveServer(const ServerConfig& config);

  const ServerConfig config_;
  std::string address_;
  // Destruction order matters: the gRPC server first, then what its handlers use.
  std::unique_ptr<Store> store_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::unique_ptr<CancelWatcher> watcher_;
  std::unique_ptr<TailHub> tail_;
  std::unique_ptr<TroveService> trove_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  bool shut_down_ = false;
};

}  // namespace trove::server
