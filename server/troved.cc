// troved: Trove's gRPC server (DESIGN.md §5).
//
//   troved [--config FILE] [--data DIR] [--listen ADDR] [flags]     (troved --help)
//
// Serves until SIGTERM or SIGINT, then shuts down gracefully (in-flight calls finish, buffered
// events are flushed) and exits 0. Exit status 2 for configuration errors, 1 when the server
// cannot start (data directory unusable, address in use).
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <thread>

#include <cstdio>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/server.h"

#ifdef TROVE_JEMALLOC
// jemalloc reads its options from this symbol. Freed pages go back to the kernel within about
// a second (default 10 s), by background threads rather than by the threads serving calls, so
// that RSS, which --memory-budget admits work by, follows what is in use.
extern "C" const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
#endif

int main(int argc, char** argv) {
#ifndef TROVE_JEMALLOC
  // (Release builds link jemalloc, server/CMakeLists.txt; this is for builds that do not.)
  // glibc gives each thread that contends for the heap its own arena, up to 8 per core; with
  // one gRPC thread per call, freed memory then sits in many half-empty arenas and RSS runs
  // 15-20% above what is in use (trove-load-test: peak 534 MiB with the default, 454 MiB with
  // 2 arenas). One arena per core keeps the memory budget honest. MALLOC_ARENA_MAX overrides.
  if (getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  }
#endif
  // Block the stop signals before any thread exists, so every thread inherits the mask and the
  // signals wait for sigwait() below: no work happens in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  trove::server::ServerConfig config;
  bool help = false;
  trove::Status s = trove::server::ParseServerArgs(std::vector<std::string>(argv + 1, argv + argc),
                                                   &config, &help);
  if (help) {
    fputs(trove::server::ServerUsage().c_str(), stdout);
    return 0;
  }
  if (!s.ok()) {
    fprintf(stderr, "troved: %s\n", s.message().c_str());
    return 2;
  }
  auto server = trove::server::TroveServer::Start(config);
  if (!server.ok()) {
    fprintf(stderr, "troved: %s\n", server.status().message().c_str());
    return 1;
  }
  fprintf(stderr, "troved listening on %s, data in %s\n", (*server)->address().c_str(),
          config.data_dir.c_str());
  fprintf(stderr, "troved: %s\n", trove::server::TieringSummary(config).c_str());
  fprintf(stderr, "troved: admission: %s\n", trove::server::AdmissionSummary(config).c_str());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  fprintf(stderr, "troved: %s received, shutting down\n",
          signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  s = (*server)->Shutdown();
  if (!s.ok()) {
    // Acknowledged events stay in the write-ahead buffer; the next start replays them.
    fprintf(stderr, "troved: final flush failed: %s\n", s.ToString().c_str());
    return 1;
  }
  fprintf(stderr, "troved: stopped\n");
  return 0;
}
