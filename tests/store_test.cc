// Store behaviour: bad input, recovery, orphans, backpressure, merge policy.
#include "storage/store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "storage/coding.h"
#include "storage/format.h"
#include "storage/merge_policy.h"
#include "tests/store_test_util.h"

namespace trove {
namespace {

using testing::IdOf;
using testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kNow = int64_t{1'750'000'000} * kSecond;

StoreOptions TestOptions() {
  StoreOptions o;
  o.background = false;
  o.clock = [] { return kNow; };
  return o;
}

Event MakeEvent(int64_t id, std::string msg, int64_t time = kNow) {
  Event e;
  e.time_ns = time;
  e.service = "svc";
  e.level = Level::kInfo;
  e.message = std::move(msg);
  e.attributes.push_back({"id", id});
  return e;
}

TEST(StoreTest, BadEventsAreRejectedOneByOneAndTheRestKept) {
  TempDir dir("bad");
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Event> batch;
  batch.push_back(MakeEvent(0, "fine"));
  batch.push_back(MakeEvent(1, std::string(2 << 20, 'x')));        // oversized
  batch.push_back(MakeEvent(2, "bad utf8 \xff\xfe end"));           // kept, repaired
  batch.push_back(MakeEvent(3, ""));                                // empty message: kept
  batch.push_back(MakeEvent(4, "future", kNow + 30 * 24 * 3600 * kSecond));
  batch.push_back(MakeEvent(5, "before epoch", -5));
  batch.push_back(MakeEvent(6, "long trace"));
  batch.back().trace_id = std::string(65, 'a');
  batch.push_back(MakeEvent(7, "builtin key"));
  batch.back().attributes.push_back({"_msg", std::string("x")});
  batch.push_back(MakeEvent(8, "many attributes"));
  for (int i = 0; i < 10000; ++i) {
    batch.back().attributes.push_back({"k" + std::to_string(i), int64_t{i}});
  }
  batch.push_back(MakeEvent(9, "past is fine", kSecond));
  batch.push_back(MakeEvent(10, "truncated utf8 \xe2\x82"));
  auto r = (*store)->Append(std::move(batch));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 6u);
  std::vector<size_t> rejected;
  for (const auto& rej : r->rejected) {
    rejected.push_back(rej.index);
    EXPECT_TRUE(rej.reason.IsInvalidArgument());
  }
  EXPECT_EQ(rejected, (std::vector<size_t>{1, 4, 5, 6, 7}));
  EXPECT_NE(r->rejected[0].reason.message().find("limit is 1048576"), std::string::npos)
      << r->rejected[0].reason.message();
  EXPECT_NE(r->rejected[1].reason.message().find("future"), std::string::npos);
  EXPECT_NE(r->rejected[3].reason.message().find("trace_id"), std::string::npos);

  for (int pass = 0; pass < 2; ++pass) {
    auto snap = (*store)->GetSnapshot();
    std::map<int64_t, Event> got;
    for (Event& e : testing::AllEvents(*snap)) got[IdOf(e)] = e;
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got[2].message, "bad utf8 \xEF\xBF\xBD\xEF\xBF\xBD end");
    EXPECT_EQ(got[10].message, "truncated utf8 \xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(got[3].message, "");
    EXPECT_EQ(got[8].attributes.size(), 10001u);
    EXPECT_EQ(got[9].time_ns, kSecond);
    ASSERT_TRUE((*store)->Flush().ok());  // second pass reads the segments
  }
}

TEST(StoreTest, AnEmptyOrAllRejectedBatchWritesNothing) {
  TempDir dir("empty");
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_TRUE(store.ok());
  auto r = (*store)->Append({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 0u);
  r = (*store)->Append({MakeEvent(1, "x", -1)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ((*store)->GetSnapshot()->recent_events(), 0u);
}

TEST(StoreTest, ReopenRecoversBufferedAndFlushedEventsExactlyOnce) {
  TempDir dir("reopen");
  {
    auto store = Store::Open(TestOptions(), dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append({MakeEvent(1, "one"), MakeEvent(2, "two")}).ok());
    ASSERT_TRUE((*store)->Flush().ok());
    ASSERT_TRUE((*store)->Append({MakeEvent(3, "three")}).ok());
  }
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto snap = (*store)->GetSnapshot();
  EXPECT_EQ(snap->segments().size(), 1u);
  EXPECT_EQ(snap->recent_events(), 1u);
  std::vector<int64_t> ids;
  for (const Event& e : testing::AllEvents(*snap)) ids.push_back(IdOf(e));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3}));
}

// The store's RocksDB, opened directly with its column families (default, wal, catalog,
// traces), to write what an older release wrote.
struct RawDb {
  explicit RawDb(const std::string& dir) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (std::string name : {std::string(rocksdb::kDefaultColumnFamilyName),
                             std::string(format::kCfWal), std::string(format::kCfCatalog),
                             std::string(format::kCfTraces)}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* raw = nullptr;
    status = rocksdb::DB::Open(rocksdb::DBOptions(), dir + "/db", families, &handles, &raw);
    db.reset(raw);
  }
  ~RawDb() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }
  // Every key of the traces family.
  std::vector<std::string> TraceKeys() {
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[3]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    return keys;
  }
  uint32_t Version() {
    std::string v;
    if (!db->Get(rocksdb::ReadOptions(), handles[0], "format_version", &v).ok() || v.size() != 4) {
      return 0;
    }
    return DecodeFixed32(v.data());
  }
  rocksdb::Status status;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::unique_ptr<rocksdb::DB> db;
};

// A store written by format 1 (the correlation map keyed by the whole encoded ID) opens as
// format 2: its map is rewritten with hashed keys and every trace is found as before.
TEST(StoreTest, FormatOneCorrelationMapIsMigratedOnOpen) {
  TempDir dir("trace-map-v1");
  std::map<std::string, std::set<int64_t>> traces;  // trace ID → event ids
  std::map<std::string, std::set<uint64_t>> segments_of;
  {
    auto store = Store::Open(TestOptions(), dir.path());
    ASSERT_TRUE(store.ok());
    int64_t id = 0;
    for (int seg = 0; seg < 3; ++seg) {
      std::vector<Event> events;
      for (int i = 0; i < 40; ++i, ++id) {
        Event e = MakeEvent(id, "event " + std::to_string(id), kNow - 1000 + id);
        // Hex IDs (compacted by EncodeId) and free-form ones; some span segments.
        e.trace_id = i % 2 ? "4bf92f3577b34da6a3ce929d0e0e47" + std::to_string(10 + (i + seg) % 7)
                           : "req-" + std::to_string(i % 5);
        traces[e.trace_id].insert(id);
        events.push_back(std::move(e));
      }
      ASSERT_TRUE((*store)->Append(std::move(events)).ok());
      ASSERT_TRUE((*store)->Flush().ok());
    }
    auto snap = (*store)->GetSnapshot();
    ASSERT_EQ(snap->segments().size(), 3u);
    for (const auto& seg : snap->segments()) {
      ASSERT_TRUE(seg->ForEachTraceId([&](const std::string& t) {
                       segments_of[t].insert(seg->id());
                     }).ok());
    }
  }
  ASSERT_EQ(segments_of.size(), traces.size());
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.status.ok()) << raw.status.ToString();
    EXPECT_EQ(raw.Version(), format::kStoreFormatVersion);
    rocksdb::WriteBatch wb;
    for (const std::string& k : raw.TraceKeys()) {
      ASSERT_EQ(k[0], '\0');
      wb.Delete(raw.handles[3], k);
    }
    for (const auto& [trace, ids] : segments_of) {
      for (uint64_t seg : ids) {
        const std::string enc = EncodeId(trace);
        std::string key(1, static_cast<char>(enc.size()));
        key += enc;
        PutBigEndian64(&key, seg);
        wb.Put(raw.handles[3], key, "");
      }
    }
    std::string v;
    PutFixed32(&v, format::kStoreFormatVersion1);
    wb.Put(raw.handles[0], "format_version", v);
    ASSERT_TRUE(raw.db->Write(rocksdb::WriteOptions(), &wb).ok());
  }
  {
    auto store = Store::Open(TestOptions(), dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto snap = (*store)->GetSnapshot();
    for (const auto& [trace, ids] : traces) {
      auto segs = snap->SegmentsWithTrace(trace);
      ASSERT_TRUE(segs.ok());
      std::set<int64_t> got;
      std::set<uint64_t> seg_ids;
      for (const auto& seg : *segs) {
        seg_ids.insert(seg->id());
        auto rows = seg->TraceRows(trace);
        ASSERT_TRUE(rows.ok());
        auto events = seg->ReadEvents(*rows);
        ASSERT_TRUE(events.ok());
        for (const Event& e : *events) got.insert(IdOf(e));
      }
      EXPECT_EQ(got, ids) << trace;
      EXPECT_EQ(seg_ids, segments_of[trace]) << trace;
    }
    EXPECT_TRUE(snap->SegmentsWithTrace("no-such-trace")->empty());
  }
  RawDb raw(dir.path());
  ASSERT_TRUE(raw.status.ok());
  EXPECT_EQ(raw.Version(), format::kStoreFormatVersion);
  size_t keys = 0;
  for (const std::string& k : raw.TraceKeys()) {
    EXPECT_EQ(k[0], '\0') << "a format 1 key is left";
    ++keys;
  }
  size_t pairs = 0;
  for (const auto& [trace, ids] : segments_of) pairs += ids.size();
  EXPECT_EQ(keys, pairs);
}

// A version this release does not know is refused, not rewritten.
TEST(StoreTest, UnknownStoreFormatVersionFailsOpen) {
  TempDir dir("store-version");
  { ASSERT_TRUE(Store::Open(TestOptions(), dir.path()).ok()); }
  {
    RawDb raw(dir.path());
    ASSERT_TRUE(raw.status.ok());
    std::string v;
    PutFixed32(&v, 7);
    ASSERT_TRUE(raw.db->Put(rocksdb::WriteOptions(), raw.handles[0], "format_version", v).ok());
  }
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status().ToString();
  EXPECT_NE(store.status().message().find("format version"), std::string::npos);
}

TEST(StoreTest, OpenRemovesOrphanedSegmentFiles) {
  TempDir dir("orphans");
  {
    auto store = Store::Open(TestOptions(), dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append({MakeEvent(1, "one")}).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  const std::string segs = dir.path() + "/segments/";
  std::ofstream(segs + "seg-00000000000000ff.trv") << "half-written merge output";
  std::ofstream(segs + "seg-0000000000000100.trv.tmp") << "interrupted flush";
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(segs + "seg-00000000000000ff.trv"));
  EXPECT_FALSE(std::filesystem::exists(segs + "seg-0000000000000100.trv.tmp"));
  EXPECT_EQ((*store)->GetSnapshot()->segments().size(), 1u);
}

TEST(StoreTest, MissingOrCorruptSegmentFailsOpenNamingTheFile) {
  TempDir dir("missing");
  std::string path;
  {
    auto store = Store::Open(TestOptions(), dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Append({MakeEvent(1, "one")}).ok());
    ASSERT_TRUE((*store)->Flush().ok());
    path = (*store)->GetSnapshot()->segments()[0]->path();
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 3);
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status().ToString();
  EXPECT_NE(store.status().message().find(path), std::string::npos);
}

TEST(StoreTest, FlushSplitsEventsByTimePartition) {
  TempDir dir("partitions");
  StoreOptions o = TestOptions();
  o.partition_ns = 3600 * kSecond;
  auto store = Store::Open(o, dir.path());
  ASSERT_TRUE(store.ok());
  const int64_t hour = 3600 * kSecond;
  const int64_t base = (kNow / hour) * hour - 5 * hour;
  ASSERT_TRUE((*store)
                  ->Append({MakeEvent(1, "a", base + 10), MakeEvent(2, "b", base + hour + 5),
                            MakeEvent(3, "c", base + 20), MakeEvent(4, "d", base + 3 * hour)})
                  .ok());
  ASSERT_TRUE((*store)->Flush().ok());
  auto snap = (*store)->GetSnapshot();
  ASSERT_EQ(snap->segments().size(), 3u);
  EXPECT_EQ(snap->segments()[0]->rows(), 2u);
  for (const auto& s : snap->segments()) {
    EXPECT_EQ(s->meta().min_time / hour, s->meta().partition);
    EXPECT_EQ(s->meta().max_time / hour, s->meta().partition);
  }
  EXPECT_EQ(snap->SegmentsOverlapping(base, base + hour).size(), 1u);
  EXPECT_EQ(snap->SegmentsOverlapping(base + 21, base + hour).size(), 0u);
}

// Bytes of RocksDB log files under the store's db directory.
uint64_t RocksLogBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir + "/db")) {
    if (f.path().extension() == ".log") bytes += f.file_size();
  }
  return bytes;
}

TEST(StoreTest, CompactLeavesNoDeadRocksDbLogs) {
  TempDir dir("compact-logs");
  auto store = Store::Open(TestOptions(), dir.path());
  ASSERT_TRUE(store.ok());
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<Event> events;
    for (int i = 0; i < 100; ++i) {
      events.push_back(MakeEvent(batch * 100 + i, "event " + std::string(200, 'x'), kNow + i));
    }
    ASSERT_TRUE((*store)->Append(std::move(events)).ok());
  }
  ASSERT_TRUE((*store)->Flush().ok());
  // The buffered events were written to RocksDB's log; after the flush they live in segments.
  ASSERT_GT(RocksLogBytes(dir.path()), 400'000u);
  ASSERT_TRUE((*store)->Compact().ok());
  EXPECT_EQ(RocksLogBytes(dir.path()), 0u) << "Compact left RocksDB log files behind";
  // db_bytes counts the tables of every column family.
  uint64_t sst_bytes = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path() + "/db")) {
    if (f.path().extension() == ".sst") sst_bytes += f.file_size();
  }
  EXPECT_GT(sst_bytes, 0u);
  EXPECT_EQ((*store)->GetStats().db_bytes, sst_bytes);
  // Nothing was lost on the way.
  auto snap = (*store)->GetSnapshot();
  uint64_t rows = 0;
  for (const auto& s : snap->segments()) rows += s->rows();
  EXPECT_EQ(rows, 2000u);
}

TEST(StoreTest, BackpressureRejectsWhenTheBufferIsFull) {
  TempDir dir("backpressure");
  StoreOptions o = TestOptions();
  o.max_buffer_bytes = 1000;
  o.stall_timeout_ns = 10'000'000;
  auto store = Store::Open(o, dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Append({MakeEvent(1, std::string(2000, 'a'))}).ok());
  auto r = (*store)->Append({MakeEvent(2, "more")});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsResourceExhausted()) << r.status().ToString();
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_TRUE((*store)->Append({MakeEvent(2, "more")}).ok());
}

TEST(StoreTest, BackgroundThreadFlushesByAgeAndMerges) {
  TempDir dir("background");
  StoreOptions o;
  o.flush_age_ns = 50'000'000;
  o.background_interval_ns = 10'000'000;
  o.merge.min_inputs = 3;
  auto store = Store::Open(o, dir.path());
  ASSERT_TRUE(store.ok());
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*store)->Append({MakeEvent(i, "tick", now + i)}).ok());
    for (int wait = 0; wait < 500 && (*store)->GetSnapshot()->recent_events() > 0; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ((*store)->GetSnapshot()->recent_events(), 0u) << "not flushed by age";
  }
  for (int wait = 0; wait < 500 && (*store)->GetStats().merges == 0; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  StoreStats stats = (*store)->GetStats();
  EXPECT_GT(stats.merges, 0u);
  EXPECT_EQ(stats.segment_rows, 6u);
  EXPECT_TRUE(stats.background_error.empty());
}

TEST(StoreTest, ConcurrentAppendersAllLand) {
  TempDir dir("concurrent");
  StoreOptions o = TestOptions();
  auto store = Store::Open(o, dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < 50; ++b) {
        std::vector<Event> batch;
        for (int i = 0; i < 10; ++i) batch.push_back(MakeEvent(t * 1000 + b * 10 + i, "x"));
        auto r = (*store)->Append(std::move(batch));
        EXPECT_TRUE(r.ok());
        if (b == 25 && t == 0) {
          EXPECT_TRUE((*store)->Flush().ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<int64_t> ids;
  for (const Event& e : testing::AllEvents(*(*store)->GetSnapshot())) ids.push_back(IdOf(e));
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(ids.size(), 4000u);
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "duplicate id";
}

TEST(MergePolicyTest, PicksSmallSegmentsPerPartition) {
  MergePolicyOptions o;
  o.min_inputs = 3;
  o.max_output_rows = 1000;
  o.done_rows = 500;
  o.seal_delay_ns = 10;
  const int64_t pns = 100;
  auto check = [&](std::vector<MergeCandidate> segs, int64_t now,
                   std::vector<std::vector<uint64_t>> want) {
    EXPECT_EQ(PickMerges(segs, o, pns, now), want);
  };
  // Open partition (now inside it): needs min_inputs small segments.
  check({{1, 5, 100}, {2, 5, 100}}, 550, {});
  check({{1, 5, 100}, {2, 5, 50}, {3, 5, 100}}, 550, {{2, 1, 3}});
  // Big segments (≥ done_rows) are left alone.
  check({{1, 5, 600}, {2, 5, 100}, {3, 5, 100}, {4, 5, 100}}, 550, {{2, 3, 4}});
  // The cap splits groups; a remainder below min_inputs waits.
  check({{1, 5, 400}, {2, 5, 400}, {3, 5, 400}, {4, 5, 400}}, 550, {});
  check({{1, 5, 300}, {2, 5, 300}, {3, 5, 300}, {4, 5, 300}}, 550, {{1, 2, 3}});
  // Sealed partition: two are enough.
  check({{1, 5, 100}, {2, 5, 100}}, 700, {{1, 2}});
  // Partitions never mix.
  check({{1, 5, 100}, {2, 6, 100}}, 1000, {});
  check({{1, 5, 10}, {2, 6, 10}, {3, 5, 10}, {4, 6, 10}}, 1000, {{1, 3}, {2, 4}});
  // done_rows alone decides which segments are final, even in a sealed partition.
  check({{1, 5, 499}, {2, 5, 500}, {3, 5, 499}}, 1000, {{1, 3}});
  o.done_rows = 200;
  check({{1, 5, 300}, {2, 5, 300}}, 1000, {});
  check({{1, 5, 150}, {2, 5, 300}, {3, 5, 199}}, 1000, {{1, 3}});
}

}  // namespace
}  // namespace trove
