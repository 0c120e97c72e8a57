// Store: Trove's storage engine for one data directory.
//
// Append() makes a batch durable in RocksDB (the write-ahead buffer) and visible to readers at
// once; a background thread flushes buffered events into immutable columnar segments, one time
// partition each, and merges small segments. RocksDB also holds the segment catalog and the
// global correlation-ID → segments map. Readers work on a Snapshot: a consistent set of
// segments plus the not-yet-flushed events.
//
// Directory layout:  DIR/db/ (RocksDB)   DIR/segments/seg-<id>.trv   DIR/cold-cache/
//
// Tiering (RunMaintenance, also run by the background thread every maintenance_interval_ns):
// segments whose newest event is older than archive_after_ns are rewritten with
// ColdSegmentWriteOptions() and moved to the cold tier under the same id; whole partitions
// older than retention_ns, and the oldest partitions while segments take more than
// max_disk_bytes, are dropped. Readers see cold segments like hot ones.
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

#include "storage/cold_tier.h"
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
  // After a failed background flush or merge the store is read-only (Append fails, reads go
  // on); the background thread retries a flush this often and leaves read-only mode as soon as
  // one succeeds (the disk was full, the filesystem came back).
  int64_t recovery_interval_ns = 1'000'000'000;
  MergePolicyOptions merge;
  SegmentWriteOptions segment;
  EventLimits limits;
  // The clock for "now" (future-timestamp checks, flush age, sealed partitions, archival and
  // retention ages); tests inject one. Default: the system clock.
  std::function<int64_t()> clock;

  // Tiering and retention. Each is off when 0 / null.
  // Where archived segments go; archival needs one. A catalog that names cold segments cannot
  // be opened without it.
  std::shared_ptr<ColdTier> cold_tier;
  // Segments whose newest event is older than this move to the cold tier.
  int64_t archive_after_ns = 0;
  // Whole partitions whose time range ended longer ago than this are dropped.
  int64_t retention_ns = 0;
  // While segment files (both tiers) take more than this, the oldest partitions are dropped;
  // the newest partition is always kept.
  uint64_t max_disk_bytes = 0;
  // How often the background thread runs retention and archival (when either is on).
  int64_t maintenance_interval_ns = int64_t{60} * 1'000'000'000;
  // How archived segments are rewritten.
  SegmentWriteOptions cold_segment = ColdSegmentWriteOptions();
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

// Segments of one tier.
struct TierStats {
  uint64_t segments = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0;      // file sizes
  uint64_t raw_bytes = 0;  // sum of the events' approximate raw sizes
};

// What retention and archival did: one pass (RunMaintenance) or, in StoreStats, every pass
// since the store was opened.
struct MaintenanceCounts {
  uint64_t archived_segments = 0;
  uint64_t archived_rows = 0;
  uint64_t archived_hot_bytes = 0;   // hot file sizes of the archived segments
  uint64_t archived_cold_bytes = 0;  // their cold file sizes
  uint64_t dropped_partitions = 0;
  uint64_t dropped_segments = 0;
  uint64_t dropped_rows = 0;
  uint64_t dropped_bytes = 0;
  uint64_t dropped_by_retention = 0;  // partitions dropped for age
  uint64_t dropped_by_disk = 0;       // partitions dropped for the disk budget
  void Add(const MaintenanceCounts& o);
};

struct StoreStats {
  uint64_t segments = 0;  // both tiers
  uint64_t segment_rows = 0;
  uint64_t segment_bytes = 0;  // file sizes
  uint64_t segment_raw_bytes = 0;
  TierStats hot, cold;
  uint64_t cold_cache_bytes = 0;  // local copies of cold segment indexes
  std::string cold_tier;          // ColdTier::Describe(), empty when none
  MaintenanceCounts maintenance;  // since the store was opened
  uint64_t maintenance_passes = 0;
  std::string maintenance_error;  // the last pass's error; empty when it succeeded
  uint64_t buffered_events = 0;
  uint64_t buffered_bytes = 0;
  uint64_t flushes = 0;
  uint64_t merges = 0;
  uint64_t recoveries = 0;  // times the store left read-only mode
  uint64_t db_bytes = 0;  // RocksDB live files (catalog, trace map, buffer)
  std::string background_error;  // empty when healthy; otherwise the store is read-only
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
  // Flushes, merges until the policy picks nothing, then flushes RocksDB's memtables so its
  // log files of already-segmented events are deleted.
  Status Compact();
  // One retention and archival pass now: drops partitions past retention_ns and beyond
  // max_disk_bytes, then archives every hot segment older than archive_after_ns. A crash at
  // any point leaves every segment cataloged exactly once, in one tier.
  Result<MaintenanceCounts> RunMaintenance();

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
  // recovering: run even though an error is latched (TryLeaveReadOnly's attempt).
  Status FlushLocked(size_t* flushed_batches, bool recovering = false);
  Status FlushAllLocked();
  Result<bool> MergeLocked();
  // Rewrites the correlation map of a store of format 1 (format.h) and marks it format 2.
  Status MigrateTraceMap();
  void BackgroundLoop();
  void MergeLoop();
  Status DropPartitionsLocked(MaintenanceCounts* counts);
  Status ArchiveLocked(MaintenanceCounts* counts);
  // Rewrites hot segment `in` for the cold tier and swaps it in the catalog.
  Status ArchiveSegment(const std::shared_ptr<SegmentReader>& in, MaintenanceCounts* counts);
  Result<MaintenanceCounts> RunMaintenanceLocked();
  // Opens cold segment id through the tier and the index cache.
  Result<std::shared_ptr<SegmentReader>> OpenCold(uint64_t id, uint64_t tail_bytes,
                                                   uint32_t tail_crc);
  // REQUIRES: mu_ held.
  void LatchBackgroundError(const Status& s);
  // Retries a flush while read-only; clears the error when it succeeds. REQUIRES: mu_ not held.
  void TryLeaveReadOnly();
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
  uint64_t flushes_ = 0, merges_ = 0, recoveries_ = 0;
  int64_t next_recovery_ns_ = 0;
  std::map<uint64_t, uint64_t> cold_tail_bytes_;  // cold segment id → cached tail size
  MaintenanceCounts maintenance_;
  uint64_t maintenance_passes_ = 0;
  std::string maintenance_error_;
  int64_t next_maintenance_ns_ = 0;
  std::unique_ptr<ColdIndexCache> cold_cache_;
  bool stopping_ = false;

  std::mutex flush_mu_;  // serialises flushes
  // Serialises merges, archival and retention. Order: flush_mu_, merge_mu_, commit_mu_, mu_.
  std::mutex merge_mu_;
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

// The cold-tier directory troved uses unless configured otherwise: DIR/cold.
std::string DefaultColdDir(const std::string& data_dir);
// The cold tier for tools that open a store directly (trove-inspect, trove-query): the
// directory in $TROVE_COLD_DIR, else DefaultColdDir(data_dir).
std::shared_ptr<ColdTier> ColdTierForTools(const std::string& data_dir);

// Key of the global correlation map: u8 length + EncodeId(trace_id) + big-endian segment id.
std::string TraceMapKey(std::string_view trace_id, uint64_t segment_id);
std::string TraceMapPrefix(std::string_view trace_id);

}  // namespace trove
