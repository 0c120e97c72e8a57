// Differential test of the query engine (STYLE.md habit 8): random events in a Store, random
// query TEXT through ParseQuery + QueryEngine::Run, against a brute-force evaluator over a plain
// std::vector<Event> written from the documented contracts alone (query/ast.h for predicates,
// the comment above QueryResult in query/engine.h for pipes, stats and top, query/sketch.h for
// error bounds). Every query is checked in every physical state of the store: all buffered,
// buffered and recovered by a reopen, flushed + buffered, flushed, merged, reopened, archived
// into the cold tier (rewritten with the cold segment options, read through the cold tier and
// the local index-tail cache), and archived + reopened.
// GetTrace is checked the same way for every trace ID plus unknown ones.
//
// The generator builds each query as text AND as the Query it is meant to be; the brute force
// evaluates both the intended Query and the parsed one, so a disagreement says whether the
// parser or the engine is wrong. TROVE_SEED=N replays a run; TROVE_QUERY_DUMP=1 prints every
// generated query with the size of its expected answer.
//
// The brute-force model is in query_model.h, the random events and queries in query_gen.h, the
// comparison and failure messages in query_diff_util.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"
#include "query/parser.h"
#include "storage/cold_tier.h"
#include "storage/store.h"
#include "tests/query_diff_util.h"
#include "tests/query_gen.h"
#include "tests/query_model.h"
#include "tests/store_test_util.h"

namespace trove::query::testing {
namespace {

using trove::testing::TempDir;

constexpr int64_t kClock = kNow + kHour;  // the store's clock: every partition is sealed
constexpr int kNumEvents = 3000;
constexpr int kNumQueries = 500;
constexpr uint64_t kManyRows = 1'000'000;
constexpr int kMaxReportedFailures = 12;  // detailed reports per state; the rest are counted

// ---------------------------------------------------------------------------------------------
// The test.

struct PreparedQuery {
  GenQuery gen;
  std::optional<Query> parsed;  // nullopt when ParseQuery failed (reported once)
  Expected want;                // the brute force's answer to the query as intended
  // The engine is judged on the Query it was given: when the parser got the text wrong (that
  // is reported once, as a parser failure), on the brute force's answer to the parsed Query.
  bool parser_wrong = false;
  Expected engine_want;
};

std::string OptionsText(const QueryOptions& o) {
  std::string s;
  if (o.from_ns != std::numeric_limits<int64_t>::min())
    s += " from_ns=" + std::to_string(o.from_ns);
  if (o.to_ns != std::numeric_limits<int64_t>::max()) s += " to_ns=" + std::to_string(o.to_ns);
  return s.empty() ? "" : "\n  QueryOptions:" + s;
}

class QueryDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = trove::testing::TestSeed();
    Rng rng(seed_);
    std::vector<TraceSpec> traces = MakeTraces(rng);
    std::set<int64_t> times;
    while (times.size() < static_cast<size_t>(kNumEvents)) {
      int64_t offset = rng.Uniform(0, kDataSpan - 1);
      if (rng.Chance(0.5)) offset -= offset % 1000;  // some µs-aligned, some not
      times.insert(kStart + offset);
    }
    std::vector<int64_t> shuffled(times.begin(), times.end());
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(rng.Bits()));
    for (int64_t t : shuffled) {
      Event e = MakeEvent(rng, traces);
      e.time_ns = t;
      input_.push_back(e);
      ASSERT_TRUE(NormalizeEvent(EventLimits{}, kClock, &e).ok());
      model_.push_back(std::move(e));
    }
    for (const TraceSpec& t : traces) trace_ids_.push_back(t.id);
    // Unknown IDs: never used, an uppercase twin of a binary-stored hex ID, a truncated ID.
    trace_ids_.push_back("ffffffffffffffffffffffffffffffff");
    trace_ids_.push_back("req-unknown");
    for (const TraceSpec& t : traces) {
      if (t.id.size() == 32 && t.id.find_first_not_of("0123456789abcdef") == std::string::npos &&
          t.id.find_first_of("abcdef") != std::string::npos) {
        std::string upper = t.id;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        trace_ids_.push_back(upper);
        trace_ids_.push_back(t.id.substr(0, 31));
        break;
      }
    }

    Vocab vocab = MakeVocab(model_);
    QueryGenerator gen(&rng, &vocab);
    int parse_failures = 0, parser_mismatches = 0;
    for (int i = 0; i < kNumQueries; ++i) {
      PreparedQuery pq;
      pq.gen = gen.Next();
      pq.want = Evaluate(pq.gen.intended, model_, pq.gen.options);
      EXPECT_TRUE(pq.want.error.empty()) << "generator bug: " << pq.want.error;
      auto parsed = ParseQuery(pq.gen.text, kNow);
      if (!parsed.ok()) {
        ++parse_failures;
        ADD_FAILURE() << "ParseQuery failed on a valid query\n  query: " << pq.gen.text
                      << "\n  error: " << parsed.status().ToString() << "\n  TROVE_SEED=" << seed_;
      } else {
        pq.parsed = *parsed;
        // Does the parsed Query mean what the text says? Judged by the brute force on both.
        Expected from_parsed = Evaluate(*pq.parsed, model_, pq.gen.options);
        std::string diff = from_parsed.error.empty()
                               ? DiffResults(pq.want, AsResult(from_parsed), kManyRows)
                               : from_parsed.error;
        pq.engine_want = from_parsed;
        pq.parser_wrong = !diff.empty();
        if (!diff.empty()) {
          ++parser_mismatches;
          ADD_FAILURE() << "the parsed query means something else than its text\n  query:    "
                        << pq.gen.text << "\n  parsed:   " << DumpQuery(*pq.parsed)
                        << "\n  intended: " << DumpQuery(pq.gen.intended)
                        << OptionsText(pq.gen.options) << "\n  TROVE_SEED=" << seed_
                        << "\n  first difference: " << diff;
        }
      }
      if (std::getenv("TROVE_QUERY_DUMP")) {  // every query with its expected size
        std::cout << (pq.want.is_table ? pq.want.rows.size() : pq.want.events.size()) << "\t"
                  << pq.gen.text << OptionsText(pq.gen.options) << "\n";
      }
      queries_.push_back(std::move(pq));
    }
    std::cout << "[ queries  ] " << queries_.size() << " generated, " << parse_failures
              << " parse failures, " << parser_mismatches << " parser/intent mismatches"
              << std::endl;
  }

  static StoreOptions Options() {
    StoreOptions o;
    o.background = false;
    o.partition_ns = kHour;
    o.segment.block_rows = 64;
    o.segment.term_block_bytes = 1024;
    o.merge.min_inputs = 2;
    o.merge.max_output_rows = 100'000;
    o.clock = [] { return kClock; };
    return o;
  }

  void Append(Store& store, size_t begin, size_t end, Rng& rng) {
    while (begin < end) {
      size_t n = std::min(end - begin, static_cast<size_t>(rng.Uniform(1, 150)));
      std::vector<Event> batch(input_.begin() + static_cast<std::ptrdiff_t>(begin),
                               input_.begin() + static_cast<std::ptrdiff_t>(begin + n));
      auto r = store.Append(std::move(batch));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->accepted, n);
      begin += n;
    }
  }

  // Runs every query and trace lookup against the store in its current state.
  void CheckState(const Store& store, const std::string& state) {
    SCOPED_TRACE("state: " + state);
    auto started = std::chrono::steady_clock::now();
    auto snap = store.GetSnapshot();
    // The storage must hold exactly the model, or nothing below means anything.
    std::vector<Event> all = trove::testing::AllEvents(*snap);
    auto by_time = [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; };
    std::sort(all.begin(), all.end(), by_time);
    std::vector<Event> model = model_;
    std::sort(model.begin(), model.end(), by_time);
    ASSERT_EQ(all.size(), model.size()) << "storage lost or duplicated events";
    for (size_t i = 0; i < all.size(); ++i) {
      ASSERT_EQ(all[i], model[i]) << "storage changed an event\n  want " << Describe(model[i])
                                  << "\n  got  " << Describe(all[i]);
    }

    int failures = 0, runs = 0;
    auto report = [&](const PreparedQuery& pq, const std::string& what, const std::string& diff) {
      ++failures;
      if (failures > kMaxReportedFailures) return;
      ADD_FAILURE() << "[" << state << "] " << what
                    << (pq.parser_wrong
                            ? " (judged on the parsed query, which the parser got wrong)"
                            : "")
                    << "\n  query:  " << pq.gen.text << OptionsText(pq.gen.options)
                    << "\n  parsed: " << DumpQuery(*pq.parsed) << "\n  TROVE_SEED=" << seed_
                    << "\n  " << diff;
    };
    for (const PreparedQuery& pq : queries_) {
      if (!pq.parsed || !pq.engine_want.error.empty()) continue;
      const Expected& want = pq.parser_wrong ? pq.engine_want : pq.want;
      QueryOptions options = pq.gen.options;
      options.max_result_rows = kManyRows;
      ++runs;
      auto got = engine_.Run(*snap, *pq.parsed, options);
      if (!got.ok()) {
        report(pq, "Run failed", got.status().ToString());
        continue;
      }
      std::string diff = DiffResults(want, *got, kManyRows);
      if (!diff.empty()) {
        report(pq, "engine disagrees with the brute force", diff);
        continue;
      }
      if (pq.gen.small_max_rows) {
        options.max_result_rows = pq.gen.small_max_rows;
        ++runs;
        auto small = engine_.Run(*snap, *pq.parsed, options);
        if (!small.ok()) {
          report(pq, "Run failed", small.status().ToString());
          continue;
        }
        diff = DiffResults(want, *small, pq.gen.small_max_rows);
        if (!diff.empty()) {
          report(pq, "with max_result_rows=" + std::to_string(pq.gen.small_max_rows), diff);
        }
      }
    }
    int trace_failures = 0;
    for (const std::string& id : trace_ids_) {
      auto trace = engine_.GetTrace(*snap, id);
      std::string diff = trace.ok() ? DiffTrace(model_, id, *trace) : trace.status().ToString();
      if (!diff.empty() && ++trace_failures <= kMaxReportedFailures) {
        ADD_FAILURE() << "[" << state << "] GetTrace(" << Quoted(id) << ")\n  TROVE_SEED=" << seed_
                      << "\n  " << diff;
      }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "[ state    ] " << state << ": " << runs << " runs, " << failures
              << " query mismatches, " << trace_ids_.size() << " traces, " << trace_failures
              << " trace mismatches, " << secs << " s" << std::endl;
  }

  uint64_t seed_ = 0;
  std::vector<Event> input_;  // as appended
  std::vector<Event> model_;  // as the store must keep them (NormalizeEvent)
  std::vector<std::string> trace_ids_;
  std::vector<PreparedQuery> queries_;
  QueryEngine engine_{QueryEngineOptions{2}};
};

TEST_F(QueryDifferentialTest, EngineAgreesWithBruteForceInEveryStoreState) {
  Rng rng(seed_ ^ 0x5eed);
  TempDir buffered_dir("qdiff-buffered"), dir("qdiff");
  {
    auto store = Store::Open(Options(), buffered_dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Append(**store, 0, input_.size(), rng);
    ASSERT_EQ((*store)->GetStats().segments, 0u);
    CheckState(**store, "all buffered");
  }
  {
    auto store = Store::Open(Options(), buffered_dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    CheckState(**store, "buffered, recovered by reopen");
  }
  {
    auto store = Store::Open(Options(), dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    size_t third = input_.size() / 3;
    Append(**store, 0, third, rng);
    ASSERT_TRUE((*store)->Flush().ok());
    Append(**store, third, 2 * third, rng);
    ASSERT_TRUE((*store)->Flush().ok());
    Append(**store, 2 * third, input_.size(), rng);
    ASSERT_GT((*store)->GetStats().segments, 6u);
    ASSERT_GT((*store)->GetStats().buffered_events, 0u);
    CheckState(**store, "flushed + buffered");
    ASSERT_TRUE((*store)->Flush().ok());
    ASSERT_EQ((*store)->GetStats().buffered_events, 0u);
    CheckState(**store, "flushed");
    ASSERT_TRUE((*store)->Compact().ok());
    ASSERT_GT((*store)->GetStats().merges, 0u);
    CheckState(**store, "compacted");
  }
  {
    auto store = Store::Open(Options(), dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    CheckState(**store, "compacted, reopened");
  }
  // The cold tier: every segment's newest event is older than kClock - 1h.
  TempDir cold_dir("qdiff-cold");
  StoreOptions cold = Options();
  cold.cold_tier = NewDirectoryColdTier(FileSystem::Default(), cold_dir.path());
  cold.archive_after_ns = kHour;
  {
    auto store = Store::Open(cold, dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const uint64_t segments = (*store)->GetStats().segments;
    auto counts = (*store)->RunMaintenance();
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    ASSERT_EQ(counts->archived_segments, segments);
    ASSERT_EQ((*store)->GetStats().cold.segments, segments);
    CheckState(**store, "archived");
  }
  {
    auto store = Store::Open(cold, dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_EQ((*store)->GetStats().hot.segments, 0u);
    CheckState(**store, "archived, reopened");
  }
}

}  // namespace
}  // namespace trove::query::testing
