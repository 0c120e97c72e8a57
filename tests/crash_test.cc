// Crash test: a child process appends acknowledged batches (with background flushes and merges
// running) and is killed with SIGKILL at random moments. After each kill the parent reopens the
// store and checks that every acknowledged event is present exactly once and that nothing is
// duplicated. Events acknowledged = batches whose Append() returned OK before the kill.
// A second run adds a cold tier, archival and retention passes every few milliseconds, so kills
// also land inside archival and partition drops: then every segment must be in exactly one
// tier, with no leftover file, and only events of partitions retention may have dropped may be
// missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <thread>

#include "storage/cold_tier.h"
#include "storage/store.h"
#include "tests/store_test_util.h"
#include "tests/tiering_test_util.h"

namespace trove {
namespace {

using testing::IdOf;

constexpr int64_t kMinute = int64_t{60} * 1'000'000'000;

StoreOptions CrashOptions() {
  StoreOptions o;
  o.flush_bytes = 48 << 10;  // flush and merge constantly so kills land inside them
  o.flush_age_ns = 20'000'000;
  o.background_interval_ns = 5'000'000;
  o.partition_ns = kMinute;
  o.merge.min_inputs = 2;
  o.segment.block_rows = 256;
  return o;
}

StoreOptions ArchivalCrashOptions(const std::string& cold_dir) {
  StoreOptions o = CrashOptions();
  o.cold_tier = NewDirectoryColdTier(FileSystem::Default(), cold_dir);
  // Events reach 5 minutes back: those older than a minute are archived, partitions that
  // ended 4 minutes ago are dropped, and a pass runs every 5 ms.
  o.archive_after_ns = kMinute;
  o.retention_ns = 4 * kMinute;
  o.maintenance_interval_ns = 5'000'000;
  return o;
}

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Event `id` of a batch made at `base`: up to 5 minutes older, spread over several partitions so
// flushes write several segments at once. The parent recomputes it from the id and base.
int64_t EventTime(int64_t base, int64_t id) {
  return base - static_cast<int64_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull >> 17) %
                                     static_cast<uint64_t>(5 * kMinute));
}

// Child: two appender threads; after each acknowledged batch, report "first id, count, base
// time" on the pipe (3 x 8 bytes, atomic for pipes). Never returns.
[[noreturn]] void RunChild(const StoreOptions& options, const std::string& dir, int64_t first_id,
                           int fd, uint64_t seed) {
  auto store = Store::Open(options, dir);
  if (!store.ok()) {
    fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(3);
  }
  std::atomic<int64_t> next_id{first_id};
  auto worker = [&](int t) {
    std::mt19937_64 rng(seed + t);
    while (true) {
      int n = 1 + static_cast<int>(rng() % 60);
      int64_t first = next_id.fetch_add(n);
      const int64_t base = SystemNow();
      std::vector<Event> batch;
      for (int i = 0; i < n; ++i) {
        Event e;
        e.time_ns = EventTime(base, first + i);
        e.service = "svc" + std::to_string(rng() % 5);
        e.message =
            "event " + std::to_string(first + i) + " payload " + std::string(rng() % 200, 'p');
        e.trace_id = "trace-" + std::to_string((first + i) / 7);
        e.attributes.push_back({"id", first + i});
        batch.push_back(std::move(e));
      }
      auto r = (*store)->Append(std::move(batch));
      if (!r.ok()) {
        if (r.status().IsResourceExhausted()) continue;  // backpressure: not acknowledged
        fprintf(stderr, "child append: %s\n", r.status().ToString().c_str());
        _exit(4);
      }
      int64_t msg[3] = {first, n, base};
      if (write(fd, msg, sizeof msg) != sizeof msg) _exit(5);
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  _exit(0);
}

TEST(CrashTest, AcknowledgedEventsSurviveSigkillExactlyOnce) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::TempDir dir("crash");
  int cycles = 12;
  if (const char* env = std::getenv("TROVE_CRASH_CYCLES")) cycles = std::atoi(env);
  int64_t next_id = 0;
  std::map<int64_t, int> acked;  // id → 1
  uint64_t total_acked = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const int64_t first_id = next_id;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(CrashOptions(), dir.path(), first_id, fds[1], seed + cycle * 1000);
    }
    close(fds[1]);
    // Let it run for a random while (some kills land early, during open and recovery).
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    int64_t msg[3];
    int64_t max_id = first_id;
    while (read(fds[0], msg, sizeof msg) == sizeof msg) {
      for (int64_t i = 0; i < msg[1]; ++i) acked[msg[0] + i] = 1;
      total_acked += msg[1];
      max_id = std::max(max_id, msg[0] + msg[1]);
    }
    close(fds[0]);

    StoreOptions check = CrashOptions();
    check.background = false;
    auto store = Store::Open(check, dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::map<int64_t, int> seen;
    for (const Event& e : testing::AllEvents(*(*store)->GetSnapshot())) ++seen[IdOf(e)];
    for (const auto& [id, count] : seen) {
      ASSERT_EQ(count, 1) << "event " << id << " present " << count << " times";
      max_id = std::max(max_id, id + 1);
    }
    for (const auto& [id, one] : acked) {
      ASSERT_TRUE(seen.count(id)) << "acknowledged event " << id << " lost";
    }
    // Trace lookups agree with a scan after recovery, too.
    auto snap = (*store)->GetSnapshot();
    for (int64_t t = first_id / 7; t < first_id / 7 + 3; ++t) {
      std::string trace = "trace-" + std::to_string(t);
      size_t via_index = 0, via_scan = 0;
      auto segs = snap->SegmentsWithTrace(trace);
      ASSERT_TRUE(segs.ok());
      for (const auto& s : *segs) via_index += s->TraceRows(trace)->cardinality();
      for (const auto& s : snap->segments()) via_scan += s->TraceRows(trace)->cardinality();
      EXPECT_EQ(via_index, via_scan) << trace;
    }
    // Unacknowledged but written events may survive; later ids must not collide with them.
    next_id = max_id;
  }
  std::cout << "[ crash    ] cycles=" << cycles << " acknowledged=" << total_acked
            << " lost=0 duplicated=0" << std::endl;
  EXPECT_GT(total_acked, 0u);
}

// Files that exist only while an archival is under way: the rewritten segment being staged,
// a temporary file in the cold tier or the cache, or one id in both tiers.
bool ArchivalInProgress(const testing::TieredDirs& dirs) {
  const std::set<std::string> hot = testing::FileNames(dirs.segments());
  for (const std::string& name : hot) {
    if (name.find(".cold") != std::string::npos) return true;
  }
  for (const std::string& name : testing::FileNames(dirs.cold())) {
    if (hot.count(name) || name.find(".tmp") != std::string::npos) return true;
  }
  for (const std::string& name : testing::FileNames(dirs.cache())) {
    if (name.find(".tmp") != std::string::npos) return true;
  }
  return false;
}

TEST(CrashTest, SigkillDuringArchivalAndRetentionKeepsEverySegmentInOneTier) {
  const uint64_t seed = testing::TestSeed();
  std::mt19937_64 rng(seed);
  testing::TieredDirs dirs("crash-cold");
  const StoreOptions options = ArchivalCrashOptions(dirs.cold());
  int cycles = 12;
  if (const char* env = std::getenv("TROVE_CRASH_CYCLES")) cycles = std::atoi(env);
  int64_t next_id = 0;
  std::map<int64_t, int64_t> acked;  // id → event time
  uint64_t total_acked = 0, retired = 0;
  int cycles_with_cold = 0, kills_in_archival = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const int64_t first_id = next_id;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunChild(options, dirs.store(), first_id, fds[1], seed + cycle * 1000);
    }
    close(fds[1]);
    // Half the kills at a random moment; the other half as soon as an archival is seen in
    // progress (its staging file, or a temporary file in the cold tier or the cache).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 400);
    while (std::chrono::steady_clock::now() < deadline) {
      if (cycle % 2 == 1 && ArchivalInProgress(dirs)) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    // Every pass of the child ran before this moment, so retention cannot have dropped a
    // partition that ended after killed_at - retention.
    const int64_t killed_at = SystemNow();
    int64_t msg[3];
    int64_t max_id = first_id;
    while (read(fds[0], msg, sizeof msg) == sizeof msg) {
      for (int64_t i = 0; i < msg[1]; ++i) acked[msg[0] + i] = EventTime(msg[2], msg[0] + i);
      total_acked += msg[1];
      max_id = std::max(max_id, msg[0] + msg[1]);
    }
    close(fds[0]);

    // Evidence that the kill landed inside an archival.
    const bool interrupted = ArchivalInProgress(dirs);
    kills_in_archival += interrupted;

    StoreOptions check = options;
    check.background = false;
    auto store = Store::Open(check, dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto snap = (*store)->GetSnapshot();
    std::map<int64_t, int> seen;
    for (const Event& e : testing::AllEvents(*snap)) ++seen[IdOf(e)];
    for (const auto& [id, count] : seen) {
      ASSERT_EQ(count, 1) << "event " << id << " present " << count << " times";
      max_id = std::max(max_id, id + 1);
    }
    for (auto it = acked.begin(); it != acked.end();) {
      if (seen.count(it->first)) {
        ++it;
        continue;
      }
      const int64_t partition_end =
          (testing::FloorDivision(it->second, options.partition_ns) + 1) * options.partition_ns;
      ASSERT_LE(partition_end, killed_at - options.retention_ns)
          << "acknowledged event " << it->first << " lost (its partition is within retention)";
      ++retired;
      it = acked.erase(it);  // dropped by retention: gone for good
    }
    // Every segment in exactly one tier; the leftovers of an interrupted archival or drop are
    // gone.
    std::set<uint64_t> hot, cold;
    testing::SegmentIdsByTier(*snap, &hot, &cold);
    EXPECT_EQ(testing::DiffFilesOnDisk(dirs, hot, cold), "");
    cycles_with_cold += !cold.empty();
    // Trace lookups agree with a scan, across both tiers.
    for (int64_t t = first_id / 7; t < first_id / 7 + 3; ++t) {
      std::string trace = "trace-" + std::to_string(t);
      size_t via_index = 0, via_scan = 0;
      auto segs = snap->SegmentsWithTrace(trace);
      ASSERT_TRUE(segs.ok());
      for (const auto& s : *segs) via_index += s->TraceRows(trace)->cardinality();
      for (const auto& s : snap->segments()) via_scan += s->TraceRows(trace)->cardinality();
      EXPECT_EQ(via_index, via_scan) << trace;
    }
    next_id = max_id;
  }
  std::cout << "[ crash    ] cycles=" << cycles << " acknowledged=" << total_acked
            << " dropped by retention=" << retired
            << " cycles with cold segments=" << cycles_with_cold
            << " kills inside an archival=" << kills_in_archival << " lost=0 duplicated=0"
            << std::endl;
  EXPECT_GT(total_acked, 0u);
  EXPECT_GT(cycles_with_cold, 0) << "no kill found archived segments";
}

}  // namespace
}  // namespace trove
