// StoreChecker: what the crash loop asks a running troved after a restart, all over gRPC —
// health, an exact count of every event id, trace lookups, and the Admin.Stats tier totals —
// compared with what the writers' Ledger says must (or may) be there.
//
// Thread-compatible: one thread uses a checker.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "storage/status.h"
#include "tests/crash/ledger.h"

namespace trove::crash {

// A channel to troved at `address` that accepts answers of any size (a stats-by-id table is
// large).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// Polls grpc.health.v1.Health/Check until it says SERVING. IOError after timeout_ms.
Status WaitServing(const std::shared_ptr<grpc::Channel>& channel, int timeout_ms);

// The outcome of one full check. `failures` is empty when the store is right.
struct CheckReport {
  int64_t stored_events = 0;     // `* | stats count()`
  int64_t acked = 0;             // ids that must be stored exactly once
  int64_t lost = 0;              // acknowledged ids not stored
  int64_t duplicates = 0;        // ids stored more than once (any fate)
  int64_t in_doubt = 0;          // ids sent without a verdict
  int64_t in_doubt_stored = 0;   // ... of which the store kept
  int64_t unexpected = 0;        // refused, never-sent or unknown ids that are stored
  int64_t torn_batches = 0;      // batches in doubt that are partly stored
  int64_t traces_checked = 0;
  uint64_t hot_segments = 0, cold_segments = 0, buffered_events = 0;
  std::vector<std::string> failures;  // the first few problems, in words
};

class StoreChecker {
 public:
  explicit StoreChecker(std::shared_ptr<grpc::Channel> channel);

  // `* | stats count()`.
  Result<int64_t> CountEvents();
  // Admin.Stats.
  Result<v1::StatsResponse> Stats(int timeout_ms);
  // Compares every id in the store with `fates`, looks up `trace_samples` acknowledged batches
  // with GetTrace (picked with rng), and checks that Stats and ListSegments agree with the
  // counts. Only RPC failures are errors; wrong data goes to report.failures.
  Result<CheckReport> CheckAll(const std::vector<Fate>& fates,
                               const std::vector<BatchRecord>& batches, int trace_samples,
                               std::mt19937_64* rng);
  // Admin.Flush.
  Status Flush();

 private:
  // Stored occurrences of each id in [0, n): one `stats by (id) count()` per id range.
  Status CountIds(int64_t n, std::vector<uint32_t>* counts, int64_t* unknown_ids,
                  int64_t* with_id);
  Status CheckTrace(const BatchRecord& batch, CheckReport* report);
  Status CheckTiers(CheckReport* report);

  std::unique_ptr<v1::Trove::Stub> trove_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

}  // namespace trove::crash
