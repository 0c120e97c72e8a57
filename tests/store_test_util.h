// Helpers shared by the store tests: temporary directories, event generation with a unique
// "id" attribute, and reading back every event of a store.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/store.h"

namespace trove::testing {

// A fresh empty directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    path_ = ::testing::TempDir() + "/trove-" + name + "-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter_++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// The seed for randomized tests: $TROVE_SEED when set, else random; printed so a failure can
// be replayed.
inline uint64_t TestSeed() {
  uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("TROVE_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << "[ seed     ] TROVE_SEED=" << seed << std::endl;
  return seed;
}

inline int64_t IdOf(const Event& e) {
  for (const Attribute& a : e.attributes) {
    if (a.key == "id") return std::get<int64_t>(a.value);
  }
  return -1;
}

// Every event visible in a snapshot: all segments, then the buffered ones.
inline std::vector<Event> AllEvents(const Snapshot& snap) {
  std::vector<Event> out;
  for (const auto& seg : snap.segments()) {
    auto events = seg->ReadAllEvents();
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (!events.ok()) continue;
    out.insert(out.end(), events->begin(), events->end());
  }
  for (const auto& b : snap.recent()) out.insert(out.end(), b->events.begin(), b->events.end());
  return out;
}

}  // namespace trove::testing
