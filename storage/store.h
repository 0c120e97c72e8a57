// Store: Trove's storage engine for one data directory.
//
// Append() makes a batch durable in RocksDB (the write-ahead buffer) and visible to readers at
// once; a background thread flushes buffered events into immutable columnar segments, one time
// partition each, and merges small segments. RocksDB also holds the segment catalog and the
// global correlation-ID → segments map. Readers work on a Snapshot: a consistent set of
// segments plus the not-yet-flushed events.
//
// Directory layout:  DIR/db/ (RocksDB)   DIR/segments/seg-<id>.trv
//
// Thread-safety: every method may be called concurrently. Concurrent Append() calls share one
// synced RocksDB write (group commit).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/event.h"
#include "storage/merge_policy.h"
#include "storage/segment.h"
#include "storage/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class Snapshot;
}  // namespace rocksdb

namespace trove {

struct StoreOptions {
  // Segment files go through this interface (tests inject faults). Not owned.
  FileSystem* fs = FileSystem::Default();
  // Width of a time partition. An hour keeps segments of busy services a useful size while
  // letting time filters skip whole files.
  int64_t partition_ns = int64_t{3600} * 1'000'000'000;
  // Buffered (unflushed) bytes that trigger a flush into segments. 32 MiB makes segments of
  // ~100k events while keeping recovery replay and buffer memory small.
  size_t flush_bytes = 32 << 20;
  // Buffered events older than this are flushed even when the buffer is small, so a quiet
  // store still ends up in segments quickly.
  int64_t flush_age_ns = int64_t{10} * 1'000'000'000;
  // When the buffer exceeds this (flushing cannot keep up), Append waits up to
  // `stall_timeout_ns` and then fails with ResourceExhausted: backpressure instead of
  // unbounded memory.
  // 64 MiB of encoded events is two flushes of slack and keeps buffer memory well under the
  // 1 GiB ingest budget (decoded events take ~2-3x their encoded size).
  size_t max_buffer_bytes = 64 << 20;
  int64_t stall_timeout_ns = int64_t{5} * 1'000'000'000;
  // Run the flush/merge thread. Tests turn it off to drive Flush() and MergeOnce() by hand.
  bool background = true;
  // How often the background thread checks its triggers.
  int64_t background_interval_ns = 100'000'000;
  MergePolicyOptions merge;
  SegmentWriteOptions segment;
  EventLimits limits;
  // The clock for "now" (future-timestamp checks, flush age, sealed partitions); tests inject
  // one. Default: the system clock.
  std::function<int64_t()> clock;
};

// One append call's outcome. Events are numbered by their index in the batch.
struct AppendResult {
  struct Rejected {
    size_t index;
    Status reason;
  };
  size_t accepted = 0;
  std::vector<Rejected> rejected;
};

// Events acknowledged but not yet in a segment, in append order. Immutable once published.
struct RecentBatch {
  uint64_t seq = 0;  // key in the write-ahead buffer
  std::vector<Event> events;
  int64_t min_time = 0, max_time = 0;
  size_t bytes = 0;
  int64_t arrival_ns = 0;
};

struct StoreStats {
  uint64_t segments = 0;
  uint64_t segment_rows = 0;
  uint64_t segment_bytes = 0;  // file sizes
  uint64_t segment_raw_bytes = 0;
  uint64_t buffered_events = 0;
  uint64_t buffered_bytes = 0;
  uint64_t flushes = 0;
  uint64_t merges = 0;
  uint64_t db_bytes = 0;  // RocksDB live files (catalog, trace map, buffer)
  std::string background_error;  // empty when healthy
};

class Snapshot;
struct StoreDb;  // RocksDB and its column families; defined in store.cc

class Store {
 public:
  // Opens or creates the store in dir. Recovers buffered events, checks every cataloged segment
  // and deletes files that no catalog entry names (leftovers of interrupted flushes/merges).
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options, const std::string& dir);
  // Stops background work. Buffered events stay in the write-ahead buffer.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Validates every event (NormalizeEvent), then makes the accepted ones durable and visible.
  // Returns once they survive kill -9 / power loss. Invalid events are listed in rejected and
  // do not stop the rest. Error statuses: IOError (nothing of this call acknowledged),
  // ResourceExhausted (backpressure; retry later), or the latched background error.
  Result<AppendResult> Append(std::vector<Event> events);

  // Moves every buffered event into segments now.
  Status Flush();
  // Runs one merge if the policy picks one; returns whether it merged.
  Result<bool> MergeOnce();
  // Flushes, then merges until the policy picks nothing.
  Status Compact();

  // A consistent view for readers; holding it keeps its segment files readable.
  std::shared_ptr<const Snapshot> GetSnapshot() const;
  StoreStats GetStats() const;
  const StoreOptions& options() const { return options_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Writer;
  Store(const StoreOptions& options, std::string dir);
  Status Recover();
  Status WriteGroup(std::deque<Writer*>::iterator begin, std::deque<Writer*>::iterator end);
  // Flushes the oldest ~flush_bytes of buffered batches into segments; *flushed_batches says
  // how many batches that was.
  Status FlushLocked(size_t* flushed_batches);
  Status FlushAllLocked();
  Result<bool> MergeLocked();
  void BackgroundLoop();
  void MergeLoop();
  // REQUIRES: mu_ held.
  void LatchBackgroundError(const Status& s);
  // Commits wb (plus the persisted next segment id) durably under commit_mu_, then runs apply
  // under mu_ to publish the change in memory.
  Status CommitToCatalog(rocksdb::WriteBatch* wb, const char* what,
                         const std::function<void()>& apply);
  int64_t Now() const { return options_.clock(); }
  std::string SegmentPath(uint64_t id) const;

  StoreOptions options_;
  const std::string dir_;
  std::shared_ptr<StoreDb> db_;

  mutable std::mutex mu_;  // guards everything below it
  std::condition_variable cv_;
  std::deque<Writer*> writers_;
  uint64_t next_seq_ = 1;
  uint64_t next_segment_id_ = 1;
  std::vector<std::shared_ptr<const RecentBatch>> recent_;
  size_t recent_bytes_ = 0;
  std::map<uint64_t, std::shared_ptr<SegmentReader>> segments_;
  Status bg_error_;
  uint64_t flushes_ = 0, merges_ = 0;
  bool stopping_ = false;

  std::mutex flush_mu_;  // serialises flushes
  std::mutex merge_mu_;  // serialises merges. Order: flush_mu_, merge_mu_, commit_mu_, mu_.
  // Held across a catalog commit and the matching in-memory swap, and while a snapshot is
  // taken, so a snapshot's correlation map and segment list always agree. Order: commit_mu_,
  // then mu_.
  mutable std::mutex commit_mu_;
  std::thread background_;  // flushes
  std::thread merger_;      // merges
};

// A consistent read view: the segments and buffered events at one moment. Immutable and
// thread-safe.
class Snapshot {
 public:
  ~Snapshot();
  // All segments, ordered by (min_time, id).
  const std::vector<std::shared_ptr<SegmentReader>>& segments() const { return segments_; }
  // Segments with an event in [from_ns, to_ns).
  std::vector<std::shared_ptr<SegmentReader>> SegmentsOverlapping(int64_t from_ns,
                                                                  int64_t to_ns) const;
  // Buffered events, oldest batch first.
  const std::vector<std::shared_ptr<const RecentBatch>>& recent() const { return recent_; }
  uint64_t recent_events() const;
  // Segments that hold events of trace_id, found through the global correlation map (no time
  // range needed). Buffered events are searched with recent().
  Result<std::vector<std::shared_ptr<SegmentReader>>> SegmentsWithTrace(
      std::string_view trace_id) const;

 private:
  friend class Store;
  std::vector<std::shared_ptr<SegmentReader>> segments_;
  std::vector<std::shared_ptr<const RecentBatch>> recent_;
  std::shared_ptr<StoreDb> db_;  // keeps the database open while the snapshot lives
  const rocksdb::Snapshot* db_snapshot_ = nullptr;
};

// Key of the global correlation map: u8 length + EncodeId(trace_id) + big-endian segment id.
std::string TraceMapKey(std::string_view trace_id, uint64_t segment_id);
std::string TraceMapPrefix(std::string_view trace_id);

}  // namespace trove
