// FanOut (storage/fan_out.h): every call made exactly once, all finished on return, from any
// thread, nested, and concurrently with other FanOuts.
#include "storage/fan_out.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace trove {
namespace {

TEST(FanOutTest, CallsEveryIndexOnceAndReturnsAfterAll) {
  for (size_t n : {0, 1, 2, 3, 14, 1000}) {
    std::vector<std::atomic<int>> calls(n);
    std::atomic<size_t> finished{0};
    FanOut(n, [&](size_t i) {
      if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      calls[i].fetch_add(1);
      finished.fetch_add(1);
    });
    EXPECT_EQ(finished.load(), n) << "returned before every call finished";
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 1) << "index " << i << " of " << n;
  }
}

// With helpers (more than one core), some calls run on another thread; without, all on the
// caller.
TEST(FanOutTest, UsesAnotherThreadWhenTheMachineHasOne) {
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> elsewhere{false};
  // Calls slow enough that a helper wakes up before the caller has run them all.
  FanOut(8, [&](size_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (std::this_thread::get_id() != caller) elsewhere = true;
  });
  EXPECT_EQ(elsewhere.load(), FanOutHelpers() > 0)
      << FanOutHelpers() << " helpers on " << std::thread::hardware_concurrency() << " cores";
}

TEST(FanOutTest, NestedAndConcurrentFanOutsFinish) {
  std::atomic<size_t> total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        FanOut(4, [&](size_t) { FanOut(5, [&](size_t) { total.fetch_add(1); }); });
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(total.load(), 6u * 50 * 4 * 5);
}

}  // namespace
}  // namespace trove
