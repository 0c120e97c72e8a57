// Trove in the benchmark's own process: the store troved wrote, opened read-only-in-practice
// (no background flushes, merges or archival) with the query engine called directly. It is the
// like-for-like peer of SQLite and DuckDB, which also answer without a network round trip:
// the same queries, the same answers (checked against troved's), timed without gRPC.
//
// Not thread-safe: one thread drives it.
#pragma once

#include <memory>
#include <string>

#include "bench/compare/dataset.h"
#include "bench/compare/workload.h"
#include "storage/status.h"

namespace trove::bench::compare {

class TroveEmbedded {
 public:
  // Opens the store in data_dir (troved must have stopped: RocksDB locks the directory).
  static Result<std::unique_ptr<TroveEmbedded>> Open(const std::string& data_dir);
  ~TroveEmbedded();

  // One run of a workload, as TroveSystem::Run: the same query text through QueryEngine::Run,
  // the trace row through QueryEngine::GetTrace (every event of the trace materialised).
  Status Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer);

 private:
  struct Impl;
  explicit TroveEmbedded(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trove::bench::compare
