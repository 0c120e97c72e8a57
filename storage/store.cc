#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "index/term_filter.h"
#include "storage/coding.h"
#include "storage/format.h"

namespace trove {

struct StoreDb {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* meta = nullptr;  // the default family
  rocksdb::ColumnFamilyHandle* wal = nullptr;
  rocksdb::ColumnFamilyHandle* catalog = nullptr;
  rocksdb::ColumnFamilyHandle* traces = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  ~StoreDb() {
    if (!db) return;
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    db->Close();
  }
};

namespace {

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  std::string msg = what + ": " + s.ToString();
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsNoSpace()) return Status::ResourceExhausted(msg);
  return Status::IOError(msg);
}

std::string SeqKey(uint64_t seq) {
  std::string k;
  PutBigEndian64(&k, seq);
  return k;
}

// Catalog value: what the store needs about a segment without opening its file.
struct CatalogEntry {
  int64_t partition = 0;
  uint64_t rows = 0;
  int64_t min_time = 0, max_time = 0;
  uint64_t file_size = 0;
  Tier tier = Tier::kHot;
  uint64_t tail_bytes = 0;  // cold only: the index tail kept in the local cache
  uint32_t tail_crc = 0;    // cold only: its CRC-32

  static CatalogEntry Of(const SegmentReader& r, uint64_t tail_bytes = 0, uint32_t tail_crc = 0) {
    return {r.meta().partition, r.rows(), r.meta().min_time, r.meta().max_time,
            r.file_size(),      r.tier(), tail_bytes,          tail_crc};
  }
  std::string Encode() const {
    std::string v;
    PutVarint64(&v, ZigZag(partition));
    PutVarint64(&v, rows);
    PutVarint64(&v, ZigZag(min_time));
    PutVarint64(&v, ZigZag(max_time));
    PutVarint64(&v, file_size);
    if (tier != Tier::kHot) {  // hot entries keep the original five fields
      PutVarint64(&v, static_cast<uint64_t>(tier));
      PutVarint64(&v, tail_bytes);
      PutFixed32(&v, tail_crc);
    }
    return v;
  }
  bool Decode(std::string_view data) {
    Decoder d(data);
    uint64_t p, lo, hi;
    if (!d.GetVarint64(&p) || !d.GetVarint64(&rows) || !d.GetVarint64(&lo) ||
        !d.GetVarint64(&hi) || !d.GetVarint64(&file_size)) {
      return false;
    }
    if (!d.done()) {
      uint64_t t;
      if (!d.GetVarint64(&t) || t != static_cast<uint64_t>(Tier::kCold) ||
          !d.GetVarint64(&tail_bytes) || !d.GetFixed32(&tail_crc)) {
        return false;
      }
      tier = Tier::kCold;
    }
    if (!d.done()) return false;
    partition = UnZigZag(p);
    min_time = UnZigZag(lo);
    max_time = UnZigZag(hi);
    return true;
  }
};

std::string CatalogKey(uint64_t id) {
  std::string key;
  PutBigEndian64(&key, id);
  return key;
}

int64_t SystemNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::string DefaultColdDir(const std::string& data_dir) { return data_dir + "/cold"; }

std::shared_ptr<ColdTier> ColdTierForTools(const std::string& data_dir) {
  const char* env = getenv("TROVE_COLD_DIR");
  return NewDirectoryColdTier(FileSystem::Default(),
                              env && *env ? std::string(env) : DefaultColdDir(data_dir));
}

std::string TraceMapPrefix(std::string_view trace_id) {
  std::string key(1, '\0');
  PutBigEndian64(&key, index::FilterHash(EncodeId(trace_id)));
  return key;
}

std::string TraceMapKey(std::string_view trace_id, uint64_t segment_id) {
  std::string key = TraceMapPrefix(trace_id);
  PutVarint64(&key, segment_id);
  return key;
}

// One Append() call waiting in the group-commit queue.
struct Store::Writer {
  std::shared_ptr<RecentBatch> batch;
  std::string encoded;  // the write-ahead buffer value
  Status status;
  bool done = false;
  std::condition_variable cv;
};

Store::Store(const StoreOptions& options, std::string dir)
    : options_(options), dir_(std::move(dir)) {
  if (!options_.clock) options_.clock = SystemNowNs;
}

std::string Store::SegmentPath(uint64_t id) const {
  return dir_ + "/segments/" + SegmentFileName(id);
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options, const std::string& dir) {
  if (options.partition_ns <= 0) return Status::InvalidArgument("partition_ns must be positive");
  if (options.segment.block_rows == 0) return Status::InvalidArgument("block_rows must be > 0");
  if (options.archive_after_ns < 0 || options.retention_ns < 0) {
    return Status::InvalidArgument("archive_after and retention must not be negative");
  }
  if (options.archive_after_ns > 0 && !options.cold_tier) {
    return Status::InvalidArgument("archive_after is set but no cold tier is configured");
  }
  if (options.maintenance_interval_ns <= 0) {
    return Status::InvalidArgument("maintenance_interval must be positive");
  }
  RaiseOpenFileLimit();
  std::unique_ptr<Store> store(new Store(options, dir));
  TROVE_RETURN_IF_ERROR(options.fs->CreateDirs(dir + "/segments"));
  store->cold_cache_ = std::make_unique<ColdIndexCache>(options.fs, dir + "/cold-cache");

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.keep_log_file_num = 4;
  db_options.max_manifest_file_size = 64 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // RocksDB keeps a log file until every column family's memtable that used it is flushed;
  // the write-ahead buffer family's entries are deleted soon after they are written, so cap
  // the logs to force those flushes instead of letting logs pile up.
  db_options.max_total_wal_size = 64 << 20;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.compression = rocksdb::kNoCompression;  // events are flushed to zstd segments soon
  rocksdb::ColumnFamilyOptions traces_options;
  traces_options.compression = rocksdb::kZSTD;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {std::string(format::kCfWal), cf_options},
      {std::string(format::kCfCatalog), cf_options},
      {std::string(format::kCfTraces), traces_options},
  };
  auto db = std::make_shared<StoreDb>();
  rocksdb::DB* raw = nullptr;
  TROVE_RETURN_IF_ERROR(FromRocks(
      rocksdb::DB::Open(db_options, dir + "/db", families, &db->handles, &raw),
      "open RocksDB in " + dir + "/db"));
  db->db.reset(raw);
  db->meta = db->handles[0];
  db->wal = db->handles[1];
  db->catalog = db->handles[2];
  db->traces = db->handles[3];
  store->db_ = std::move(db);
  TROVE_RETURN_IF_ERROR(store->Recover());
  if (options.background) {
    store->background_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
    store->merger_ = std::thread([s = store.get()] { s->MergeLoop(); });
  }
  return store;
}

Status Store::Recover() {
  rocksdb::DB* db = db_->db.get();
  std::string version;
  bool migrate_trace_map = false;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), db_->meta,
                              std::string(format::kKeyFormatVersion), &version);
  if (s.IsNotFound()) {
    std::string v;
    PutFixed32(&v, format::kStoreFormatVersion);
    TROVE_RETURN_IF_ERROR(FromRocks(
        db->Put(rocksdb::WriteOptions(), db_->meta, std::string(format::kKeyFormatVersion), v),
        "write format version"));
  } else {
    TROVE_RETURN_IF_ERROR(FromRocks(s, "read format version"));
    const uint32_t v = version.size() == 4 ? DecodeFixed32(version.data()) : 0;
    if (v != format::kStoreFormatVersion && v != format::kStoreFormatVersion1) {
      return Status::Corruption(dir_ + "/db: unsupported store format version");
    }
    migrate_trace_map = v == format::kStoreFormatVersion1;
  }
  std::string next_id;
  s = db->Get(rocksdb::ReadOptions(), db_->meta, std::string(format::kKeyNextSegmentId), &next_id);
  if (s.ok() && next_id.size() == 8) next_segment_id_ = DecodeFixed64(next_id.data());

  // The catalog names every live segment; open and check each.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), db_->catalog));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption(dir_ + "/db: malformed catalog key");
    uint64_t id = DecodeBigEndian64(it->key().data());
    CatalogEntry entry;
    if (!entry.Decode(std::string_view(it->value().data(), it->value().size()))) {
      return Status::Corruption(dir_ + "/db: malformed catalog entry for " + SegmentFileName(id));
    }
    std::shared_ptr<SegmentReader> reader;
    if (entry.tier == Tier::kCold) {
      if (!options_.cold_tier) {
        return Status::InvalidArgument(dir_ + ": the catalog names cold segment " +
                                       SegmentFileName(id) +
                                       " but no cold tier is configured (set the cold directory)");
      }
      TROVE_ASSIGN_OR_RETURN(reader, OpenCold(id, entry.tail_bytes, entry.tail_crc));
      cold_tail_bytes_[id] = entry.tail_bytes;
    } else {
      TROVE_ASSIGN_OR_RETURN(reader, SegmentReader::Open(options_.fs, SegmentPath(id)));
    }
    if (reader->id() != id || reader->rows() != entry.rows) {
      return Status::Corruption(reader->path() + ": segment does not match its catalog entry");
    }
    segments_[id] = std::move(reader);
    next_segment_id_ = std::max(next_segment_id_, id + 1);
  }
  TROVE_RETURN_IF_ERROR(FromRocks(it->status(), "scan catalog"));
  if (migrate_trace_map) TROVE_RETURN_IF_ERROR(MigrateTraceMap());

  // Files that no catalog entry names (in their tier) are leftovers of interrupted flushes,
  // merges, archivals or drops.
  auto live_in = [&](const std::string& name, Tier tier) {
    uint64_t id;
    if (!ParseSegmentFileName(name, &id)) return false;
    auto found = segments_.find(id);
    return found != segments_.end() && found->second->tier() == tier;
  };
  TROVE_ASSIGN_OR_RETURN(auto names, options_.fs->ListDir(dir_ + "/segments"));
  for (const std::string& name : names) {
    if (live_in(name, Tier::kHot)) continue;
    TROVE_RETURN_IF_ERROR(options_.fs->RemoveFile(dir_ + "/segments/" + name));
  }
  if (options_.cold_tier) {
    TROVE_ASSIGN_OR_RETURN(auto objects, options_.cold_tier->List());
    for (const std::string& name : objects) {
      // Only Trove's own objects: seg-<id>.trv, or seg-<id>.trv.tmp from an interrupted put.
      const bool tmp = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
      const std::string base = tmp ? name.substr(0, name.size() - 4) : name;
      uint64_t id;
      if (!ParseSegmentFileName(base, &id) || (!tmp && live_in(name, Tier::kCold))) continue;
      TROVE_RETURN_IF_ERROR(options_.cold_tier->Remove(name));
    }
  }
  std::vector<std::string> cached;
  for (const auto& [id, tail] : cold_tail_bytes_) cached.push_back(SegmentFileName(id));
  TROVE_RETURN_IF_ERROR(cold_cache_->RemoveAllBut(cached));

  // Buffered events: every write-ahead entry still present was never flushed.
  it.reset(db->NewIterator(rocksdb::ReadOptions(), db_->wal));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) return Status::Corruption(dir_ + "/db: malformed buffer key");
    auto batch = std::make_shared<RecentBatch>();
    batch->seq = DecodeBigEndian64(it->key().data());
    std::string_view value(it->value().data(), it->value().size());
    Decoder d(value);
    uint64_t count;
    std::string_view rest;
    if (!d.GetVarint64(&count) || count > value.size() || !d.GetBytes(d.remaining(), &rest)) {
      return Status::Corruption(dir_ + "/db: malformed buffered batch " +
                                std::to_string(batch->seq));
    }
    batch->events.resize(count);
    for (Event& e : batch->events) {
      if (!DecodeEvent(&rest, &e)) {
        return Status::Corruption(dir_ + "/db: malformed event in buffered batch " +
                                  std::to_string(batch->seq));
      }
    }
    batch->min_time = INT64_MAX;
    batch->max_time = INT64_MIN;
    for (const Event& e : batch->events) {
      batch->min_time = std::min(batch->min_time, e.time_ns);
      batch->max_time = std::max(batch->max_time, e.time_ns);
    }
    batch->bytes = value.size();
    batch->arrival_ns = Now();
    recent_bytes_ += batch->bytes;
    next_seq_ = batch->seq + 1;
    recent_.push_back(std::move(batch));
  }
  return FromRocks(it->status(), "scan write-ahead buffer");
}

Store::~Store() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (background_.joinable()) background_.join();
  if (merger_.joinable()) merger_.join();
}

Result<AppendResult> Store::Append(std::vector<Event> events) {
  AppendResult result;
  Writer w;
  w.batch = std::make_shared<RecentBatch>();
  RecentBatch& batch = *w.batch;
  batch.events.reserve(events.size());
  batch.min_time = INT64_MAX;
  batch.max_time = INT64_MIN;
  const int64_t now = Now();
  std::string encoded_events;
  for (size_t i = 0; i < events.size(); ++i) {
    Status s = NormalizeEvent(options_.limits, now, &events[i]);
    if (!s.ok()) {
      result.rejected.push_back({i, std::move(s)});
      continue;
    }
    EncodeEvent(events[i], &encoded_events);
    batch.min_time = std::min(batch.min_time, events[i].time_ns);
    batch.max_time = std::max(batch.max_time, events[i].time_ns);
    batch.events.push_back(std::move(events[i]));
  }
  result.accepted = batch.events.size();
  if (batch.events.empty()) return result;
  PutVarint64(&w.encoded, batch.events.size());
  w.encoded += encoded_events;
  batch.bytes = w.encoded.size();
  batch.arrival_ns = now;

  std::unique_lock<std::mutex> lock(mu_);
  if (!bg_error_.ok()) {
    return Status::IOError("store is read-only after a background error: " + bg_error_.ToString());
  }
  // Backpressure: wait for flushes to drain the buffer, but not forever.
  if (recent_bytes_ > options_.max_buffer_bytes) {
    cv_.wait_for(lock, std::chrono::nanoseconds(options_.stall_timeout_ns), [&] {
      return recent_bytes_ <= options_.max_buffer_bytes || stopping_ || !bg_error_.ok();
    });
    if (recent_bytes_ > options_.max_buffer_bytes) {
      return Status::ResourceExhausted(
          "ingest is ahead of flushing: " + std::to_string(recent_bytes_ >> 20) +
          " MiB buffered; retry in a second");
    }
  }
  // Group commit (LevelDB's DBImpl::Write): the writer at the front syncs for everyone queued
  // behind it, so concurrent appenders share one fsync.
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) {
    if (!w.status.ok()) return w.status;
    return result;
  }
  size_t group_bytes = 0;
  auto end = writers_.begin();
  while (end != writers_.end() && (end == writers_.begin() || group_bytes < (8 << 20))) {
    group_bytes += (*end)->encoded.size();
    (*end)->batch->seq = next_seq_++;
    ++end;
  }
  const size_t group_size = static_cast<size_t>(end - writers_.begin());
  std::vector<Writer*> group(writers_.begin(), end);
  lock.unlock();
  rocksdb::WriteBatch wb;
  for (Writer* g : group) wb.Put(db_->wal, SeqKey(g->batch->seq), g->encoded);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  Status s = FromRocks(db_->db->Write(wo, &wb), "write-ahead buffer");
  lock.lock();
  for (size_t i = 0; i < group_size; ++i) {
    Writer* g = writers_.front();
    writers_.pop_front();
    if (s.ok()) {
      recent_bytes_ += g->batch->bytes;
      recent_.push_back(std::move(g->batch));
    }
    g->status = s;
    g->done = true;
    if (g != &w) g->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  // A failed write-ahead write leaves RocksDB stopped until Resume(): go read-only, and let
  // the background thread's recovery attempts bring writes back.
  if (!s.ok()) LatchBackgroundError(s);
  const bool flush_due = recent_bytes_ >= options_.flush_bytes;
  lock.unlock();
  if (flush_due) cv_.notify_all();
  if (!s.ok()) return s;
  return result;
}

Status Store::Flush() {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  return FlushAllLocked();
}

Status Store::FlushAllLocked() {
  // Flush what is buffered now, in segment-sized steps; appends arriving meanwhile may be
  // flushed too but cannot keep this loop going forever.
  size_t pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending = recent_.size();
  }
  while (pending > 0) {
    size_t flushed;
    TROVE_RETURN_IF_ERROR(FlushLocked(&flushed));
    if (flushed == 0) break;
    pending -= std::min(pending, flushed);
  }
  return Status::OK();
}

Status Store::FlushLocked(size_t* flushed_batches, bool recovering) {
  *flushed_batches = 0;
  std::vector<std::shared_ptr<const RecentBatch>> batches;
  uint64_t first_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!recovering) TROVE_RETURN_IF_ERROR(bg_error_);
    // The oldest batches, about flush_bytes of them: bounds segment size and flush memory
    // even when the buffer has grown far beyond the trigger.
    size_t bytes = 0;
    for (const auto& b : recent_) {
      if (!batches.empty() && bytes + b->bytes > options_.flush_bytes) break;
      bytes += b->bytes;
      batches.push_back(b);
    }
  }
  if (batches.empty()) return Status::OK();
  // Events are not copied: the batches stay alive (held here) until the swap below.
  std::map<int64_t, std::vector<const Event*>> partitions;
  for (const auto& b : batches) {
    for (const Event& e : b->events) {
      partitions[FloorDiv(e.time_ns, options_.partition_ns)].push_back(&e);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    first_id = next_segment_id_;
    next_segment_id_ += partitions.size();
  }
  // Write every segment file first; they become live only with the catalog commit below.
  std::vector<std::shared_ptr<SegmentReader>> readers;
  uint64_t id = first_id;
  for (auto& [partition, events] : partitions) {
    SegmentMeta meta;
    uint64_t size;
    TROVE_RETURN_IF_ERROR(WriteSegment(options_.fs, SegmentPath(id), id, partition,
                                       std::move(events), options_.segment, &meta, &size));
    TROVE_ASSIGN_OR_RETURN(auto reader, SegmentReader::Open(options_.fs, SegmentPath(id)));
    readers.push_back(std::move(reader));
    ++id;
  }
  rocksdb::WriteBatch wb;
  for (const auto& r : readers) {
    wb.Put(db_->catalog, CatalogKey(r->id()), CatalogEntry::Of(*r).Encode());
    TROVE_RETURN_IF_ERROR(r->ForEachTraceId(
        [&](const std::string& trace) { wb.Put(db_->traces, TraceMapKey(trace, r->id()), ""); }));
  }
  for (const auto& b : batches) wb.Delete(db_->wal, SeqKey(b->seq));
  TROVE_RETURN_IF_ERROR(CommitToCatalog(&wb, "commit flush to catalog", [&] {
    for (auto& r : readers) segments_[r->id()] = std::move(r);
    // Appends only add at the back and only flushes remove, so the flushed batches are the
    // oldest ones.
    for (const auto& b : batches) recent_bytes_ -= b->bytes;
    recent_.erase(recent_.begin(), recent_.begin() + static_cast<ptrdiff_t>(batches.size()));
    ++flushes_;
  }));
  *flushed_batches = batches.size();
  cv_.notify_all();
  // The flushed buffer entries are dead; compact their key range so RocksDB drops them now
  // instead of carrying them (and their tombstones) in its files.
  const std::string begin = SeqKey(batches.front()->seq), end = SeqKey(batches.back()->seq + 1);
  rocksdb::Slice begin_slice(begin), end_slice(end);
  db_->db->CompactRange(rocksdb::CompactRangeOptions(), db_->wal, &begin_slice, &end_slice);
  return Status::OK();
}

Status Store::CommitToCatalog(rocksdb::WriteBatch* wb, const char* what,
                              const std::function<void()>& apply) {
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  std::string next;
  {
    // Every id handed out so far is below next_segment_id_; commits are serialised here, so
    // the persisted value only grows.
    std::lock_guard<std::mutex> lock(mu_);
    PutFixed64(&next, next_segment_id_);
  }
  wb->Put(db_->meta, std::string(format::kKeyNextSegmentId), next);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  TROVE_RETURN_IF_ERROR(FromRocks(db_->db->Write(wo, wb), what));
  std::lock_guard<std::mutex> lock(mu_);
  apply();
  return Status::OK();
}

Result<bool> Store::MergeOnce() {
  std::lock_guard<std::mutex> merge_lock(merge_mu_);
  return MergeLocked();
}

Result<bool> Store::MergeLocked() {
  std::vector<MergeCandidate> candidates;
  std::vector<std::shared_ptr<SegmentReader>> inputs;
  uint64_t out_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TROVE_RETURN_IF_ERROR(bg_error_);
    for (const auto& [id, r] : segments_) {
      // Archived segments stay as they are; late events of their partition merge among
      // themselves.
      if (r->tier() == Tier::kHot) candidates.push_back({id, r->meta().partition, r->rows()});
    }
    auto picks = PickMerges(candidates, options_.merge, options_.partition_ns, Now());
    if (picks.empty()) return false;
    for (uint64_t id : picks.front()) inputs.push_back(segments_.at(id));
    out_id = next_segment_id_++;
  }
  std::vector<Event> events;
  for (const auto& in : inputs) {
    TROVE_ASSIGN_OR_RETURN(auto part, in->ReadAllEvents());
    events.insert(events.end(), std::make_move_iterator(part.begin()),
                  std::make_move_iterator(part.end()));
  }
  const int64_t partition = inputs.front()->meta().partition;
  SegmentMeta meta;
  uint64_t size;
  TROVE_RETURN_IF_ERROR(WriteSegment(options_.fs, SegmentPath(out_id), out_id, partition,
                                     events, options_.segment, &meta, &size));
  events = std::vector<Event>();
  TROVE_ASSIGN_OR_RETURN(auto output, SegmentReader::Open(options_.fs, SegmentPath(out_id)));

  // One atomic catalog commit swaps the inputs for the output.
  rocksdb::WriteBatch wb;
  for (const auto& in : inputs) {
    wb.Delete(db_->catalog, CatalogKey(in->id()));
    TROVE_RETURN_IF_ERROR(in->ForEachTraceId(
        [&](const std::string& trace) { wb.Delete(db_->traces, TraceMapKey(trace, in->id())); }));
  }
  wb.Put(db_->catalog, CatalogKey(out_id), CatalogEntry::Of(*output).Encode());
  TROVE_RETURN_IF_ERROR(output->ForEachTraceId(
      [&](const std::string& trace) { wb.Put(db_->traces, TraceMapKey(trace, out_id), ""); }));
  TROVE_RETURN_IF_ERROR(CommitToCatalog(&wb, "commit merge to catalog", [&] {
    for (const auto& in : inputs) segments_.erase(in->id());
    segments_[out_id] = std::move(output);
    ++merges_;
  }));
  // Open readers (held by snapshots) keep their file descriptors; unlinking now is safe.
  // A failure leaves an orphan that the next Open removes.
  for (const auto& in : inputs) options_.fs->RemoveFile(in->path());
  return true;
}

Status Store::Compact() {
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  std::lock_guard<std::mutex> merge_lock(merge_mu_);
  TROVE_RETURN_IF_ERROR(FlushAllLocked());
  while (true) {
    TROVE_ASSIGN_OR_RETURN(bool merged, MergeLocked());
    if (!merged) break;
  }
  // Every buffered event is in a segment now, so RocksDB's log files hold nothing live; they
  // go once the memtables that used them are flushed (otherwise up to max_total_wal_size of
  // dead log stays on disk).
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  return FromRocks(db_->db->Flush(flush_options, db_->handles), "flush RocksDB memtables");
}

void MaintenanceCounts::Add(const MaintenanceCounts& o) {
  archived_segments += o.archived_segments;
  archived_rows += o.archived_rows;
  archived_hot_bytes += o.archived_hot_bytes;
  archived_cold_bytes += o.archived_cold_bytes;
  dropped_partitions += o.dropped_partitions;
  dropped_segments += o.dropped_segments;
  dropped_rows += o.dropped_rows;
  dropped_bytes += o.dropped_bytes;
  dropped_by_retention += o.dropped_by_retention;
  dropped_by_disk += o.dropped_by_disk;
}

Result<std::shared_ptr<SegmentReader>> Store::OpenCold(uint64_t id, uint64_t tail_bytes,
                                                       uint32_t tail_crc) {
  const std::string name = SegmentFileName(id);
  TROVE_ASSIGN_OR_RETURN(auto object, options_.cold_tier->Open(name));
  TROVE_ASSIGN_OR_RETURN(auto file,
                         cold_cache_->Wrap(name, std::move(object), tail_bytes, tail_crc));
  return SegmentReader::Open(std::move(file), Tier::kCold);
}

Result<MaintenanceCounts> Store::RunMaintenance() {
  std::lock_guard<std::mutex> merge_lock(merge_mu_);
  return RunMaintenanceLocked();
}

Result<MaintenanceCounts> Store::RunMaintenanceLocked() {
  MaintenanceCounts counts;
  // Retention first: nothing is archived only to be dropped.
  Status s = DropPartitionsLocked(&counts);
  if (s.ok()) s = ArchiveLocked(&counts);
  std::lock_guard<std::mutex> lock(mu_);
  maintenance_.Add(counts);
  ++maintenance_passes_;
  maintenance_error_ = s.ok() ? std::string() : s.ToString();
  if (!s.ok()) return s;
  return counts;
}

Status Store::DropPartitionsLocked(MaintenanceCounts* done) {
  if (options_.retention_ns == 0 && options_.max_disk_bytes == 0) return Status::OK();
  // Counted into *done only once the drop is committed.
  MaintenanceCounts pass;
  MaintenanceCounts* counts = &pass;
  // Partitions, oldest first, with their segments.
  std::map<int64_t, std::vector<std::shared_ptr<SegmentReader>>> partitions;
  uint64_t total_bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, r] : segments_) {
      partitions[r->meta().partition].push_back(r);
      total_bytes += r->file_size();
    }
  }
  const int64_t now = Now();
  // The partition end (exclusive) of p is (p + 1) * partition_ns; compare in a form that
  // cannot overflow for any partition or retention.
  const int64_t cutoff = options_.retention_ns > 0 && now > INT64_MIN + options_.retention_ns
                             ? now - options_.retention_ns
                             : INT64_MIN;
  auto expired = [&](int64_t p) {
    if (options_.retention_ns == 0) return false;
    return p < FloorDiv(cutoff, options_.partition_ns);
  };
  std::vector<std::shared_ptr<SegmentReader>> drop;
  std::vector<std::string> log;  // printed once the drop is committed
  size_t left = partitions.size();
  for (const auto& [p, segs] : partitions) {
    const bool old = expired(p);
    const bool over_budget =
        options_.max_disk_bytes > 0 && total_bytes > options_.max_disk_bytes && left > 1;
    if (!old && !over_budget) break;  // partitions are in time order
    uint64_t rows = 0, bytes = 0;
    for (const auto& r : segs) {
      rows += r->rows();
      bytes += r->file_size();
      drop.push_back(r);
    }
    char line[200];
    snprintf(line, sizeof line,
             "trove: dropping partition %lld (%zu segments, %llu events, %llu bytes): %s\n",
             static_cast<long long>(p), segs.size(), static_cast<unsigned long long>(rows),
             static_cast<unsigned long long>(bytes),
             old ? "older than retention" : "over the disk budget");
    log.push_back(line);
    ++counts->dropped_partitions;
    ++(old ? counts->dropped_by_retention : counts->dropped_by_disk);
    counts->dropped_segments += segs.size();
    counts->dropped_rows += rows;
    counts->dropped_bytes += bytes;
    total_bytes -= bytes;
    --left;
  }
  if (drop.empty()) return Status::OK();
  rocksdb::WriteBatch wb;
  for (const auto& r : drop) {
    wb.Delete(db_->catalog, CatalogKey(r->id()));
    Status traces = r->ForEachTraceId(
        [&](const std::string& trace) { wb.Delete(db_->traces, TraceMapKey(trace, r->id())); });
    if (!traces.ok()) {
      // A damaged or unreachable segment must still be droppable. Its correlation-map keys
      // stay behind, harmlessly: lookups ignore segment ids the catalog no longer names.
      fprintf(stderr, "trove: dropping %s without reading its trace IDs: %s\n",
              SegmentFileName(r->id()).c_str(), traces.ToString().c_str());
    }
  }
  TROVE_RETURN_IF_ERROR(CommitToCatalog(&wb, "commit partition drop to catalog", [&] {
    for (const auto& r : drop) {
      segments_.erase(r->id());
      cold_tail_bytes_.erase(r->id());
    }
  }));
  done->Add(pass);
  for (const std::string& line : log) fputs(line.c_str(), stderr);
  // The files are unreachable now; a failure to delete leaves orphans the next Open removes.
  for (const auto& r : drop) {
    if (r->tier() == Tier::kCold) {
      options_.cold_tier->Remove(SegmentFileName(r->id()));
      cold_cache_->Remove(SegmentFileName(r->id()));
    } else {
      options_.fs->RemoveFile(r->path());
    }
  }
  return Status::OK();
}

Status Store::ArchiveLocked(MaintenanceCounts* counts) {
  if (options_.archive_after_ns == 0 || !options_.cold_tier) return Status::OK();
  const int64_t now = Now();
  if (now < INT64_MIN + options_.archive_after_ns) return Status::OK();
  const int64_t cutoff = now - options_.archive_after_ns;
  std::vector<std::shared_ptr<SegmentReader>> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, r] : segments_) {
      if (r->tier() == Tier::kHot && r->meta().max_time < cutoff) old.push_back(r);
    }
  }
  // One segment at a time, each committed on its own: a failure or crash loses at most the
  // work on one segment, and a shutdown waits for one segment, not the pass (the rest stay hot
  // until the next pass).
  for (const auto& r : old) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    TROVE_RETURN_IF_ERROR(ArchiveSegment(r, counts));
  }
  return Status::OK();
}

Status Store::ArchiveSegment(const std::shared_ptr<SegmentReader>& in, MaintenanceCounts* counts) {
  const uint64_t id = in->id();
  const std::string name = SegmentFileName(id);
  // 1. Rewrite for size into a staging file next to the hot one (not a segment file name, so
  //    Open deletes it if we crash).
  const std::string staging = SegmentPath(id) + ".cold";
  TROVE_ASSIGN_OR_RETURN(std::vector<Event> events, in->ReadAllEvents());
  SegmentMeta meta;
  uint64_t size;
  TROVE_RETURN_IF_ERROR(WriteSegment(options_.fs, staging, id, in->meta().partition, events,
                                     options_.cold_segment, &meta, &size));
  events = std::vector<Event>();
  uint64_t tail_bytes;
  uint32_t tail_crc;
  {
    TROVE_ASSIGN_OR_RETURN(auto rewritten, SegmentReader::Open(options_.fs, staging));
    if (rewritten->rows() != in->rows()) {
      return Status::Corruption(staging + ": rewritten segment has " +
                                std::to_string(rewritten->rows()) + " rows, expected " +
                                std::to_string(in->rows()));
    }
    tail_bytes = rewritten->IndexTailBytes();
  }
  // 2. Store it in the cold tier and keep its index tail locally. Until the catalog commit
  //    below the hot segment is the live one; a crash here leaves a cold object that Open
  //    deletes.
  TROVE_RETURN_IF_ERROR(options_.cold_tier->Put(staging, name));
  {
    TROVE_ASSIGN_OR_RETURN(auto local, options_.fs->NewRandomAccessFile(staging));
    TROVE_RETURN_IF_ERROR(cold_cache_->Fill(name, *local, tail_bytes, &tail_crc));
  }
  TROVE_ASSIGN_OR_RETURN(auto cold, OpenCold(id, tail_bytes, tail_crc));
  if (cold->rows() != in->rows() || cold->file_size() != size) {
    return Status::Corruption(cold->path() + ": cold copy does not match what was written");
  }
  // 3. One catalog write flips the segment to the cold tier. The id and the events are the
  //    same, so the correlation map stays valid as it is.
  rocksdb::WriteBatch wb;
  wb.Put(db_->catalog, CatalogKey(id), CatalogEntry::Of(*cold, tail_bytes, tail_crc).Encode());
  TROVE_RETURN_IF_ERROR(CommitToCatalog(&wb, "commit archival to catalog", [&] {
    segments_[id] = cold;
    cold_tail_bytes_[id] = tail_bytes;
  }));
  // 4. The hot file and the staging copy are dead; failures leave orphans Open removes.
  options_.fs->RemoveFile(in->path());
  options_.fs->RemoveFile(staging);
  ++counts->archived_segments;
  counts->archived_rows += in->rows();
  counts->archived_hot_bytes += in->file_size();
  counts->archived_cold_bytes += size;
  return Status::OK();
}

void Store::BackgroundLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto flush_due = [&] {
    return recent_bytes_ >= options_.flush_bytes ||
           (!recent_.empty() && Now() - recent_.front()->arrival_ns >= options_.flush_age_ns);
  };
  while (!stopping_) {
    // A buffer still over the trigger after one flush step goes straight into the next one.
    if (!flush_due() || !bg_error_.ok()) {
      cv_.wait_for(lock, std::chrono::nanoseconds(options_.background_interval_ns));
    }
    if (stopping_) continue;
    if (!bg_error_.ok()) {
      if (Now() >= next_recovery_ns_) {
        next_recovery_ns_ = Now() + options_.recovery_interval_ns;
        lock.unlock();
        TryLeaveReadOnly();
        lock.lock();
      }
      continue;
    }
    const bool flush_now = flush_due();
    lock.unlock();
    Status s;
    if (flush_now) {
      std::lock_guard<std::mutex> flush_lock(flush_mu_);
      size_t flushed;
      s = FlushLocked(&flushed);
    }
    lock.lock();
    LatchBackgroundError(s);
  }
}

// Merges run on their own thread so a long merge never holds up flushing (and so ingest).
void Store::MergeLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::nanoseconds(options_.background_interval_ns));
    if (stopping_ || !bg_error_.ok()) continue;
    lock.unlock();
    Result<bool> merged = false;
    {
      std::lock_guard<std::mutex> merge_lock(merge_mu_);
      merged = MergeLocked();
      const bool tiering = options_.archive_after_ns > 0 || options_.retention_ns > 0 ||
                           options_.max_disk_bytes > 0;
      if (merged.ok() && tiering && Now() >= next_maintenance_ns_) {
        next_maintenance_ns_ = Now() + options_.maintenance_interval_ns;
        // A failed pass (cold tier unreachable, disk full) is logged, shown in the stats and
        // retried at the next interval; it does not make the store read-only.
        auto pass = RunMaintenanceLocked();
        if (!pass.ok()) {
          fprintf(stderr, "trove: archival/retention pass failed: %s\n",
                  pass.status().ToString().c_str());
        }
      }
    }
    lock.lock();
    LatchBackgroundError(merged.status());
  }
}

void Store::TryLeaveReadOnly() {
  // RocksDB stops writing after an I/O error of its own; Resume() is a no-op otherwise.
  Status s = FromRocks(db_->db->Resume(), "resume RocksDB");
  if (!s.ok()) return;
  std::lock_guard<std::mutex> flush_lock(flush_mu_);
  size_t flushed;
  s = FlushLocked(&flushed, /*recovering=*/true);
  if (!s.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (bg_error_.ok()) return;
  fprintf(stderr, "trove: writes work again, the store is writable (was: %s)\n",
          bg_error_.ToString().c_str());
  bg_error_ = Status::OK();
  ++recoveries_;
  cv_.notify_all();
}

void Store::LatchBackgroundError(const Status& s) {
  if (s.ok() || !bg_error_.ok()) return;
  // Latched: the store stops accepting writes rather than fail in a loop. Reads go on.
  fprintf(stderr, "trove: a write failed, the store is read-only until writes work again: %s\n",
          s.ToString().c_str());
  bg_error_ = s;
  cv_.notify_all();
}

std::shared_ptr<const Snapshot> Store::GetSnapshot() const {
  auto snap = std::shared_ptr<Snapshot>(new Snapshot());
  // commit_mu_ makes the RocksDB snapshot and the segment list agree (no catalog commit
  // between them).
  std::lock_guard<std::mutex> commit_lock(commit_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  snap->db_ = db_;
  snap->db_snapshot_ = db_->db->GetSnapshot();
  for (const auto& [id, r] : segments_) snap->segments_.push_back(r);
  std::sort(snap->segments_.begin(), snap->segments_.end(), [](const auto& a, const auto& b) {
    return a->meta().min_time != b->meta().min_time ? a->meta().min_time < b->meta().min_time
                                                    : a->id() < b->id();
  });
  snap->recent_ = recent_;
  return snap;
}

StoreStats Store::GetStats() const {
  StoreStats st;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, r] : segments_) {
    TierStats& t = r->tier() == Tier::kCold ? st.cold : st.hot;
    ++t.segments;
    t.rows += r->rows();
    t.bytes += r->file_size();
    t.raw_bytes += r->meta().raw_bytes;
  }
  st.segments = st.hot.segments + st.cold.segments;
  st.segment_rows = st.hot.rows + st.cold.rows;
  st.segment_bytes = st.hot.bytes + st.cold.bytes;
  st.segment_raw_bytes = st.hot.raw_bytes + st.cold.raw_bytes;
  for (const auto& [id, tail] : cold_tail_bytes_) st.cold_cache_bytes += tail;
  if (options_.cold_tier) st.cold_tier = options_.cold_tier->Describe();
  st.maintenance = maintenance_;
  st.maintenance_passes = maintenance_passes_;
  st.maintenance_error = maintenance_error_;
  for (const auto& b : recent_) st.buffered_events += b->events.size();
  st.buffered_bytes = recent_bytes_;
  st.flushes = flushes_;
  st.merges = merges_;
  st.recoveries = recoveries_;
  uint64_t live = 0;
  // Every column family (the catalog, the correlation map and the write-ahead buffer), not
  // only the default one.
  if (db_->db->GetAggregatedIntProperty("rocksdb.total-sst-files-size", &live)) {
    st.db_bytes = live;
  }
  if (!bg_error_.ok()) st.background_error = bg_error_.ToString();
  return st;
}

Snapshot::~Snapshot() {
  if (db_ && db_snapshot_) db_->db->ReleaseSnapshot(db_snapshot_);
}

std::vector<std::shared_ptr<SegmentReader>> Snapshot::SegmentsOverlapping(int64_t from_ns,
                                                                          int64_t to_ns) const {
  std::vector<std::shared_ptr<SegmentReader>> out;
  for (const auto& s : segments_) {
    if (s->meta().max_time >= from_ns && s->meta().min_time < to_ns) out.push_back(s);
  }
  return out;
}

uint64_t Snapshot::recent_events() const {
  uint64_t n = 0;
  for (const auto& b : recent_) n += b->events.size();
  return n;
}

Status Store::MigrateTraceMap() {
  // Store format 1 → 2: every `traces` key is rewritten from the live segments' correlation
  // indexes, in one synced batch with the new version, so a crash leaves either format whole.
  rocksdb::WriteBatch wb;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions(), db_->traces));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    TROVE_RETURN_IF_ERROR(FromRocks(wb.Delete(db_->traces, it->key()), "migrate correlation map"));
  }
  TROVE_RETURN_IF_ERROR(FromRocks(it->status(), "scan correlation map"));
  for (const auto& entry : segments_) {
    // Not a structured binding: clang's lambdas cannot capture one.
    const uint64_t id = entry.first;
    TROVE_RETURN_IF_ERROR(entry.second->ForEachTraceId(
        [&](const std::string& trace) { wb.Put(db_->traces, TraceMapKey(trace, id), ""); }));
  }
  std::string v;
  PutFixed32(&v, format::kStoreFormatVersion);
  wb.Put(db_->meta, std::string(format::kKeyFormatVersion), v);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->db->Write(wo, &wb), "migrate correlation map");
}

Result<std::vector<std::shared_ptr<SegmentReader>>> Snapshot::SegmentsWithTrace(
    std::string_view trace_id) const {
  std::vector<std::shared_ptr<SegmentReader>> out;
  if (trace_id.empty()) return out;
  const std::string prefix = TraceMapPrefix(trace_id);
  rocksdb::ReadOptions ro;
  ro.snapshot = db_snapshot_;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->traces));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    // Another ID with the same hash may name a segment too: its TraceRows are then empty.
    Decoder d(std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id;
    if (!d.GetVarint64(&id) || !d.done()) continue;
    for (const auto& s : segments_) {
      if (s->id() == id) out.push_back(s);
    }
  }
  TROVE_RETURN_IF_ERROR(FromRocks(it->status(), "scan correlation map"));
  return out;
}

}  // namespace trove
