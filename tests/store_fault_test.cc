// Read-only mode under filesystem faults: when segment writes fail (disk full, I/O errors),
// the store refuses new writes with a clear error, keeps serving every acknowledged event,
// and becomes writable again on its own once writes work, without losing or duplicating
// anything.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "storage/store.h"
#include "tests/fault_fs.h"
#include "tests/store_test_util.h"

namespace trove {
namespace {

using testing::AllEvents;
using testing::FaultInjectingFileSystem;
using testing::IdOf;
using testing::TempDir;

std::vector<Event> Batch(int64_t first, int n) {
  std::vector<Event> out;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (int i = 0; i < n; ++i) {
    Event e;
    e.time_ns = now - 1000 + i;
    e.service = "svc";
    e.message = "event " + std::to_string(first + i);
    e.attributes.push_back({"id", first + i});
    out.push_back(std::move(e));
  }
  return out;
}

// Waits up to 10 s for pred.
template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

// id → how many times it is visible.
std::map<int64_t, int> Visible(const Store& store) {
  std::map<int64_t, int> seen;
  for (const Event& e : AllEvents(*store.GetSnapshot())) ++seen[IdOf(e)];
  return seen;
}

// disk_full: the failures are ENOSPC (ResourceExhausted) rather than I/O errors.
void CheckReadOnlyUntilWritesWorkAgain(bool disk_full) {
  TempDir dir(disk_full ? "store-fault-full" : "store-fault");
  FaultInjectingFileSystem fs;
  fs.set_disk_full(disk_full);
  StoreOptions o;
  o.fs = &fs;
  o.flush_age_ns = 1'000'000;  // flush almost at once
  o.background_interval_ns = 2'000'000;
  o.recovery_interval_ns = 20'000'000;
  auto opened = Store::Open(o, dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;

  ASSERT_TRUE(store.Append(Batch(0, 10)).ok());
  ASSERT_TRUE(WaitFor([&] { return store.GetStats().buffered_events == 0; }));

  // Every segment write fails from now on.
  fs.FailMutation(1, /*and_later=*/true);
  auto during = store.Append(Batch(10, 10));
  ASSERT_TRUE(during.ok()) << "the write-ahead buffer does not go through the failing files";
  ASSERT_TRUE(WaitFor([&] { return !store.GetStats().background_error.empty(); }))
      << "the failed flush must latch read-only mode";
  const StoreStats failed = store.GetStats();
  EXPECT_NE(failed.background_error.find("injected fault"), std::string::npos)
      << failed.background_error;
  if (disk_full) {
    EXPECT_NE(failed.background_error.find("No space left on device"), std::string::npos)
        << "the reason must reach the operator: " << failed.background_error;
  }
  auto refused = store.Append(Batch(20, 10));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("read-only"), std::string::npos)
      << refused.status().ToString();
  // Reads go on: every acknowledged event, once; the refused ones are absent.
  auto seen = Visible(store);
  EXPECT_EQ(seen.size(), 20u);
  for (int64_t id = 0; id < 20; ++id) EXPECT_EQ(seen[id], 1) << id;
  // While the fault lasts, recovery attempts fail and the store stays read-only.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(store.GetStats().background_error.empty());
  EXPECT_EQ(store.GetStats().recoveries, 0u);

  fs.Reset();  // the disk works again
  ASSERT_TRUE(WaitFor([&] { return store.GetStats().background_error.empty(); }))
      << "the store must leave read-only mode by itself";
  EXPECT_EQ(store.GetStats().recoveries, 1u);
  ASSERT_TRUE(store.Append(Batch(30, 10)).ok());
  ASSERT_TRUE(store.Flush().ok());
  seen = Visible(store);
  EXPECT_EQ(seen.size(), 30u);
  for (int64_t id : {0, 9, 10, 19, 30, 39}) EXPECT_EQ(seen[id], 1) << id;
  for (int64_t id = 20; id < 30; ++id) EXPECT_EQ(seen.count(id), 0u) << id;
  EXPECT_EQ(store.GetStats().buffered_events, 0u);
}

TEST(StoreFaultTest, FailedSegmentWritesMakeTheStoreReadOnlyUntilWritesWorkAgain) {
  CheckReadOnlyUntilWritesWorkAgain(/*disk_full=*/false);
}

TEST(StoreFaultTest, AFullDiskMakesTheStoreReadOnlyUntilThereIsSpaceAgain) {
  CheckReadOnlyUntilWritesWorkAgain(/*disk_full=*/true);
}

TEST(StoreFaultTest, NothingAcknowledgedIsLostAcrossAFaultAndARestart) {
  TempDir dir("store-fault-restart");
  FaultInjectingFileSystem fs;
  StoreOptions o;
  o.fs = &fs;
  o.flush_age_ns = 1'000'000;
  o.background_interval_ns = 2'000'000;
  o.recovery_interval_ns = 20'000'000;
  {
    auto store = Store::Open(o, dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Append(Batch(0, 25)).ok());
    fs.FailMutation(1, /*and_later=*/true);
    ASSERT_TRUE((*store)->Append(Batch(25, 25)).ok());
    ASSERT_TRUE(WaitFor([&] { return !(*store)->GetStats().background_error.empty(); }));
  }  // closed while read-only: the unflushed events stay in the write-ahead buffer
  fs.Reset();
  auto store = Store::Open(o, dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Flush().ok());
  auto seen = Visible(**store);
  EXPECT_EQ(seen.size(), 50u);
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
}

}  // namespace
}  // namespace trove
