// Trove as the benchmark drives it: troved as a child process on a fresh data directory, the
// JSON-lines file ingested over gRPC the way a client would (JSON parsed client-side, batches of
// ~1000 events on several concurrent IngestStream streams, retried on backpressure), with the
// server's memory sampled from /proc; then the workloads as Aggregate / Search / GetTrace
// calls, timed at the client.
//
// Not thread-safe: one thread drives it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/compare/dataset.h"
#include "bench/compare/workload.h"
#include "storage/status.h"

namespace trove::v1 {
class AggregateResponse;
}

namespace trove::bench::compare {

struct TroveOptions {
  std::string troved;    // the binary
  std::string data_dir;  // removed and recreated by Start
  std::string log_path;  // troved's stdout and stderr
  // Concurrent ingest clients, each with its own IngestStream connection.
  int streams = 4;
  // false (live order): the clients take their batches in turn from one reader of the file.
  // true (backfill order): each client reads its own contiguous part of the file.
  bool backfill = false;
  // Events per IngestRequest message (fewer when a batch would pass 3 MiB).
  size_t batch = 1000;
  // Flags for troved besides --data and --listen.
  std::vector<std::string> troved_flags;
};

struct IngestFigures {
  uint64_t file_bytes = 0;
  uint64_t lines = 0;
  uint64_t accepted = 0, rejected = 0, parse_errors = 0;
  uint64_t backpressure_retries = 0;  // RESOURCE_EXHAUSTED answers retried
  double acked_s = 0;                 // start → every stream acknowledged
  double flushed_s = 0;  // start → Admin.Flush returned (durable + indexed + columnar)
  double compact_s = 0;  // Admin.Compact alone
  // troved's memory: VmHWM after the flush, and VmRSS sampled every 100 ms from the start of
  // ingest to the end of the flush (median of the second half, max of all).
  uint64_t peak_rss = 0;
  uint64_t steady_rss_median = 0, steady_rss_max = 0;
  size_t rss_samples = 0;
  // CPU seconds spent from the start of ingest to the end of the flush, by troved and by this
  // process (the clients parsing JSON), and the machine's 1-minute load average at both ends:
  // on a shared 2-core machine they tell a slow server from a busy machine.
  double troved_cpu_s = 0, client_cpu_s = 0;
  double load_before = 0, load_after = 0;
  // Admin.Stats after the flush and after the compaction: segment flushes and merges so far.
  uint64_t flushes = 0, merges = 0, flushes_after_compact = 0, merges_after_compact = 0;
  uint64_t peak_rss_after_compact = 0;
  // After the compaction: the whole data directory (files' apparent sizes), and what
  // Admin.Stats says.
  uint64_t dir_bytes = 0;
  uint64_t segment_bytes = 0, db_bytes = 0, segments = 0, segment_rows = 0;
};

class TroveSystem {
 public:
  explicit TroveSystem(TroveOptions options);
  ~TroveSystem();  // kills a troved still running
  TroveSystem(const TroveSystem&) = delete;
  TroveSystem& operator=(const TroveSystem&) = delete;

  // Wipes the data directory and starts troved on it.
  Status Start();
  // Ingests the data set's JSON lines, then flushes (figures up to the flush).
  Status Ingest(const Dataset& data, IngestFigures* figures);
  // Admin.Compact, then the memory high-water mark and sizes.
  Status Compact(IngestFigures* figures);

  // One run of a workload (its variant argument chosen by the caller) into *answer: search
  // rows as `QUERY | stats count()` through Aggregate, the trace row through GetTrace.
  Status Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer);
  // The DESIGN.md §6 rare-term search: `NEEDLE | limit 100` through Search; *events returned.
  // With server_ms, asks for the plan too and sets the server's own elapsed time from it.
  Status SearchNeedle(const std::string& needle, uint64_t* events, double* server_ms = nullptr);
  // A GetTrace of an ID that does not exist: the round trip that bounds every figure from
  // below.
  Status EmptyCall();

  // SIGTERM and a clean exit.
  Status Stop();
  std::string LogTail() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The sampled variant argument of run `variant` (see Variant in workload.h).
const std::string& NeedleFor(const Dataset& data, size_t variant);
const std::string& TraceFor(const Dataset& data, size_t variant);

// The query a search or aggregation workload runs (run `variant`): a search row becomes
// `QUERY | stats count()`, the needle lowercased; *key is the answer key of a needle row
// (the needle), else empty.
std::string TroveQueryText(const Workload& w, const Dataset& data, size_t variant,
                           std::string* key);
// An Aggregate answer as the workload's Answer: one entry per row, keyed by key and the group
// cells, valued by the last cell; a search row with no rows counts 0.
void AnswerFromAggregate(const Workload& w, const std::string& key,
                         const v1::AggregateResponse& response, Answer* answer);

// Sum of the apparent sizes of the files under dir.
uint64_t DirectoryBytes(const std::string& dir);

}  // namespace trove::bench::compare
