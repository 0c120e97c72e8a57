// Reading cold segments: every query and trace answers the same from cold segments (through the
// cold tier and the local index-tail cache) as from hot ones, in a mixed store, after full
// archival and after a reopen. Damage: a bad cold object is Corruption naming it, a missing one
// fails Open naming it, and a bad local cache entry is rebuilt from the object.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "query/engine.h"
#include "query/parser.h"
#include "storage/coding.h"
#include "storage/cold_tier.h"
#include "storage/format.h"
#include "storage/store.h"
#include "tests/segment_test_util.h"
#include "tests/store_test_util.h"
#include "tests/tiering_test_util.h"

namespace trove {
namespace {

using query::QueryEngine;
using query::QueryOptions;
using query::QueryResult;
using query::Trace;
using testing::EventsById;
using testing::FileSizeOf;
using testing::kEpoch2026;
using testing::kHr;
using testing::kMin;
using testing::ReadFileBytes;
using testing::SegmentIdsByTier;
using testing::SegmentModel;
using testing::TieredDirs;
using testing::TieringEventGen;
using testing::WriteFileBytes;

constexpr int64_t kStart = kEpoch2026;
constexpr int kParts = 6;                             // hourly partitions
constexpr int64_t kQueryNow = kStart + kParts * kHr;  // "now" for relative times in queries

struct QueryCase {
  std::string text;
  int64_t from_ns = std::numeric_limits<int64_t>::min();
  int64_t to_ns = std::numeric_limits<int64_t>::max();
  uint64_t max_rows = 10000;
};

// Searches with words, phrases, fields, regexes, ranges and time ranges; stats, top, sort,
// fields and limit pipes; request time bounds and a row cap.
const std::vector<QueryCase>& Queries() {
  static const std::vector<QueryCase> queries = {
      {"*"},
      {"error"},
      {"\"payment declined\""},
      {"\"GET /api/v1/cart\""},
      {"service:api"},
      {"service:=billing level:>=warn"},
      {"host:~\"^host-[12]$\""},
      {"latency_ms:>900"},
      {"latency_ms:[100 TO 200] ratio:<0.5"},
      {"user:user-1*"},
      {"ok:true timeout"},
      {"NOT service:api level:error"},
      {"error OR timeout | limit 17"},
      {"_time:[2026-01-01T01:30:00Z, 2026-01-01T04:00:00Z) disk"},
      {"_time:90m login"},
      {"span_id:span-1 parent_span_id:span-0"},
      {"trace_id:=req-3"},
      {"trace_id:* | stats by (service) count() n"},
      {"* | stats by (service) count() n, sum(latency_ms) total, avg(ratio) r, "
       "min(latency_ms) lo, max(latency_ms) hi"},
      {"* | stats by (_time:1h) count() n, count_uniq(user) users"},
      {"* | stats by (level, host) median(latency_ms) med, quantile(0.9, latency_ms) p90"},
      {"* | stats count() n"},
      {"http.status:>=500 | top 3 by (service)"},
      {"* | top 5 by (user)"},
      {"timeout | sort by (latency_ms desc) | limit 20"},
      {"service:web | fields _time, service, _msg | limit 50"},
      {"cache miss | stats by (service) count() n | sort by (n desc) | limit 2"},
      {"login", kStart + kHr + 7 * kMin, kStart + 5 * kHr},
      {"*", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 25},
  };
  return queries;
}

std::string Brief(const Event& e) {
  return "{id " + std::to_string(testing::IdOf(e)) + ", time " + std::to_string(e.time_ns) + "}";
}

bool SameCell(const query::Cell& a, const query::Cell& b) {
  // Sums are merged across segments in an unspecified order (engine.h: relative 1e-9).
  if (std::holds_alternative<double>(a) && std::holds_alternative<double>(b)) {
    const double x = std::get<double>(a), y = std::get<double>(b);
    return x == y || std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
  }
  return a == b;
}

// "" when two answers to the same query are the same (explain counters aside).
std::string DiffResults(const QueryResult& want, const QueryResult& got) {
  if (want.is_table != got.is_table) return "one is a table, the other not";
  if (want.truncated != got.truncated) return "truncated differs";
  if (want.fields != got.fields) return "fields differ";
  if (want.events.size() != got.events.size()) {
    return std::to_string(got.events.size()) + " events, want " +
           std::to_string(want.events.size());
  }
  for (size_t i = 0; i < want.events.size(); ++i) {
    if (!(want.events[i] == got.events[i])) {
      return "event " + std::to_string(i) + ": " + Brief(got.events[i]) + ", want " +
             Brief(want.events[i]);
    }
  }
  if (want.table.columns != got.table.columns) return "table columns differ";
  if (want.table.rows.size() != got.table.rows.size()) {
    return std::to_string(got.table.rows.size()) + " rows, want " +
           std::to_string(want.table.rows.size());
  }
  for (size_t r = 0; r < want.table.rows.size(); ++r) {
    const auto& w = want.table.rows[r];
    const auto& g = got.table.rows[r];
    if (w.size() != g.size()) return "row " + std::to_string(r) + " width differs";
    for (size_t c = 0; c < w.size(); ++c) {
      if (!SameCell(w[c], g[c])) {
        return "row " + std::to_string(r) + " column " + want.table.columns[c] + ": " +
               query::CellToString(g[c]) + ", want " + query::CellToString(w[c]);
      }
    }
  }
  return "";
}

std::string DiffTraces(const Trace& want, const Trace& got) {
  if (want.events != got.events) {
    return std::to_string(got.events.size()) + " events, want " +
           std::to_string(want.events.size()) + " (or different contents)";
  }
  if (want.spans.size() != got.spans.size()) return "span count differs";
  for (size_t i = 0; i < want.spans.size(); ++i) {
    const auto& w = want.spans[i];
    const auto& g = got.spans[i];
    if (w.span_id != g.span_id || w.parent_span_id != g.parent_span_id || w.service != g.service ||
        w.start_ns != g.start_ns || w.end_ns != g.end_ns || w.depth != g.depth ||
        w.events != g.events) {
      return "span " + std::to_string(i) + " (" + w.span_id + ") differs";
    }
  }
  if (want.services.size() != got.services.size()) return "service count differs";
  for (size_t i = 0; i < want.services.size(); ++i) {
    const auto& w = want.services[i];
    const auto& g = got.services[i];
    if (w.service != g.service || w.first_ns != g.first_ns || w.last_ns != g.last_ns ||
        w.events != g.events || w.errors != g.errors) {
      return "service summary " + w.service + " differs";
    }
  }
  if (want.start_ns != got.start_ns || want.end_ns != got.end_ns) return "trace bounds differ";
  return "";
}

// Every query's and every trace's answer in one store state.
struct Answers {
  std::vector<QueryResult> queries;
  std::set<size_t> failed;  // queries that returned an error (reported by Ask)
  std::map<std::string, Trace> traces;
};

class ColdReadTest : public ::testing::Test {
 protected:
  StoreOptions Options(const TieredDirs& dirs) {
    StoreOptions o;
    o.background = false;
    o.clock = [this] { return now_; };
    o.partition_ns = kHr;
    o.segment.block_rows = 16;
    o.segment.term_block_bytes = 512;
    o.cold_tier = NewDirectoryColdTier(FileSystem::Default(), dirs.cold());
    o.archive_after_ns = 4 * kHr;
    return o;
  }

  // 1500 events over six hourly partitions in three flushes: 18 hot segments.
  void Build(const TieredDirs& dirs) {
    seed_ = testing::TestSeed();
    TieringEventGen gen(seed_);
    std::mt19937_64 rng(seed_);
    now_ = kStart + kParts * kHr + kHr;
    auto store = Store::Open(Options(dirs), dirs.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int flush = 0; flush < 3; ++flush) {
      ASSERT_NO_FATAL_FAILURE(model_.AppendAndFlush(
          **store, gen.Batch(flush * 500, 500, kStart, kStart + kParts * kHr), now_, rng));
    }
    for (const auto& [id, e] : model_.events()) {
      if (!e.trace_id.empty()) trace_ids_.insert(e.trace_id);
    }
    trace_ids_.insert("ffffffffffffffffffffffffffffffff");  // unknown
    ASSERT_GT(trace_ids_.size(), 10u);
  }

  // Moves the clock to `now` and runs one pass; returns how many segments it archived.
  uint64_t ArchiveAt(Store& store, int64_t now) {
    now_ = now;
    auto counts = store.RunMaintenance();
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? counts->archived_segments : 0;
  }

  // Every query and trace; a failure is reported once, with the number of others that failed.
  Answers Ask(const Store& store) {
    Answers out;
    std::string first_error;
    int errors = 0;
    auto failed = [&](const std::string& what, const Status& s) {
      if (errors++ == 0) first_error = what + ": " + s.ToString();
    };
    auto snap = store.GetSnapshot();
    for (const QueryCase& c : Queries()) {
      out.queries.emplace_back();
      auto q = query::ParseQuery(c.text, kQueryNow);
      if (!q.ok()) {
        failed(c.text, q.status());
        out.failed.insert(out.queries.size() - 1);
        continue;
      }
      QueryOptions options;
      options.from_ns = c.from_ns;
      options.to_ns = c.to_ns;
      options.max_result_rows = c.max_rows;
      auto r = engine_.Run(*snap, *q, options);
      if (!r.ok()) {
        failed(c.text, r.status());
        out.failed.insert(out.queries.size() - 1);
        continue;
      }
      out.queries.back() = std::move(*r);
    }
    for (const std::string& id : trace_ids_) {
      auto t = engine_.GetTrace(*snap, id);
      if (!t.ok()) failed("trace " + id, t.status());
      out.traces[id] = t.ok() ? std::move(*t) : Trace();
    }
    EXPECT_EQ(errors, 0) << "first: " << first_error;
    return out;
  }

  void ExpectSameAnswers(const Answers& want, const Answers& got, const std::string& state) {
    int reported = 0;
    for (size_t i = 0; i < Queries().size() && reported < 5; ++i) {
      if (got.failed.count(i)) continue;  // reported by Ask
      std::string diff = DiffResults(want.queries[i], got.queries[i]);
      if (diff.empty()) continue;
      ++reported;
      ADD_FAILURE() << "[" << state << "] " << Queries()[i].text << "\n  " << diff
                    << "\n  TROVE_SEED=" << seed_;
    }
    for (const auto& [id, t] : want.traces) {
      std::string diff = DiffTraces(t, got.traces.at(id));
      if (diff.empty() || reported >= 5) continue;
      ++reported;
      ADD_FAILURE() << "[" << state << "] trace " << id << ": " << diff;
    }
  }

  // The "*" query's explain counts of segments read by tier.
  std::pair<uint64_t, uint64_t> HotColdRead(const Answers& a) {
    const auto& e = a.queries[0].explain;
    size_t cold_named = 0;
    for (const auto& s : e.segments_read) {
      cold_named += query::SegmentReadName(s).find("(cold)") != std::string::npos;
    }
    EXPECT_EQ(cold_named, e.segments_cold);
    return {e.segments_hot, e.segments_cold};
  }

  uint64_t seed_ = 0;
  int64_t now_ = 0;
  SegmentModel model_{kHr};
  std::set<std::string> trace_ids_;
  QueryEngine engine_{query::QueryEngineOptions{2}};
};

TEST_F(ColdReadTest, QueriesAndTracesAnswerTheSameFromColdSegments) {
  TieredDirs dirs("cold-queries");
  ASSERT_NO_FATAL_FAILURE(Build(dirs));
  auto store = Store::Open(Options(dirs), dirs.store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const size_t total = model_.segments().size();
  ASSERT_EQ(total, 18u);
  const Answers hot = Ask(**store);
  EXPECT_EQ(HotColdRead(hot), std::make_pair(uint64_t{total}, uint64_t{0}));
  // The answers are not trivial: the searches find events and the tables have rows.
  for (size_t i = 0; i < Queries().size(); ++i) {
    EXPECT_FALSE(hot.queries[i].events.empty() && hot.queries[i].table.rows.empty())
        << Queries()[i].text << " matches nothing; the comparison would prove little";
  }
  EXPECT_TRUE(hot.queries.back().truncated);

  // Half archived: partitions 0-2 (newest events before now - 4h) are cold.
  EXPECT_EQ(ArchiveAt(**store, kStart + 7 * kHr), total / 2);
  const Answers mixed = Ask(**store);
  ExpectSameAnswers(hot, mixed, "half archived");
  EXPECT_EQ(HotColdRead(mixed), std::make_pair(uint64_t{total / 2}, uint64_t{total / 2}));

  EXPECT_EQ(ArchiveAt(**store, kStart + 11 * kHr), total / 2);
  const Answers cold = Ask(**store);
  ExpectSameAnswers(hot, cold, "all archived");
  EXPECT_EQ(HotColdRead(cold), std::make_pair(uint64_t{0}, uint64_t{total}));

  store->reset();
  store = Store::Open(Options(dirs), dirs.store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const Answers reopened = Ask(**store);
  ExpectSameAnswers(hot, reopened, "all archived, reopened");
  EXPECT_EQ(HotColdRead(reopened), std::make_pair(uint64_t{0}, uint64_t{total}));
  // Trace lookups read the cold segments too.
  auto cold_trace_reads = [](const Answers& a) {
    uint64_t n = 0;
    for (const auto& [id, t] : a.traces) n += t.explain.segments_cold;
    return n;
  };
  EXPECT_EQ(cold_trace_reads(hot), 0u);
  EXPECT_GT(cold_trace_reads(reopened), 0u);
}

// ---------------------------------------------------------------------------------------------
// Damage.

// A store whose every segment is cold, copied fresh for each damage case.
class ColdDamageTest : public ColdReadTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Build(tmpl_));
    auto store = Store::Open(Options(tmpl_), tmpl_.store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_EQ(ArchiveAt(**store, kStart + 11 * kHr), model_.segments().size());
    want_ = Ask(**store);
    for (const auto& [id, seg] : model_.segments()) ids_.push_back(id);
  }

  // The template's files, copied to a fresh directory.
  std::unique_ptr<TieredDirs> FreshCopy(const std::string& name) {
    auto dirs = std::make_unique<TieredDirs>(name);
    dirs->CopyFrom(tmpl_);
    return dirs;
  }

  // Every event as flushed, and every query and trace as before the damage.
  void ExpectIntact(const Store& store, const std::string& state) {
    std::map<int64_t, Event> got = EventsById(*store.GetSnapshot());
    EXPECT_TRUE(got == model_.events()) << "[" << state << "] events differ from the model";
    ExpectSameAnswers(want_, Ask(store), state);
  }

  TieredDirs tmpl_{"cold-damage-template"};
  Answers want_;
  std::vector<uint64_t> ids_;
};

TEST_F(ColdDamageTest, AFlippedByteInAColdColumnBlockIsCorruptionNamingTheColdObject) {
  auto dirs = FreshCopy("cold-flip");
  const uint64_t id = ids_[ids_.size() / 2];
  uint64_t flip_at;
  {
    auto reader = SegmentReader::Open(FileSystem::Default(), dirs->ColdPath(id));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    const ColumnMeta* c = (*reader)->FindColumn("_msg", ValueType::kString);
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->blocks.size(), 1u);  // rewritten with 65536-row blocks
    flip_at = c->blocks[0].handle.offset + c->blocks[0].handle.size / 2;
    // The column blocks come before the index tail: this byte is read from the cold tier.
    ASSERT_LT(flip_at, (*reader)->file_size() - (*reader)->IndexTailBytes());
  }
  std::string bytes = ReadFileBytes(dirs->ColdPath(id));
  bytes[flip_at] ^= 0x10;
  WriteFileBytes(dirs->ColdPath(id), bytes);

  auto store = Store::Open(Options(*dirs), dirs->store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();  // the index tail is intact
  auto snap = (*store)->GetSnapshot();
  auto all = query::ParseQuery("*", kQueryNow);
  ASSERT_TRUE(all.ok());
  auto r = engine_.Run(*snap, *all);
  ASSERT_FALSE(r.ok()) << "a query over a damaged block succeeded";
  EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
  EXPECT_NE(r.status().message().find(dirs->ColdPath(id)), std::string::npos)
      << "does not name the cold object: " << r.status().ToString();
  // Queries that do not read the damaged segment still work.
  const int64_t partition = model_.at(id).partition;
  QueryOptions elsewhere;
  elsewhere.to_ns = partition * kHr;
  if (elsewhere.to_ns <= kStart) {
    elsewhere.from_ns = (partition + 1) * kHr;
    elsewhere.to_ns = std::numeric_limits<int64_t>::max();
  }
  auto other = engine_.Run(*snap, *all, elsewhere);
  EXPECT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_FALSE(other->events.empty());
}

TEST_F(ColdDamageTest, ACorruptColdFooterFailsOpenWithCorruptionNamingTheObject) {
  auto dirs = FreshCopy("cold-footer");
  const uint64_t id = ids_.front();
  std::string bytes = ReadFileBytes(dirs->ColdPath(id));
  bytes[bytes.size() - format::kFooterSize + 9] ^= 0x01;  // the meta block size
  WriteFileBytes(dirs->ColdPath(id), bytes);
  auto store = Store::Open(Options(*dirs), dirs->store());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status().ToString();
  EXPECT_NE(store.status().message().find(dirs->ColdPath(id)), std::string::npos)
      << store.status().ToString();
}

TEST_F(ColdDamageTest, AMissingColdObjectFailsOpenNamingIt) {
  auto dirs = FreshCopy("cold-missing");
  const uint64_t id = ids_.back();
  std::filesystem::remove(dirs->ColdPath(id));
  auto store = Store::Open(Options(*dirs), dirs->store());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(dirs->ColdPath(id)), std::string::npos)
      << store.status().ToString();
  // Nothing was deleted on the way: restoring the object makes the store whole again.
  std::filesystem::copy_file(tmpl_.ColdPath(id), dirs->ColdPath(id));
  store = Store::Open(Options(*dirs), dirs->store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectIntact(**store, "object restored");
}

TEST_F(ColdDamageTest, ColdSegmentsNeedAColdTierToOpen) {
  auto dirs = FreshCopy("cold-no-tier");
  StoreOptions o = Options(*dirs);
  o.cold_tier = nullptr;
  o.archive_after_ns = 0;
  auto store = Store::Open(o, dirs->store());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsInvalidArgument()) << store.status().ToString();
  EXPECT_NE(store.status().message().find("cold tier"), std::string::npos)
      << store.status().ToString();
  EXPECT_NE(store.status().message().find(SegmentFileName(ids_.front())), std::string::npos)
      << store.status().ToString();
  // Nothing was deleted: with the tier, the store opens whole.
  store = Store::Open(Options(*dirs), dirs->store());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectIntact(**store, "reopened with the tier");
}

// The local cache of index tails is disposable: any bad entry is rebuilt from the object.
TEST_F(ColdDamageTest, AStaleTruncatedOrMissingCacheTailIsRebuilt) {
  const uint64_t id = ids_[1], other = ids_[4];
  const std::string good = ReadFileBytes(tmpl_.TailPath(id));
  const std::string other_tail = ReadFileBytes(tmpl_.TailPath(other));
  ASSERT_FALSE(good.empty());
  ASSERT_NE(good.size(), other_tail.size());
  auto check = [&](const std::string& what, std::function<void(const TieredDirs&)> damage) {
    SCOPED_TRACE(what);
    auto dirs = FreshCopy("cold-cache");
    damage(*dirs);
    auto store = Store::Open(Options(*dirs), dirs->store());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ExpectIntact(**store, what);
    EXPECT_EQ(ReadFileBytes(dirs->TailPath(id)), good) << "the cache entry was not rebuilt";
    EXPECT_EQ(testing::FileNames(dirs->cache()).size(), ids_.size());
  };
  check("deleted", [&](const TieredDirs& d) { std::filesystem::remove(d.TailPath(id)); });
  check("cache directory deleted",
        [&](const TieredDirs& d) { std::filesystem::remove_all(d.cache()); });
  check("truncated", [&](const TieredDirs& d) {
    std::filesystem::resize_file(d.TailPath(id), good.size() - 7);
  });
  check("empty", [&](const TieredDirs& d) { std::filesystem::resize_file(d.TailPath(id), 0); });
  check("longer", [&](const TieredDirs& d) { WriteFileBytes(d.TailPath(id), "junk" + good); });
  check("another segment's tail",
        [&](const TieredDirs& d) { WriteFileBytes(d.TailPath(id), other_tail); });
  check("right size, another segment's footer", [&](const TieredDirs& d) {
    std::string stale = good;
    stale.replace(stale.size() - format::kFooterSize, format::kFooterSize,
                  other_tail.substr(other_tail.size() - format::kFooterSize));
    WriteFileBytes(d.TailPath(id), stale);
  });
  check("leftover temporary file",
        [&](const TieredDirs& d) { WriteFileBytes(d.TailPath(id) + ".tmp", "half a tail"); });
}

// A damaged byte inside a cache entry whose size and footer still match: the entry is only a
// local copy of the object's tail, so the store must not fail, nor blame the intact object.
TEST_F(ColdDamageTest, ACorruptCacheTailIsRebuiltNotBlamedOnTheColdObject) {
  const uint64_t id = ids_[2];
  const std::string good = ReadFileBytes(tmpl_.TailPath(id));
  const std::string object = ReadFileBytes(tmpl_.ColdPath(id));
  const uint64_t tail_start = object.size() - good.size();
  const char* footer = object.data() + object.size() - format::kFooterSize;
  const uint64_t meta_offset = DecodeFixed64(footer);
  const uint32_t meta_size = DecodeFixed32(footer + 8);
  uint64_t term_block;
  {
    auto reader = SegmentReader::Open(FileSystem::Default(), tmpl_.ColdPath(id));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    ASSERT_FALSE((*reader)->meta().terms.blocks.empty());
    term_block = (*reader)->meta().terms.blocks[0].offset;
  }
  ASSERT_GE(meta_offset, tail_start);
  ASSERT_GE(term_block, tail_start);
  auto check = [&](const std::string& what, uint64_t flip_at) {
    SCOPED_TRACE(what);
    auto dirs = FreshCopy("cold-cache-flip");
    std::string bad = good;
    bad[flip_at - tail_start] ^= 0x04;
    WriteFileBytes(dirs->TailPath(id), bad);
    auto store = Store::Open(Options(*dirs), dirs->store());
    ASSERT_TRUE(store.ok()) << "a bad local cache entry fails Open: " << store.status().ToString();
    ExpectIntact(**store, what);
  };
  check("a byte of the meta block", meta_offset + meta_size / 2);
  check("a byte of a term-index block", term_block + 3);
}

}  // namespace
}  // namespace trove
