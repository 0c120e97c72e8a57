// Faults and crashes during a retention + archival pass, at every file operation it makes.
// A template store holds four day partitions in both tiers; one pass drops the oldest partition
// (one hot and one cold segment) and archives three segments. For k = 1, 2, … past the number
// of operations a clean pass makes, the k-th operation fails (tests/fault_fs.h), and then:
//   - one failed mutation: the same store, healthy again, must finish the job; reopened, no
//     leftover file may remain;
//   - every operation from the k-th on fails (the disk is gone): reopened on a healthy
//     filesystem, every segment is in exactly one tier with its exact events, the partition is
//     either wholly there or wholly gone, nothing else is on disk, and the next pass finishes
//     the job;
//   - one failed read: the pass's counts (and the store's totals) say what really happened.
// And a crash between any two file operations of a clean pass: the directories are copied
// before and after every mutation (RocksDB's state at that moment included), and each copy must
// open into a consistent store that the next pass finishes, as above.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "storage/cold_tier.h"
#include "storage/store.h"
#include "tests/fault_fs.h"
#include "tests/store_test_util.h"
#include "tests/tiering_test_util.h"

namespace trove {
namespace {

using testing::DiffFilesOnDisk;
using testing::EventsById;
using testing::FaultInjectingFileSystem;
using testing::FileSizeOf;
using testing::kDay;
using testing::kEpoch2026;
using testing::kHr;
using testing::SegmentIdsByTier;
using testing::SegmentModel;
using testing::TieredDirs;
using testing::TieringEventGen;

constexpr int64_t kStart = kEpoch2026;
constexpr int64_t kPassNow = kStart + 4 * kDay + kHr;  // the clock of the pass under test

enum class Where { kHot, kCold, kGone };

class TieringFaultTest : public ::testing::Test {
 protected:
  StoreOptions Options(const TieredDirs& dirs, FileSystem* fs) {
    StoreOptions o;
    o.fs = fs;
    o.background = false;
    o.clock = [this] { return now_; };
    o.partition_ns = kDay;
    o.segment.block_rows = 16;
    o.segment.term_block_bytes = 512;
    o.cold_tier = NewDirectoryColdTier(fs, dirs.cold());
    o.archive_after_ns = kDay;
    o.retention_ns = 3 * kDay;
    return o;
  }

  // Day 0: one cold and one hot segment (dropped by the pass: ended at or before now - 3d).
  // Day 1: one cold, one hot (archived by the pass). Day 2: two hot (both archived). Day 3: two
  // hot whose events are newer than now - 1d (stay hot).
  void SetUp() override {
    seed_ = testing::TestSeed();
    TieringEventGen gen(seed_);
    std::mt19937_64 rng(seed_);
    now_ = kStart + 2 * kDay + 12 * kHr;
    auto store = Store::Open(Options(tmpl_, FileSystem::Default()), tmpl_.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto chunk = [&](int64_t first_id, std::vector<std::pair<int64_t, int64_t>> ranges) {
      std::vector<Event> out;
      for (const auto& [from, to] : ranges) {
        std::vector<Event> part = gen.Batch(first_id, 40, kStart + from, kStart + to);
        first_id += 40;
        out.insert(out.end(), part.begin(), part.end());
      }
      return out;
    };
    ASSERT_NO_FATAL_FAILURE(
        model_.AppendAndFlush(**store,
                              chunk(0, {{0, 12 * kHr},
                                        {kDay, kDay + 12 * kHr},
                                        {2 * kDay, 3 * kDay},
                                        {3 * kDay + 2 * kHr, 3 * kDay + 20 * kHr}}),
                              now_, rng));
    auto first = (*store)->RunMaintenance();  // archives the day 0 and day 1 segments
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_EQ(first->archived_segments, 2u);
    ASSERT_NO_FATAL_FAILURE(
        model_.AppendAndFlush(**store,
                              chunk(1000, {{12 * kHr, 20 * kHr},
                                           {kDay + 13 * kHr, kDay + 20 * kHr},
                                           {2 * kDay, 3 * kDay},
                                           {3 * kDay + 2 * kHr, 3 * kDay + 20 * kHr}}),
                              now_, rng));
    store->reset();

    now_ = kPassNow;
    const int64_t retention_cutoff = kPassNow - 3 * kDay, archive_cutoff = kPassNow - kDay;
    for (const auto& [id, seg] : model_.segments()) {
      before_[id] = std::filesystem::exists(tmpl_.ColdPath(id)) ? Where::kCold : Where::kHot;
      sizes_[id] = FileSizeOf(before_[id] == Where::kCold ? tmpl_.ColdPath(id) : tmpl_.HotPath(id));
      if ((seg.partition + 1) * kDay <= retention_cutoff) {
        after_[id] = Where::kGone;
        dropped_partition_ = seg.partition;
      } else if (seg.max_time < archive_cutoff) {
        after_[id] = Where::kCold;
      } else {
        after_[id] = Where::kHot;
      }
    }
    std::map<std::pair<Where, Where>, int> moves;
    for (const auto& [id, w] : before_) ++moves[{w, after_[id]}];
    ASSERT_EQ(model_.segments().size(), 8u);
    ASSERT_EQ((moves[{Where::kCold, Where::kGone}]), 1);
    ASSERT_EQ((moves[{Where::kHot, Where::kGone}]), 1);
    ASSERT_EQ((moves[{Where::kHot, Where::kCold}]), 3);
    ASSERT_EQ((moves[{Where::kCold, Where::kCold}]), 1);
    ASSERT_EQ((moves[{Where::kHot, Where::kHot}]), 2);
  }

  // What a pass that moves every segment from `from` to `to` must count; cold sizes are read
  // from dirs after the move.
  MaintenanceCounts CountsOfMove(const std::map<uint64_t, Where>& from,
                                 const std::map<uint64_t, Where>& to, const TieredDirs& dirs) {
    MaintenanceCounts c;
    std::set<int64_t> partitions;
    for (const auto& [id, w] : from) {
      const Where next = to.at(id);
      const uint64_t rows = model_.at(id).ids.size();
      if (w != Where::kGone && next == Where::kGone) {
        partitions.insert(model_.at(id).partition);
        ++c.dropped_segments;
        c.dropped_rows += rows;
        c.dropped_bytes += sizes_.at(id);
      } else if (w == Where::kHot && next == Where::kCold) {
        ++c.archived_segments;
        c.archived_rows += rows;
        c.archived_hot_bytes += sizes_.at(id);
        c.archived_cold_bytes += FileSizeOf(dirs.ColdPath(id));
      }
    }
    c.dropped_partitions = c.dropped_by_retention = partitions.size();
    return c;
  }

  // Where every template segment is according to a snapshot, after checking that it holds
  // exactly its own events, that no event is present twice and no unknown segment exists.
  std::map<uint64_t, Where> Observe(const Store& store) {
    auto snap = store.GetSnapshot();
    std::set<uint64_t> hot, cold;
    SegmentIdsByTier(*snap, &hot, &cold);
    std::map<uint64_t, Where> where;
    for (const auto& [id, w] : before_) {
      where[id] = hot.count(id) ? Where::kHot : cold.count(id) ? Where::kCold : Where::kGone;
    }
    std::set<int64_t> want_events;
    for (const auto& seg : snap->segments()) {
      if (!before_.count(seg->id())) {
        ADD_FAILURE() << "unknown segment " << SegmentFileName(seg->id());
        continue;
      }
      auto events = seg->ReadAllEvents();
      EXPECT_TRUE(events.ok()) << events.status().ToString();
      EXPECT_TRUE(events.ok() && *events == model_.EventsOf(seg->id()))
          << SegmentFileName(seg->id()) << " (" << TierName(seg->tier())
          << ") does not hold its own events";
      const auto& ids = model_.at(seg->id()).ids;
      want_events.insert(ids.begin(), ids.end());
    }
    std::set<int64_t> got_events;
    for (const auto& [id, e] : EventsById(*snap)) got_events.insert(id);
    EXPECT_EQ(got_events, want_events);
    return where;
  }

  // A state the pass may leave behind when interrupted: every segment where it was or where
  // the pass takes it, and the dropped partition wholly there or wholly gone.
  void ExpectPossible(const std::map<uint64_t, Where>& where) {
    int gone = 0, dropped = 0;
    for (const auto& [id, w] : where) {
      EXPECT_TRUE(w == before_.at(id) || w == after_.at(id))
          << SegmentFileName(id) << " ended up where neither the start nor the end state has it";
      if (model_.at(id).partition == dropped_partition_) {
        ++dropped;
        gone += w == Where::kGone;
      }
    }
    EXPECT_TRUE(gone == 0 || gone == dropped) << "a partition was dropped in part";
  }

  void ExpectOnDisk(const TieredDirs& dirs, const std::map<uint64_t, Where>& where) {
    std::set<uint64_t> hot, cold;
    for (const auto& [id, w] : where) {
      if (w != Where::kGone) (w == Where::kHot ? hot : cold).insert(id);
    }
    EXPECT_EQ(DiffFilesOnDisk(dirs, hot, cold), "");
  }

  // A clean pass over a copy of the template: how many mutations and reads it makes.
  void CountOperations(uint64_t* mutations, uint64_t* reads) {
    TieredDirs dirs("fault-count");
    dirs.CopyFrom(tmpl_);
    FaultInjectingFileSystem fs;
    auto store = Store::Open(Options(dirs, &fs), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    fs.Reset();
    auto pass = (*store)->RunMaintenance();
    ASSERT_TRUE(pass.ok()) << pass.status().ToString();
    *mutations = fs.mutations();
    *reads = fs.reads();
    EXPECT_TRUE(Observe(**store) == after_);
    std::cout << "[ faults   ] a pass makes " << *mutations << " mutations and " << *reads
              << " reads" << std::endl;
  }

  uint64_t seed_ = 0;
  int64_t now_ = 0;
  TieredDirs tmpl_{"fault-template"};
  SegmentModel model_{kDay};
  std::map<uint64_t, Where> before_, after_;
  std::map<uint64_t, uint64_t> sizes_;  // template file sizes
  int64_t dropped_partition_ = 0;
};

TEST_F(TieringFaultTest, AFailedMutationAnywhereIsRetriedToCompletionWithoutLeftovers) {
  uint64_t total = 0, reads = 0;
  ASSERT_NO_FATAL_FAILURE(CountOperations(&total, &reads));
  ASSERT_GT(total, 30u);
  int failed_passes = 0;
  for (uint64_t k = 1; k <= total + 1; ++k) {
    SCOPED_TRACE("mutation " + std::to_string(k) + " of " + std::to_string(total) + " fails");
    TieredDirs dirs("fault-one");
    dirs.CopyFrom(tmpl_);
    FaultInjectingFileSystem fs;
    {
      auto store = Store::Open(Options(dirs, &fs), dirs.store());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      fs.FailMutation(k);
      auto pass = (*store)->RunMaintenance();
      ASSERT_EQ(fs.injected(), k <= total ? 1u : 0u);
      std::string failed_op;
      for (const std::string& op : fs.mutation_log()) {
        if (op.find("[FAILED]") != std::string::npos) failed_op = op;
      }
      SCOPED_TRACE("failed: " + failed_op);
      const std::map<uint64_t, Where> first = Observe(**store);
      ExpectPossible(first);
      if (pass.ok()) {
        // Success despite the fault is only right if the job is done (a failed unlink of a
        // dead file may be left for the next Open).
        EXPECT_TRUE(first == after_) << "the pass says OK but did not finish";
      } else {
        ++failed_passes;
        EXPECT_NE(pass.status().message().find("injected fault"), std::string::npos)
            << "the error is not the fault: " << pass.status().ToString();
        EXPECT_EQ((*store)->GetStats().maintenance_error, pass.status().ToString());
      }
      // Healthy again, the same store finishes the job; its totals count each move once.
      fs.Reset();
      auto again = (*store)->RunMaintenance();
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_TRUE(Observe(**store) == after_) << "a retry did not finish the job";
      StoreStats st = (*store)->GetStats();
      const MaintenanceCounts want = CountsOfMove(before_, after_, dirs);
      EXPECT_EQ(st.maintenance.archived_segments, want.archived_segments);
      EXPECT_EQ(st.maintenance.archived_rows, want.archived_rows);
      EXPECT_EQ(st.maintenance.dropped_partitions, want.dropped_partitions);
      EXPECT_EQ(st.maintenance.dropped_segments, want.dropped_segments);
      EXPECT_EQ(st.maintenance.dropped_rows, want.dropped_rows);
      EXPECT_EQ(st.maintenance_error, "");
    }
    // Reopened: nothing but the live files remain.
    auto store = Store::Open(Options(dirs, FileSystem::Default()), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE(Observe(**store) == after_);
    ExpectOnDisk(dirs, after_);
    if (HasFailure()) break;  // one detailed report is enough
  }
  std::cout << "[ faults   ] " << total << " single faults, " << failed_passes
            << " reported by the pass" << std::endl;
  EXPECT_GT(failed_passes, static_cast<int>(total / 2));
}

TEST_F(TieringFaultTest, EveryOperationFailingFromAnyPointOnLeavesEverySegmentInOneTier) {
  uint64_t total = 0, reads = 0;
  ASSERT_NO_FATAL_FAILURE(CountOperations(&total, &reads));
  int partial = 0;  // crashes that left the job half done
  for (uint64_t k = 1; k <= total + 1; ++k) {
    SCOPED_TRACE("every operation fails from mutation " + std::to_string(k) + " of " +
                 std::to_string(total) + " on");
    TieredDirs dirs("fault-crash");
    dirs.CopyFrom(tmpl_);
    {
      FaultInjectingFileSystem fs;
      auto store = Store::Open(Options(dirs, &fs), dirs.store());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      fs.CrashAtMutation(k);
      auto pass = (*store)->RunMaintenance();
      ASSERT_EQ(fs.crashed(), k <= total);
    }  // the "crashed" process is gone
    auto store = Store::Open(Options(dirs, FileSystem::Default()), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const std::map<uint64_t, Where> reopened = Observe(**store);
    ExpectPossible(reopened);
    ExpectOnDisk(dirs, reopened);  // leftovers of the interrupted pass are gone
    partial += reopened != before_ && reopened != after_;
    // The next pass does exactly the rest of the job.
    auto rest = (*store)->RunMaintenance();
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    const MaintenanceCounts want = CountsOfMove(reopened, after_, dirs);
    EXPECT_EQ(rest->archived_segments, want.archived_segments);
    EXPECT_EQ(rest->archived_rows, want.archived_rows);
    EXPECT_EQ(rest->archived_hot_bytes, want.archived_hot_bytes);
    EXPECT_EQ(rest->archived_cold_bytes, want.archived_cold_bytes);
    EXPECT_EQ(rest->dropped_partitions, want.dropped_partitions);
    EXPECT_EQ(rest->dropped_segments, want.dropped_segments);
    EXPECT_EQ(rest->dropped_bytes, want.dropped_bytes);
    EXPECT_TRUE(Observe(**store) == after_);
    ExpectOnDisk(dirs, after_);
    if (HasFailure()) break;
  }
  std::cout << "[ faults   ] " << total << " failure points, " << partial
            << " left the pass half done" << std::endl;
  EXPECT_GT(partial, 0);
}

// Names and sizes of the files in dir: equal signatures mean nothing was written in between.
std::string DirSignature(const std::string& dir) {
  std::string sig;
  for (const std::string& name : testing::FileNames(dir)) {
    sig += name + ":" + std::to_string(FileSizeOf(dir + "/" + name)) + " ";
  }
  return sig;
}

TEST_F(TieringFaultTest, ACrashBetweenAnyTwoFileOperationsLeavesEverySegmentInOneTier) {
  TieredDirs live("fault-live");
  live.CopyFrom(tmpl_);
  // What a crash would leave: the directories before the pass, and just before and just after
  // every mutation. "Before mutation n" differs from "after n - 1" (or from before the pass)
  // only when RocksDB committed in between.
  std::vector<std::unique_ptr<TieredDirs>> images;
  std::vector<std::string> moments;
  FaultInjectingFileSystem fs;
  {
    auto store = Store::Open(Options(live, &fs), live.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    images.push_back(std::make_unique<TieredDirs>("fault-image"));
    images.back()->CopyFrom(live);
    moments.push_back("before the pass");
    std::string db_after_last = DirSignature(live.store() + "/db");
    fs.set_mutation_hook([&](uint64_t n, testing::FsOp op, const std::string& path, bool after) {
      const std::string db = DirSignature(live.store() + "/db");
      if (!after && db == db_after_last) return;
      if (after) db_after_last = db;
      images.push_back(std::make_unique<TieredDirs>("fault-image"));
      images.back()->CopyFrom(live);
      moments.push_back(std::string(after ? "after" : "before") + " mutation " + std::to_string(n) +
                        ": " + testing::FsOpName(op) + " " + path);
    });
    fs.Reset();
    auto pass = (*store)->RunMaintenance();
    ASSERT_TRUE(pass.ok()) << pass.status().ToString();
    fs.set_mutation_hook(nullptr);
    ASSERT_GT(fs.mutations(), 30u);
  }
  int partial = 0, commits = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    SCOPED_TRACE("crash " + moments[i]);
    commits += moments[i].rfind("before mutation", 0) == 0;
    const TieredDirs& dirs = *images[i];
    auto store = Store::Open(Options(dirs, FileSystem::Default()), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const std::map<uint64_t, Where> reopened = Observe(**store);
    ExpectPossible(reopened);
    ExpectOnDisk(dirs, reopened);
    partial += reopened != before_ && reopened != after_;
    auto rest = (*store)->RunMaintenance();
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    const MaintenanceCounts want = CountsOfMove(reopened, after_, dirs);
    EXPECT_EQ(rest->archived_segments, want.archived_segments);
    EXPECT_EQ(rest->dropped_partitions, want.dropped_partitions);
    EXPECT_EQ(rest->dropped_segments, want.dropped_segments);
    EXPECT_TRUE(Observe(**store) == after_);
    ExpectOnDisk(dirs, after_);
    if (HasFailure()) break;
    store->reset();
    images[i].reset();  // free the disk early
  }
  std::cout << "[ faults   ] " << images.size() << " crash images (" << commits
            << " right after a catalog commit), " << partial << " half done" << std::endl;
  // One catalog commit for the drop and one per archived segment (RocksDB's own background
  // work may add a few more images).
  EXPECT_GE(commits, 4);
  EXPECT_GT(partial, 0);
}

TEST_F(TieringFaultTest, AFailedReadAnywhereIsReportedAndCountedTruthfully) {
  uint64_t mutations = 0, total = 0;
  ASSERT_NO_FATAL_FAILURE(CountOperations(&mutations, &total));
  ASSERT_GT(total, 10u);
  int failed_passes = 0;
  for (uint64_t k = 1; k <= total + 1; ++k) {
    // Odd reads fail outright, even ones come back short.
    const auto how = k % 2 ? FaultInjectingFileSystem::ReadFault::kIOError
                           : FaultInjectingFileSystem::ReadFault::kShort;
    SCOPED_TRACE("read " + std::to_string(k) + " of " + std::to_string(total) + " fails" +
                 (k % 2 ? "" : " short"));
    TieredDirs dirs("fault-read");
    dirs.CopyFrom(tmpl_);
    FaultInjectingFileSystem fs;
    {
      auto store = Store::Open(Options(dirs, &fs), dirs.store());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      fs.FailRead(k, false, how);
      auto pass = (*store)->RunMaintenance();
      ASSERT_EQ(fs.injected(), k <= total ? 1u : 0u);
      fs.Reset();  // reads below must not fail
      const std::map<uint64_t, Where> first = Observe(**store);
      ExpectPossible(first);
      failed_passes += !pass.ok();
      if (pass.ok()) {
        EXPECT_TRUE(first == after_) << "the pass says OK but did not finish";
      }
      // The totals say what the failed pass really did, not what it set out to do.
      StoreStats st = (*store)->GetStats();
      const MaintenanceCounts done = CountsOfMove(before_, first, dirs);
      EXPECT_EQ(st.maintenance.archived_segments, done.archived_segments);
      EXPECT_EQ(st.maintenance.dropped_partitions, done.dropped_partitions)
          << "partitions counted as dropped that are still there";
      EXPECT_EQ(st.maintenance.dropped_segments, done.dropped_segments);
      EXPECT_EQ(st.maintenance.dropped_rows, done.dropped_rows);
      EXPECT_EQ(st.maintenance.dropped_bytes, done.dropped_bytes);
      auto again = (*store)->RunMaintenance();
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_TRUE(Observe(**store) == after_);
    }
    auto store = Store::Open(Options(dirs, FileSystem::Default()), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_TRUE(Observe(**store) == after_);
    ExpectOnDisk(dirs, after_);
    if (HasFailure()) break;
  }
  std::cout << "[ faults   ] " << total << " read faults, " << failed_passes
            << " reported by the pass" << std::endl;
  EXPECT_GT(failed_passes, 0);
}

}  // namespace
}  // namespace trove
