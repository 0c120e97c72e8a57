// Helpers shared by the tiering tests (tiering_test.cc, tiering_fault_test.cc): a store
// directory with its cold tier beside it, varied random events with a unique "id", reading the
// files that are really on disk, and a model of which segment holds which events, built from
// what the test appended (never from the store's own bookkeeping).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/cold_tier.h"
#include "storage/segment.h"
#include "storage/store.h"
#include "tests/store_test_util.h"

namespace trove::testing {

inline constexpr int64_t kSec = 1'000'000'000;
inline constexpr int64_t kMin = 60 * kSec;
inline constexpr int64_t kHr = 60 * kMin;
inline constexpr int64_t kDay = 24 * kHr;
inline constexpr int64_t kEpoch2026 = int64_t{1'767'225'600} * kSec;  // 2026-01-01T00:00:00Z

// A store directory and a cold-tier directory, side by side under one temporary directory.
class TieredDirs {
 public:
  explicit TieredDirs(const std::string& name)
      : root_(name), store_(root_.path() + "/store"), cold_(root_.path() + "/cold") {}
  const std::string& root() const { return root_.path(); }
  const std::string& store() const { return store_; }
  const std::string& cold() const { return cold_; }
  std::string segments() const { return store_ + "/segments"; }
  std::string cache() const { return store_ + "/cold-cache"; }
  std::string HotPath(uint64_t id) const { return segments() + "/" + SegmentFileName(id); }
  std::string ColdPath(uint64_t id) const { return cold_ + "/" + SegmentFileName(id); }
  std::string TailPath(uint64_t id) const { return cache() + "/" + SegmentFileName(id) + ".tail"; }
  // Replaces this store and cold tier with copies of other's. The source may be in use (a
  // live store's RocksDB deletes obsolete files in the background): files that vanish while
  // being copied are left out, like any file a crash at that moment might or might not leave.
  void CopyFrom(const TieredDirs& other) const {
    std::filesystem::remove_all(store_);
    std::filesystem::remove_all(cold_);
    CopyTree(other.store_, store_);
    CopyTree(other.cold_, cold_);
  }

 private:
  static void CopyTree(const std::string& from, const std::string& to) {
    std::error_code ec;
    std::filesystem::directory_iterator it(from, ec), end;
    if (ec) return;  // absent (or just removed)
    std::filesystem::create_directories(to);
    for (; it != end; it.increment(ec)) {
      const std::filesystem::path src = it->path();
      const std::string dst = to + "/" + src.filename().string();
      if (it->is_directory(ec)) {
        CopyTree(src.string(), dst);
      } else {
        std::filesystem::copy_file(src, dst, std::filesystem::copy_options::overwrite_existing, ec);
      }
    }
  }

  TempDir root_;
  std::string store_, cold_;
};

// Names of the files in dir; empty when dir does not exist.
inline std::set<std::string> FileNames(const std::string& dir) {
  std::set<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

inline uint64_t FileSizeOf(const std::string& path) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

inline std::string JoinNames(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " ") + n;
  return "{" + out + "}";
}

// "" when segments/ holds exactly the hot segments, the cold directory exactly the cold ones and
// cold-cache exactly one tail per cold segment (no leftovers of any kind); else what differs.
inline std::string DiffFilesOnDisk(const TieredDirs& dirs, const std::set<uint64_t>& hot,
                                   const std::set<uint64_t>& cold) {
  std::set<std::string> want_hot, want_cold, want_tails;
  for (uint64_t id : hot) want_hot.insert(SegmentFileName(id));
  for (uint64_t id : cold) {
    want_cold.insert(SegmentFileName(id));
    want_tails.insert(SegmentFileName(id) + ".tail");
  }
  std::string diff;
  auto check = [&](const std::string& dir, const std::set<std::string>& want) {
    std::set<std::string> got = FileNames(dir);
    if (got != want)
      diff += "\n  " + dir + ": have " + JoinNames(got) + ", want " + JoinNames(want);
  };
  check(dirs.segments(), want_hot);
  check(dirs.cold(), want_cold);
  check(dirs.cache(), want_tails);
  return diff;
}

// Segment ids of a snapshot by tier; fails the test if an id appears twice.
inline void SegmentIdsByTier(const Snapshot& snap, std::set<uint64_t>* hot,
                             std::set<uint64_t>* cold) {
  hot->clear();
  cold->clear();
  for (const auto& s : snap.segments()) {
    const bool fresh = (s->tier() == Tier::kCold ? cold : hot)->insert(s->id()).second;
    EXPECT_TRUE(fresh && !(hot->count(s->id()) && cold->count(s->id())))
        << SegmentFileName(s->id()) << " is in the snapshot twice";
  }
}

// Varied events: every field type, a few traces with spans, a unique int "id" attribute.
class TieringEventGen {
 public:
  explicit TieringEventGen(uint64_t seed) : rng_(seed) {}

  Event Next(int64_t id, int64_t time_ns) {
    static const char* kWords[] = {"error",   "timeout", "payment", "declined", "retry",
                                   "connect", "disk",    "full",    "user",     "login",
                                   "cache",   "miss",    "GET",     "POST",     "/api/v1/cart"};
    static const char* kServices[] = {"api", "web", "db", "auth", "billing"};
    Event e;
    e.time_ns = time_ns;
    e.service = kServices[Pick(5)];
    e.host = "host-" + std::to_string(Pick(4));
    e.level = static_cast<Level>(Pick(7));
    const size_t words = 2 + Pick(6);
    for (size_t i = 0; i < words; ++i) {
      e.message += std::string(i ? " " : "") + kWords[Pick(std::size(kWords))];
    }
    if (Pick(5) == 0) e.message += " payment declined";
    e.message += " req " + std::to_string(id);
    if (Pick(3) != 0) {
      const size_t t = Pick(30);
      // Half the traces are 32-hex IDs (stored compacted), half free-form.
      if (t % 2 == 0) {
        char hex[33];
        snprintf(hex, sizeof hex, "%016llx%016llx", 0xabcdef0012345678ull + t,
                 0x1122334455667788ull * (t + 1));
        e.trace_id = hex;
      } else {
        e.trace_id = "req-" + std::to_string(t);
      }
      e.span_id = "span-" + std::to_string(Pick(4));
      if (e.span_id != "span-0") e.parent_span_id = "span-" + std::to_string(Pick(2));
    }
    e.attributes.push_back({"id", id});
    e.attributes.push_back({"latency_ms", static_cast<int64_t>(Pick(1000))});
    if (Pick(4) != 0) e.attributes.push_back({"ratio", static_cast<double>(Pick(1000)) / 997.0});
    if (Pick(3) != 0) e.attributes.push_back({"user", "user-" + std::to_string(Pick(40))});
    if (Pick(2) != 0) e.attributes.push_back({"ok", Pick(2) == 0});
    static const int64_t kStatus[] = {200, 201, 404, 500, 503};
    e.attributes.push_back({"http.status", kStatus[Pick(5)]});
    return e;
  }

  // n events with distinct times in [from, to), ids first_id, first_id + 1, …
  std::vector<Event> Batch(int64_t first_id, size_t n, int64_t from, int64_t to) {
    std::set<int64_t> times;
    while (times.size() < n) {
      times.insert(from + static_cast<int64_t>(rng_() % static_cast<uint64_t>(to - from)));
    }
    std::vector<int64_t> shuffled(times.begin(), times.end());
    std::shuffle(shuffled.begin(), shuffled.end(), rng_);
    std::vector<Event> out;
    for (size_t i = 0; i < n; ++i)
      out.push_back(Next(first_id + static_cast<int64_t>(i), shuffled[i]));
    return out;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  std::mt19937_64 rng_;
};

inline int64_t FloorDivision(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// The test's own account of the segments: which events each holds (from what was appended and
// flushed), its partition and newest event time. Store segment ids are attached by matching
// a new segment's events to the expected groups, so a segment with unexpected contents fails.
class SegmentModel {
 public:
  struct Segment {
    std::vector<int64_t> ids;  // event ids, ascending
    int64_t partition = 0;
    int64_t max_time = 0;
  };

  explicit SegmentModel(int64_t partition_ns) : partition_ns_(partition_ns) {}

  // Appends events (in batches of 1..100) and flushes: one new segment per partition.
  // Remembers the events as NormalizeEvent leaves them at `now`.
  void AppendAndFlush(Store& store, const std::vector<Event>& events, int64_t now,
                      std::mt19937_64& rng) {
    for (size_t begin = 0; begin < events.size();) {
      size_t n = std::min<size_t>(events.size() - begin, 1 + rng() % 100);
      std::vector<Event> batch(events.begin() + static_cast<std::ptrdiff_t>(begin),
                               events.begin() + static_cast<std::ptrdiff_t>(begin + n));
      auto r = store.Append(std::move(batch));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->accepted, n);
      begin += n;
    }
    ASSERT_TRUE(store.Flush().ok());
    std::map<int64_t, Segment> expected;  // by partition
    for (Event e : events) {
      ASSERT_TRUE(NormalizeEvent(EventLimits(), now, &e).ok());
      const int64_t p = FloorDivision(e.time_ns, partition_ns_);
      Segment& s = expected[p];
      s.partition = p;
      s.ids.push_back(IdOf(e));
      s.max_time = s.ids.size() == 1 ? e.time_ns : std::max(s.max_time, e.time_ns);
      events_[IdOf(e)] = std::move(e);
    }
    std::map<std::vector<int64_t>, Segment> by_ids;
    for (auto& [p, s] : expected) {
      std::sort(s.ids.begin(), s.ids.end());
      by_ids[s.ids] = s;
    }
    auto snap = store.GetSnapshot();
    for (const auto& reader : snap->segments()) {
      if (known_.count(reader->id())) continue;
      auto events_read = reader->ReadAllEvents();
      ASSERT_TRUE(events_read.ok()) << events_read.status().ToString();
      std::vector<int64_t> ids;
      for (const Event& e : *events_read) ids.push_back(IdOf(e));
      std::sort(ids.begin(), ids.end());
      auto found = by_ids.find(ids);
      ASSERT_NE(found, by_ids.end()) << "new segment " << SegmentFileName(reader->id()) << " holds "
                                     << ids.size() << " events that are not one flushed partition";
      known_[reader->id()] = found->second;
      by_ids.erase(found);
    }
    ASSERT_TRUE(by_ids.empty()) << by_ids.size() << " flushed partitions have no new segment";
  }

  const std::map<uint64_t, Segment>& segments() const { return known_; }
  const Segment& at(uint64_t id) const { return known_.at(id); }
  const std::map<int64_t, Event>& events() const { return events_; }
  // The events of segment id, in the order a segment keeps them (time, stable by id).
  std::vector<Event> EventsOf(uint64_t id) const {
    std::vector<Event> out;
    for (int64_t e : known_.at(id).ids) out.push_back(events_.at(e));
    std::stable_sort(out.begin(), out.end(),
                     [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
    return out;
  }

 private:
  int64_t partition_ns_;
  std::map<uint64_t, Segment> known_;
  std::map<int64_t, Event> events_;
};

// Every event of the snapshot, by id; fails the test on a duplicate.
inline std::map<int64_t, Event> EventsById(const Snapshot& snap) {
  std::map<int64_t, Event> out;
  for (Event& e : AllEvents(snap)) {
    const int64_t id = IdOf(e);
    EXPECT_FALSE(out.count(id)) << "event " << id << " is present twice";
    out[id] = std::move(e);
  }
  return out;
}

}  // namespace trove::testing
