// Tiering: archival into the cold tier and retention (Store::RunMaintenance), driven step by
// step with an injected clock. Every expectation (which segment is hot, cold or gone, what a
// pass counts, which events remain) is computed from the events the test appended and the files
// really on disk, never from the store's own bookkeeping. Queries must answer the same from
// cold segments as from hot ones; damaged cold objects and cache entries are reported or
// repaired. Faults and crashes during a pass: tiering_fault_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <condition_variable>
#include <mutex>

#include "query/engine.h"
#include "query/parser.h"
#include "storage/cold_tier.h"
#include "storage/store.h"
#include "tests/store_test_util.h"
#include "tests/tiering_test_util.h"

namespace trove {
namespace {

using testing::DiffFilesOnDisk;
using testing::EventsById;
using testing::FileSizeOf;
using testing::kDay;
using testing::kEpoch2026;
using testing::kHr;
using testing::kMin;
using testing::SegmentIdsByTier;
using testing::SegmentModel;
using testing::TieredDirs;
using testing::TieringEventGen;

enum class Where { kHot, kCold, kGone };

std::string CountsText(const MaintenanceCounts& c) {
  return "archived " + std::to_string(c.archived_segments) + " segments / " +
         std::to_string(c.archived_rows) + " rows / " + std::to_string(c.archived_hot_bytes) +
         " hot bytes / " + std::to_string(c.archived_cold_bytes) + " cold bytes; dropped " +
         std::to_string(c.dropped_partitions) + " partitions (" +
         std::to_string(c.dropped_by_retention) + " retention, " +
         std::to_string(c.dropped_by_disk) + " disk) / " + std::to_string(c.dropped_segments) +
         " segments / " + std::to_string(c.dropped_rows) + " rows / " +
         std::to_string(c.dropped_bytes) + " bytes";
}

bool SameCounts(const MaintenanceCounts& a, const MaintenanceCounts& b) {
  return CountsText(a) == CountsText(b);
}

// Lines of a pass's stderr that announce a partition drop.
std::vector<std::string> DropLines(const std::string& log) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < log.size()) {
    size_t end = log.find('\n', at);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(at, end - at);
    if (line.find("dropping partition") != std::string::npos) lines.push_back(line);
    at = end + 1;
  }
  return lines;
}

// Runs one pass with stderr captured; *log receives what it printed.
Result<MaintenanceCounts> RunPass(Store& store, std::string* log) {
  ::testing::internal::CaptureStderr();
  auto counts = store.RunMaintenance();
  *log = ::testing::internal::GetCapturedStderr();
  return counts;
}

class TieringTest : public ::testing::Test {
 protected:
  StoreOptions Options(const TieredDirs& dirs) {
    StoreOptions o;
    o.background = false;
    o.clock = [this] { return now_; };
    o.partition_ns = kDay;
    o.segment.block_rows = 16;
    o.segment.term_block_bytes = 512;
    o.cold_tier = NewDirectoryColdTier(FileSystem::Default(), dirs.cold());
    return o;
  }

  // The state of the store against the model: segments by tier in the snapshot and on disk,
  // each segment's full contents, every live event exactly once, cold segments rewritten with
  // the cold options, and the stats.
  void CheckState(const Store& store, const TieredDirs& dirs, const SegmentModel& model,
                  const std::map<uint64_t, Where>& where, const MaintenanceCounts& totals,
                  uint64_t passes) {
    std::set<uint64_t> want_hot, want_cold;
    std::map<int64_t, const Event*> want_events;
    uint64_t hot_rows = 0, cold_rows = 0, hot_bytes = 0, cold_bytes = 0, tail_bytes = 0;
    for (const auto& [id, w] : where) {
      if (w == Where::kGone) continue;
      (w == Where::kHot ? want_hot : want_cold).insert(id);
      (w == Where::kHot ? hot_rows : cold_rows) += model.at(id).ids.size();
      if (w == Where::kHot) {
        hot_bytes += FileSizeOf(dirs.HotPath(id));
      } else {
        cold_bytes += FileSizeOf(dirs.ColdPath(id));
        tail_bytes += FileSizeOf(dirs.TailPath(id));
      }
      for (int64_t e : model.at(id).ids) want_events[e] = &model.events().at(e);
    }
    auto snap = store.GetSnapshot();
    std::set<uint64_t> hot, cold;
    SegmentIdsByTier(*snap, &hot, &cold);
    EXPECT_EQ(hot, want_hot) << "hot segments";
    EXPECT_EQ(cold, want_cold) << "cold segments";
    EXPECT_EQ(DiffFilesOnDisk(dirs, want_hot, want_cold), "");
    for (const auto& seg : snap->segments()) {
      if (!model.segments().count(seg->id())) continue;  // reported above
      auto events = seg->ReadAllEvents();
      ASSERT_TRUE(events.ok()) << events.status().ToString();
      EXPECT_TRUE(*events == model.EventsOf(seg->id()))
          << SegmentFileName(seg->id()) << " (" << TierName(seg->tier())
          << ") does not hold the events it was flushed with";
      const uint32_t block_rows = seg->tier() == Tier::kCold ? 65536 : 16;
      const size_t blocks = (seg->rows() + block_rows - 1) / block_rows;
      for (const ColumnMeta& c : seg->meta().columns) {
        EXPECT_EQ(c.blocks.size(), blocks)
            << SegmentFileName(seg->id()) << " column " << c.name << ": not written with the "
            << TierName(seg->tier()) << " block size";
      }
    }
    std::map<int64_t, Event> got = EventsById(*snap);
    EXPECT_EQ(got.size(), want_events.size());
    for (const auto& [id, e] : want_events) {
      auto found = got.find(id);
      if (found == got.end()) {
        ADD_FAILURE() << "event " << id << " is missing";
        continue;
      }
      EXPECT_TRUE(found->second == *e) << "event " << id << " changed";
    }
    for (const auto& [id, e] : got)
      EXPECT_TRUE(want_events.count(id)) << "event " << id << " should be gone";

    StoreStats st = store.GetStats();
    EXPECT_EQ(st.hot.segments, want_hot.size());
    EXPECT_EQ(st.cold.segments, want_cold.size());
    EXPECT_EQ(st.segments, want_hot.size() + want_cold.size());
    EXPECT_EQ(st.hot.rows, hot_rows);
    EXPECT_EQ(st.cold.rows, cold_rows);
    EXPECT_EQ(st.hot.bytes, hot_bytes);
    EXPECT_EQ(st.cold.bytes, cold_bytes);
    EXPECT_EQ(st.segment_bytes, hot_bytes + cold_bytes);
    EXPECT_EQ(st.cold_cache_bytes, tail_bytes);
    EXPECT_EQ(st.cold_tier, "dir:" + dirs.cold());
    EXPECT_TRUE(SameCounts(st.maintenance, totals))
        << "stats: " << CountsText(st.maintenance) << "\nwant:  " << CountsText(totals);
    EXPECT_EQ(st.maintenance_passes, passes);
    EXPECT_EQ(st.maintenance_error, "");
  }

  int64_t now_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The life of segments: hot, then cold once their newest event is older than archive_after,
// then gone with their whole partition once it ended longer than retention ago.

TEST_F(TieringTest, SegmentsMoveColdThenDropExactlyWhenTheirTimeComes) {
  const uint64_t seed = testing::TestSeed();
  TieringEventGen gen(seed);
  std::mt19937_64 rng(seed ^ 0x7157);
  TieredDirs dirs("lifecycle");
  const int64_t start = kEpoch2026;  // day partitions; 2026-01-01 is a day boundary
  const int64_t data_end = start + 8 * kDay;
  now_ = start + kDay;
  StoreOptions o = Options(dirs);
  o.archive_after_ns = kDay + 5 * kHr;
  o.retention_ns = 3 * kDay;
  auto store = Store::Open(o, dirs.store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  SegmentModel model(kDay);
  std::map<uint64_t, Where> where;
  int64_t next_id = 0;
  // Flushes n events with times in [from, to) and adds their segments as hot.
  auto ingest = [&](size_t n, int64_t from, int64_t to) {
    ASSERT_NO_FATAL_FAILURE(
        model.AppendAndFlush(**store, gen.Batch(next_id, n, from, to), now_, rng));
    next_id += static_cast<int64_t>(n);
    for (const auto& [id, s] : model.segments()) where.try_emplace(id, Where::kHot);
  };
  ASSERT_NO_FATAL_FAILURE(ingest(100, start, now_));
  MaintenanceCounts totals;
  uint64_t passes = 0;
  CheckState(**store, dirs, model, where, totals, passes);

  MaintenanceCounts run;  // over the whole test
  int steps_archiving = 0, steps_dropping = 0, steps_mixed = 0;
  std::set<uint64_t> ever_cold;
  std::map<int64_t, std::set<uint64_t>> segments_of_partition;
  // Events arrive for eight days, one flush a step (three or four segments a day, each with
  // its own newest event, so a partition goes cold segment by segment); then the clock runs on
  // until retention has dropped everything.
  const int64_t end = data_end + o.retention_ns + kDay;
  for (int step = 1; now_ < end; ++step) {
    const int64_t prev = now_;
    now_ += 7 * kHr + 13 * kMin;
    SCOPED_TRACE("step " + std::to_string(step) + ", now = day " +
                 std::to_string(static_cast<double>(now_ - start) / kDay));
    if (now_ <= data_end) {
      ASSERT_NO_FATAL_FAILURE(ingest(60, prev - 2 * kHr, now_));
    }
    if (step == 20) {
      // Late events: into a partition that is entirely cold (they make a new hot segment that
      // is archived on its own later), and into one retention already dropped (dropped again
      // by this pass).
      ASSERT_NO_FATAL_FAILURE(ingest(40, now_ - 2 * kDay - 12 * kHr, now_ - kDay - 12 * kHr));
      ASSERT_NO_FATAL_FAILURE(ingest(10, start, start + kDay));
    }
    for (const auto& [id, s] : model.segments()) segments_of_partition[s.partition].insert(id);
    // What this pass must do, from the model and the file sizes on disk.
    MaintenanceCounts want;
    std::map<int64_t, std::pair<uint64_t, uint64_t>> dropped;  // partition → (segments, rows)
    std::map<uint64_t, Where> next = where;
    for (const auto& [id, seg] : model.segments()) {
      if (where[id] == Where::kGone) continue;
      const uint64_t size =
          FileSizeOf(where[id] == Where::kHot ? dirs.HotPath(id) : dirs.ColdPath(id));
      if ((seg.partition + 1) * kDay <= now_ - o.retention_ns) {
        next[id] = Where::kGone;
        ++want.dropped_segments;
        want.dropped_rows += seg.ids.size();
        want.dropped_bytes += size;
        ++dropped[seg.partition].first;
        dropped[seg.partition].second += seg.ids.size();
      } else if (where[id] == Where::kHot && seg.max_time < now_ - o.archive_after_ns) {
        next[id] = Where::kCold;
        ++want.archived_segments;
        want.archived_rows += seg.ids.size();
        want.archived_hot_bytes += size;
      }
    }
    want.dropped_partitions = want.dropped_by_retention = dropped.size();

    std::string log;
    auto counts = RunPass(**store, &log);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    for (const auto& [id, w] : next) {
      if (w == Where::kCold && where[id] == Where::kHot) {
        want.archived_cold_bytes += FileSizeOf(dirs.ColdPath(id));
      }
    }
    EXPECT_TRUE(SameCounts(*counts, want))
        << "pass: " << CountsText(*counts) << "\nwant: " << CountsText(want);
    // Each drop is announced on stderr with its partition and reason.
    std::vector<std::string> lines = DropLines(log);
    EXPECT_EQ(lines.size(), dropped.size()) << log;
    for (const auto& [p, sr] : dropped) {
      const std::string head = "dropping partition " + std::to_string(p) + " (" +
                               std::to_string(sr.first) + " segments, " +
                               std::to_string(sr.second) + " events";
      EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                              [&](const std::string& l) {
                                return l.find(head) != std::string::npos &&
                                       l.find("older than retention") != std::string::npos;
                              }))
          << "no '" << head << "…: older than retention' in:\n"
          << log;
    }
    for (const auto& [id, w] : next) {
      if (w == Where::kCold) ever_cold.insert(id);
    }
    where = next;
    totals.Add(want);
    run.Add(want);
    ++passes;
    steps_archiving += want.archived_segments > 0;
    steps_dropping += want.dropped_partitions > 0;
    ASSERT_NO_FATAL_FAILURE(CheckState(**store, dirs, model, where, totals, passes));
    std::map<int64_t, std::set<Where>> tiers;  // partitions with both hot and cold segments
    for (const auto& [id, w] : where) tiers[model.at(id).partition].insert(w);
    for (const auto& [p, ws] : tiers)
      steps_mixed += ws.count(Where::kHot) && ws.count(Where::kCold);

    if (step == 12) {
      // Reopen: the catalog's tiers come back; the totals start again.
      store->reset();
      store = Store::Open(o, dirs.store());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      totals = MaintenanceCounts();
      passes = 0;
      ASSERT_NO_FATAL_FAILURE(CheckState(**store, dirs, model, where, totals, passes));
    }
  }
  // Everything aged out in the end, and the walk saw every kind of pass.
  for (const auto& [id, w] : where) EXPECT_EQ(w, Where::kGone) << SegmentFileName(id);
  size_t most = 0;
  for (const auto& [p, ids] : segments_of_partition) most = std::max(most, ids.size());
  EXPECT_GE(most, 3u) << "no partition had several segments";
  EXPECT_EQ(run.dropped_segments, where.size());
  EXPECT_EQ(run.archived_segments, ever_cold.size());
  EXPECT_GT(steps_archiving, 3);
  EXPECT_GT(steps_dropping, 3);
  EXPECT_GT(steps_mixed, 0);
  EXPECT_LT(run.archived_cold_bytes, run.archived_hot_bytes) << "cold rewrite did not shrink";
  std::cout << "[ tiering  ] " << CountsText(run) << std::endl;
}

// The cutoffs to the nanosecond: a segment is archived once its newest event is strictly older
// than now - archive_after; a partition is dropped once its end is at or before now - retention.
TEST_F(TieringTest, ArchivalAndRetentionCutoffsAreExact) {
  TieredDirs dirs("cutoffs");
  const int64_t t = kEpoch2026 + 10 * kHr;  // a partition boundary
  now_ = t + 3 * kHr;
  StoreOptions o = Options(dirs);
  o.partition_ns = kHr;
  o.archive_after_ns = 2 * kHr;  // cutoff t + 1h
  o.retention_ns = 4 * kHr;      // cutoff t - 1h
  auto store = Store::Open(o, dirs.store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  TieringEventGen gen(3);
  std::mt19937_64 rng(3);
  SegmentModel model(kHr);
  // One segment per flush, by its newest event: 1ns before the archive cutoff, 1m after it, and
  // one in the partition [t - 1h, t), which retention drops once now - 4h reaches t.
  auto flush = [&](int64_t id, int64_t newest) {
    std::vector<Event> events = gen.Batch(id * 10, 3, newest - kMin, newest);
    events.push_back(gen.Next(id * 10 + 3, newest));
    ASSERT_NO_FATAL_FAILURE(model.AppendAndFlush(**store, events, now_, rng));
  };
  ASSERT_NO_FATAL_FAILURE(flush(0, t + kHr - 1));
  ASSERT_NO_FATAL_FAILURE(flush(1, t + kHr + 1 * kMin));
  ASSERT_NO_FATAL_FAILURE(flush(2, t - 2 * kMin));  // partition [t - 1h, t)
  ASSERT_EQ(model.segments().size(), 3u);
  auto tier_of = [&](int64_t first_event) -> std::string {
    auto snap = (*store)->GetSnapshot();
    for (const auto& seg : snap->segments()) {
      if (model.at(seg->id()).ids.front() == first_event) return TierName(seg->tier());
    }
    return "gone";
  };
  auto pass = [&](int64_t now, uint64_t archived, uint64_t dropped) {
    now_ = now;
    auto counts = (*store)->RunMaintenance();
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_EQ(counts->archived_segments, archived) << "at now = t + " << (now - t) << "ns";
    EXPECT_EQ(counts->dropped_partitions, dropped) << "at now = t + " << (now - t) << "ns";
  };
  // now = t + 3h: archive cutoff t + 1h, retention cutoff t - 1h.
  ASSERT_NO_FATAL_FAILURE(pass(t + 3 * kHr, 2, 0));  // newest t + 1h - 1ns and t - 2m: cold
  EXPECT_EQ(tier_of(0), "cold");
  EXPECT_EQ(tier_of(10), "hot");
  EXPECT_EQ(tier_of(20), "cold");
  ASSERT_NO_FATAL_FAILURE(pass(t + 3 * kHr + kMin, 0, 0));  // newest t + 1h + 1m: not older
  EXPECT_EQ(tier_of(10), "hot");
  ASSERT_NO_FATAL_FAILURE(pass(t + 3 * kHr + kMin + 1, 1, 0));
  EXPECT_EQ(tier_of(10), "cold");
  // Partition [t - 1h, t) ends at t: kept while t > now - retention, dropped at t == now - r.
  ASSERT_NO_FATAL_FAILURE(pass(t + o.retention_ns - 1, 0, 0));
  EXPECT_EQ(tier_of(20), "cold");
  ASSERT_NO_FATAL_FAILURE(pass(t + o.retention_ns, 0, 1));
  EXPECT_EQ(tier_of(20), "gone");
  EXPECT_EQ(tier_of(0), "cold");
}

TEST_F(TieringTest, RetentionWorksWithoutAColdTier) {
  TieredDirs dirs("retention-only");
  const int64_t start = kEpoch2026;
  now_ = start + 4 * kDay;
  StoreOptions o = Options(dirs);
  o.cold_tier = nullptr;
  o.retention_ns = 2 * kDay;
  auto store = Store::Open(o, dirs.store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  TieringEventGen gen(7);
  std::mt19937_64 rng(7);
  SegmentModel model(kDay);
  ASSERT_NO_FATAL_FAILURE(model.AppendAndFlush(**store, gen.Batch(0, 200, start, now_), now_, rng));
  std::string log;
  auto counts = RunPass(**store, &log);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  // Days 0 and 1 ended at or before now - 2 days (day 2 ends exactly at now - 1 day).
  EXPECT_EQ(counts->dropped_partitions, 2u);
  EXPECT_EQ(counts->dropped_by_retention, 2u);
  EXPECT_EQ(counts->archived_segments, 0u);
  std::set<int64_t> want;
  for (const auto& [id, e] : model.events()) {
    if (e.time_ns >= start + 2 * kDay) want.insert(id);
  }
  std::set<int64_t> got;
  for (const auto& [id, e] : EventsById(*(*store)->GetSnapshot())) got.insert(id);
  EXPECT_EQ(got, want);
  EXPECT_EQ(DropLines(log).size(), 2u) << log;
}

// A cold tier whose Put waits until released, to catch the store in the middle of archiving.
class GatedColdTier : public ColdTier {
 public:
  explicit GatedColdTier(std::shared_ptr<ColdTier> inner) : inner_(std::move(inner)) {}
  std::string Describe() const override { return inner_->Describe(); }
  Status Put(const std::string& local_path, const std::string& name) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++puts_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
    }
    return inner_->Put(local_path, name);
  }
  Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& name) override {
    return inner_->Open(name);
  }
  Status Remove(const std::string& name) override { return inner_->Remove(name); }
  Result<std::vector<std::string>> List() override { return inner_->List(); }

  void WaitForPut() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return puts_ > 0; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int puts() {
    std::lock_guard<std::mutex> lock(mu_);
    return puts_;
  }

 private:
  std::shared_ptr<ColdTier> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int puts_ = 0;
  bool open_ = false;
};

// Shutting down during a background archival pass finishes the segment being archived and
// leaves the rest hot, instead of archiving every old segment first (a pass over a large store
// takes minutes at zstd level 19).
TEST_F(TieringTest, ShutdownStopsArchivalBetweenSegments) {
  TieredDirs dirs("archive-shutdown");
  const int64_t start = kEpoch2026;
  now_ = start + 10 * kDay;
  TieringEventGen gen(11);
  std::mt19937_64 rng(11);
  SegmentModel model(kDay);
  {
    auto store = Store::Open(Options(dirs), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    // Four days: at least four segments (one partition each), all older than archive_after.
    ASSERT_NO_FATAL_FAILURE(
        model.AppendAndFlush(**store, gen.Batch(0, 400, start, start + 4 * kDay), now_, rng));
  }
  const size_t segments = model.segments().size();
  ASSERT_GE(segments, 4u);
  StoreOptions o = Options(dirs);
  auto gated = std::make_shared<GatedColdTier>(o.cold_tier);
  o.cold_tier = gated;
  o.background = true;
  o.background_interval_ns = 1'000'000;
  o.maintenance_interval_ns = 1'000'000;
  o.archive_after_ns = kDay;
  auto store = Store::Open(o, dirs.store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  gated->WaitForPut();  // the background pass is archiving its first segment
  std::thread closer([&] { store->reset(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // ~Store has asked to stop
  gated->Open();
  closer.join();
  EXPECT_EQ(gated->puts(), 1) << "archived more segments after shutdown began";

  o = Options(dirs);  // no background, no archival
  auto reopened = Store::Open(o, dirs.store());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto snap = (*reopened)->GetSnapshot();
  std::set<uint64_t> hot, cold;
  SegmentIdsByTier(*snap, &hot, &cold);
  EXPECT_EQ(cold.size(), 1u);
  EXPECT_EQ(hot.size(), segments - 1);
  std::map<int64_t, Event> got = EventsById(*snap);
  EXPECT_EQ(got.size(), model.events().size()) << "every event is still there, in some tier";
}

// ---------------------------------------------------------------------------------------------
// The disk budget: oldest partitions first, both tiers counted, the newest partition kept.

TEST_F(TieringTest, DiskBudgetDropsOldestPartitionsFirstAndKeepsTheNewest) {
  const uint64_t seed = testing::TestSeed();
  TieringEventGen gen(seed);
  std::mt19937_64 rng(seed);
  TieredDirs tmpl("budget-template");
  const int64_t start = kEpoch2026;
  constexpr int kParts = 6;  // hourly partitions
  now_ = start + kParts * kHr + kMin;
  StoreOptions o = Options(tmpl);
  o.partition_ns = kHr;
  o.archive_after_ns = 3 * kHr + kMin;  // the three oldest partitions go cold first
  SegmentModel model(kHr);
  {
    auto store = Store::Open(o, tmpl.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int flush = 0; flush < 2; ++flush) {
      ASSERT_NO_FATAL_FAILURE(model.AppendAndFlush(
          **store, gen.Batch(flush * 300, 300, start, start + kParts * kHr), now_, rng));
    }
    auto counts = (*store)->RunMaintenance();
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    ASSERT_EQ(counts->archived_segments, 6u);
  }
  // Partition sizes on disk, both tiers.
  std::map<int64_t, uint64_t> part_bytes;
  std::map<int64_t, std::set<uint64_t>> part_segments;
  uint64_t total = 0;
  for (const auto& [id, seg] : model.segments()) {
    const uint64_t size = std::max(FileSizeOf(tmpl.HotPath(id)), FileSizeOf(tmpl.ColdPath(id)));
    ASSERT_GT(size, 0u);
    part_bytes[seg.partition] += size;
    part_segments[seg.partition].insert(id);
    total += size;
  }
  ASSERT_EQ(part_bytes.size(), static_cast<size_t>(kParts));
  std::vector<int64_t> parts;
  for (const auto& [p, b] : part_bytes) parts.push_back(p);
  auto bytes_of = [&](int i) { return part_bytes[parts[static_cast<size_t>(i)]]; };

  // budget and retention (0: off) → the partitions (by age index) dropped for retention and for
  // the budget.
  auto check = [&](std::string_view what, uint64_t budget, int64_t retention,
                   std::set<int> want_retention, std::set<int> want_disk) {
    SCOPED_TRACE(std::string(what));
    TieredDirs dirs("budget");
    dirs.CopyFrom(tmpl);
    StoreOptions co = Options(dirs);
    co.partition_ns = kHr;
    co.archive_after_ns = o.archive_after_ns;
    co.max_disk_bytes = budget;
    co.retention_ns = retention;
    auto store = Store::Open(co, dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::string log;
    auto counts = RunPass(**store, &log);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    MaintenanceCounts want;
    std::set<int64_t> kept_partitions(parts.begin(), parts.end());
    for (int i = 0; i < kParts; ++i) {
      const bool by_retention = want_retention.count(i), by_disk = want_disk.count(i);
      if (!by_retention && !by_disk) continue;
      ++want.dropped_partitions;
      ++(by_retention ? want.dropped_by_retention : want.dropped_by_disk);
      want.dropped_bytes += bytes_of(i);
      for (uint64_t id : part_segments[parts[static_cast<size_t>(i)]]) {
        ++want.dropped_segments;
        want.dropped_rows += model.at(id).ids.size();
      }
      kept_partitions.erase(parts[static_cast<size_t>(i)]);
    }
    EXPECT_TRUE(SameCounts(*counts, want))
        << "pass: " << CountsText(*counts) << "\nwant: " << CountsText(want);
    std::vector<std::string> lines = DropLines(log);
    EXPECT_EQ(lines.size(), want.dropped_partitions) << log;
    EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                            [](const std::string& l) {
                              return l.find("over the disk budget") != std::string::npos;
                            }),
              static_cast<std::ptrdiff_t>(want.dropped_by_disk))
        << log;
    // Exactly the events of the kept partitions remain, in the same segments and tiers.
    std::set<int64_t> want_events, got_events;
    std::set<uint64_t> want_hot, want_cold;
    for (const auto& [id, seg] : model.segments()) {
      if (!kept_partitions.count(seg.partition)) continue;
      want_events.insert(seg.ids.begin(), seg.ids.end());
      (std::filesystem::exists(tmpl.ColdPath(id)) ? want_cold : want_hot).insert(id);
    }
    auto snap = (*store)->GetSnapshot();
    for (const auto& [id, e] : EventsById(*snap)) got_events.insert(id);
    EXPECT_EQ(got_events, want_events);
    std::set<uint64_t> hot, cold;
    SegmentIdsByTier(*snap, &hot, &cold);
    EXPECT_EQ(hot, want_hot);
    EXPECT_EQ(cold, want_cold);
    EXPECT_EQ(DiffFilesOnDisk(dirs, want_hot, want_cold), "");
    // A second pass finds nothing more to do (the newest partition stays even over budget).
    auto again = (*store)->RunMaintenance();
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_TRUE(SameCounts(*again, MaintenanceCounts())) << CountsText(*again);
    EXPECT_EQ((*store)->GetStats().maintenance.dropped_by_disk, want.dropped_by_disk);
  };
  const uint64_t b0 = bytes_of(0), b1 = bytes_of(1);
  check("budget = total: nothing to drop", total, 0, {}, {});
  check("one byte over: the oldest partition", total - 1, 0, {}, {0});
  check("exactly the oldest over", total - b0, 0, {}, {0});
  check("one byte more than the oldest over", total - b0 - 1, 0, {}, {0, 1});
  check("budget of one byte: all but the newest", 1, 0, {}, {0, 1, 2, 3, 4});
  // now = start + 6h + 1m; retention 5h drops partitions ending at or before start + 1h + 1m.
  check("retention first, then the budget", total - b0 - b1, 5 * kHr, {0}, {1});
  check("retention already meets the budget", total - b0, 5 * kHr, {0}, {});
  // A partition that ended exactly at now - retention is dropped; one nanosecond later, not.
  check("partition 1 ends exactly at the cutoff", total, 4 * kHr + kMin, {0, 1}, {});
  check("partition 1 ends 1ns after the cutoff", total, 4 * kHr + kMin + 1, {0}, {});
}

// ---------------------------------------------------------------------------------------------
// Options.

TEST_F(TieringTest, InvalidTieringOptionsAreRejected) {
  TieredDirs dirs("options");
  auto check = [&](std::string_view what, std::function<void(StoreOptions*)> edit,
                   std::string_view want_in_message) {
    StoreOptions o = Options(dirs);
    edit(&o);
    auto store = Store::Open(o, dirs.store());
    ASSERT_FALSE(store.ok()) << what;
    EXPECT_TRUE(store.status().IsInvalidArgument()) << what << ": " << store.status().ToString();
    EXPECT_NE(store.status().message().find(want_in_message), std::string::npos)
        << what << ": " << store.status().ToString();
  };
  check(
      "archive_after without a cold tier",
      [](StoreOptions* o) {
        o->cold_tier = nullptr;
        o->archive_after_ns = kDay;
      },
      "cold tier");
  check(
      "negative archive_after", [](StoreOptions* o) { o->archive_after_ns = -1; }, "negative");
  check(
      "negative retention", [](StoreOptions* o) { o->retention_ns = -kDay; }, "negative");
  check(
      "zero maintenance interval",
      [](StoreOptions* o) {
        o->retention_ns = kDay;
        o->maintenance_interval_ns = 0;
      },
      "maintenance_interval");
  // Without archival, a store needs no cold tier.
  StoreOptions o = Options(dirs);
  o.cold_tier = nullptr;
  o.retention_ns = kDay;
  o.max_disk_bytes = 1 << 20;
  EXPECT_TRUE(Store::Open(o, dirs.store()).ok());
}

}  // namespace
}  // namespace trove
