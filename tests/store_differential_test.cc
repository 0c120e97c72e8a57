// Differential test: random events through the Store vs a brute-force std::vector<Event>.
// Every term, phrase, prefix, field and correlation-ID lookup must agree before and after
// flush, merge and reopen (STYLE.md habit 8).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "index/tokenizer.h"
#include "storage/store.h"
#include "tests/store_test_util.h"

namespace trove {
namespace {

using testing::IdOf;
using testing::TempDir;

constexpr int64_t kMinute = int64_t{60} * 1'000'000'000;
constexpr int64_t kStart = int64_t{1'750'000'000} * 1'000'000'000;

const char* const kWords[] = {"error", "ERROR:", "disk", "full", "blk_-8775602795571523802",
                              "blk_42", "user=17", "payment", "declined", "timeout", "GET",
                              "/api/v1/cart", "café", "naïve", "x-y-z", "a.b.c", "42", "0x1f",
                              "Connection", "connected", "reconnect", "\"quoted\"", "[warn]"};
const char* const kServices[] = {"checkout", "cart-api", "auth", "payment_gw", "search"};
const char* const kHosts[] = {"10.0.0.1", "10.0.0.2", "web-1.example.com", "db-01"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Event Next() {
    Event e;
    e.time_ns = kStart + Uniform(0, 12 * kMinute);
    e.service = kServices[Uniform(0, std::size(kServices) - 1)];
    if (Uniform(0, 9) > 0) e.host = kHosts[Uniform(0, std::size(kHosts) - 1)];
    e.level = static_cast<Level>(Uniform(0, kNumLevels - 1));
    int words = static_cast<int>(Uniform(0, 8));
    for (int i = 0; i < words; ++i) {
      if (i) e.message += Uniform(0, 4) == 0 ? "  " : " ";
      e.message += kWords[Uniform(0, std::size(kWords) - 1)];
    }
    int trace = static_cast<int>(Uniform(0, 60));
    if (trace < 30) {
      char buf[33];
      snprintf(buf, sizeof buf, "%032x", trace * 7919);
      e.trace_id = buf;
    } else if (trace < 40) {
      e.trace_id = "req-" + std::to_string(trace);
    }
    e.attributes.push_back({"id", next_id_++});
    if (Uniform(0, 1)) e.attributes.push_back({"http.status", int64_t{200 + 100 * Uniform(0, 3)}});
    if (Uniform(0, 2) == 0) e.attributes.push_back({"user.id", "u" + std::to_string(Uniform(0, 9))});
    if (Uniform(0, 3) == 0) e.attributes.push_back({"latency_ms", Uniform(0, 1000) / 8.0});
    if (Uniform(0, 4) == 0) e.attributes.push_back({"cached", Uniform(0, 1) == 1});
    // Same key, different types on different events.
    if (Uniform(0, 5) == 0) {
      if (Uniform(0, 1)) {
        e.attributes.push_back({"code", "E" + std::to_string(Uniform(0, 3))});
      } else {
        e.attributes.push_back({"code", int64_t{Uniform(0, 3)}});
      }
    }
    return e;
  }

  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

 private:
  std::mt19937_64 rng_;
  int64_t next_id_ = 0;
};

// ---- The brute-force model: plain scans, written apart from the engine's code paths. ----

std::string Lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return s;
}

bool WordByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || u >= 0x80;
}

bool ModelPhrase(const std::string& text, const std::string& phrase) {
  std::string t = Lower(text), p = Lower(phrase);
  for (size_t at = t.find(p); at != std::string::npos; at = t.find(p, at + 1)) {
    size_t end = at + p.size();
    bool cut_start = at > 0 && WordByte(t[at - 1]) && WordByte(t[at]);
    bool cut_end = end < t.size() && end > 0 && WordByte(t[end - 1]) && WordByte(t[end]);
    if (!cut_start && !cut_end) return true;
  }
  return false;
}

std::string FieldText(const Event& e, const std::string& field) {
  if (field == "_msg") return e.message;
  if (field == "service") return e.service;
  if (field == "host") return e.host;
  if (field == "level") return std::string(LevelName(e.level));
  for (const Attribute& a : e.attributes) {
    if (a.key == field) return ValueToString(a.value);
  }
  return "";
}

// The model's answer to "field holds whole token (case-insensitive)".
std::vector<int64_t> ModelIds(const std::vector<Event>& events,
                              const std::function<bool(const Event&)>& pred) {
  std::vector<int64_t> ids;
  for (const Event& e : events) {
    if (pred(e)) ids.push_back(IdOf(e));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ---- The engine side: indexes give candidates, verification makes them exact. ----

struct EngineQuery {
  std::string field;
  std::vector<std::string> tokens;  // all must be present (AND of postings)
  bool prefix = false;              // last token is a prefix
  // Checks one candidate exactly. Buffered events are always checked this way; segment
  // candidates only when `verify_segments` (a whole-token lookup needs no check).
  std::function<bool(const Event&)> verify;
  bool verify_segments = true;
};

std::vector<int64_t> EngineIds(const Snapshot& snap, const EngineQuery& q) {
  std::vector<int64_t> ids;
  for (const auto& seg : snap.segments()) {
    Roaring rows;
    rows.addRange(0, seg->rows());
    for (size_t i = 0; i < q.tokens.size(); ++i) {
      bool is_prefix = q.prefix && i + 1 == q.tokens.size();
      auto p = is_prefix ? seg->PrefixPostings(q.field, q.tokens[i])
                         : seg->Postings(q.field, q.tokens[i]);
      EXPECT_TRUE(p.ok()) << p.status().ToString();
      if (!p.ok()) return {};
      rows &= *p;
    }
    auto events = seg->ReadEvents(rows);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (!events.ok()) return {};
    for (const Event& e : *events) {
      if (!q.verify_segments || q.verify(e)) ids.push_back(IdOf(e));
    }
  }
  for (const auto& b : snap.recent()) {
    for (const Event& e : b->events) {
      if (q.verify(e)) ids.push_back(IdOf(e));
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<int64_t> EngineTraceIds(const Snapshot& snap, const std::string& trace) {
  std::vector<int64_t> ids;
  auto segs = snap.SegmentsWithTrace(trace);
  EXPECT_TRUE(segs.ok()) << segs.status().ToString();
  if (!segs.ok()) return ids;
  std::set<uint64_t> via_map;
  for (const auto& seg : *segs) {
    via_map.insert(seg->id());
    auto rows = seg->TraceRows(trace);
    EXPECT_TRUE(rows.ok());
    EXPECT_FALSE(rows->isEmpty()) << "global map names segment " << seg->id()
                                  << " without rows for " << trace;
    auto events = seg->ReadEvents(*rows);
    EXPECT_TRUE(events.ok());
    for (const Event& e : *events) {
      EXPECT_EQ(e.trace_id, trace);
      ids.push_back(IdOf(e));
    }
  }
  // The global map must name every segment that holds the trace.
  for (const auto& seg : snap.segments()) {
    auto rows = seg->TraceRows(trace);
    EXPECT_TRUE(rows.ok());
    if (!rows->isEmpty()) {
      EXPECT_TRUE(via_map.count(seg->id())) << "map misses " << seg->id();
    }
  }
  for (const auto& b : snap.recent()) {
    for (const Event& e : b->events) {
      if (e.trace_id == trace) ids.push_back(IdOf(e));
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void CheckAgainstModel(const Store& store, const std::vector<Event>& model, Generator* gen,
                       const std::string& stage) {
  SCOPED_TRACE("stage: " + stage);
  auto snap = store.GetSnapshot();
  // Everything present exactly once.
  std::vector<int64_t> all;
  for (const Event& e : testing::AllEvents(*snap)) all.push_back(IdOf(e));
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all, ModelIds(model, [](const Event&) { return true; }));

  // Every event reads back identical.
  std::map<int64_t, Event> by_id;
  for (const Event& e : model) by_id[IdOf(e)] = e;
  for (const Event& e : testing::AllEvents(*snap)) ASSERT_EQ(e, by_id[IdOf(e)]) << IdOf(e);

  // Single tokens of every field, drawn from the data itself plus a few absent ones.
  const std::vector<std::string> fields = {"_msg", "service", "host", "level", "user.id",
                                           "http.status", "code", "cached", "latency_ms"};
  for (const std::string& field : fields) {
    std::set<std::string> tokens = {"absent", "zzz"};
    for (const Event& e : model) {
      for (const std::string& t : index::Tokenize(FieldText(e, field))) tokens.insert(t);
    }
    for (const std::string& token : tokens) {
      auto pred = [&](const Event& e) {
        auto toks = index::Tokenize(FieldText(e, field));
        return std::find(toks.begin(), toks.end(), token) != toks.end();
      };
      // A whole token needs no verification in segments: its postings are exact.
      EngineQuery q{field, {token}, false, [&](const Event& e) {
                      return index::MatchesPhrase(FieldText(e, field), token);
                    }, false};
      ASSERT_EQ(EngineIds(*snap, q), ModelIds(model, pred)) << field << ":" << token;
    }
  }

  // Phrases built from message text, including separators and case changes.
  for (int i = 0; i < 150; ++i) {
    const Event& src = model[gen->Uniform(0, model.size() - 1)];
    if (src.message.empty()) continue;
    size_t a = gen->Uniform(0, src.message.size() - 1);
    size_t len = gen->Uniform(1, 25);
    std::string phrase = src.message.substr(a, len);
    if (i % 3 == 0) phrase = Lower(phrase);
    auto tokens = index::Tokenize(phrase);
    EngineQuery q{"_msg", tokens, false,
                  [&](const Event& e) { return index::MatchesPhrase(e.message, phrase); }};
    ASSERT_EQ(EngineIds(*snap, q),
              ModelIds(model, [&](const Event& e) { return ModelPhrase(e.message, phrase); }))
        << "phrase: \"" << phrase << "\"";
  }

  // Token prefixes.
  for (std::string prefix : {"c", "con", "blk", "blk_", "87", "caf", "err", "x", "q"}) {
    EngineQuery q{"_msg", {prefix}, true,
                  [&](const Event& e) { return index::MatchesTokenPrefix(e.message, prefix); }};
    auto model_pred = [&](const Event& e) {
      for (const std::string& t : index::Tokenize(e.message)) {
        if (t.compare(0, prefix.size(), prefix) == 0) return true;
      }
      return false;
    };
    ASSERT_EQ(EngineIds(*snap, q), ModelIds(model, model_pred)) << "prefix " << prefix;
  }

  // Correlation IDs, with no time range: every one in the data plus unknown ones.
  std::set<std::string> traces = {"ffffffffffffffffffffffffffffffff", "req-unknown", "ABCDEF"};
  for (const Event& e : model) {
    if (!e.trace_id.empty()) traces.insert(e.trace_id);
  }
  for (const std::string& t : traces) {
    ASSERT_EQ(EngineTraceIds(*snap, t),
              ModelIds(model, [&](const Event& e) { return e.trace_id == t; }))
        << "trace " << t;
  }

  // Time pruning never drops a segment that holds an event in range.
  for (int i = 0; i < 20; ++i) {
    int64_t from = kStart + gen->Uniform(0, 12 * kMinute);
    int64_t to = from + gen->Uniform(1, 3 * kMinute);
    auto segs = snap->SegmentsOverlapping(from, to);
    std::set<uint64_t> chosen;
    for (const auto& s : segs) chosen.insert(s->id());
    for (const auto& seg : snap->segments()) {
      auto events = seg->ReadAllEvents();
      for (const Event& e : *events) {
        if (e.time_ns >= from && e.time_ns < to) {
          ASSERT_TRUE(chosen.count(seg->id())) << "segment " << seg->id() << " pruned wrongly";
        }
      }
    }
  }
}

TEST(StoreDifferentialTest, EngineAgreesWithBruteForceThroughFlushMergeReopen) {
  const uint64_t seed = testing::TestSeed();
  Generator gen(seed);
  TempDir dir("diff");
  StoreOptions options;
  options.background = false;
  options.partition_ns = 4 * kMinute;
  options.segment.block_rows = 64;
  options.segment.term_block_bytes = 512;
  options.merge.min_inputs = 2;
  options.merge.max_output_rows = 100'000;
  options.clock = [] { return kStart + 13 * kMinute; };
  std::vector<Event> model;
  auto append_some = [&](Store& store, int batches) {
    for (int b = 0; b < batches; ++b) {
      std::vector<Event> batch;
      int n = static_cast<int>(gen.Uniform(1, 120));
      for (int i = 0; i < n; ++i) batch.push_back(gen.Next());
      std::vector<Event> normalized = batch;
      for (Event& e : normalized) ASSERT_TRUE(NormalizeEvent(options.limits, options.clock(), &e).ok());
      auto r = store.Append(std::move(batch));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->accepted, static_cast<size_t>(n));
      model.insert(model.end(), normalized.begin(), normalized.end());
    }
  };
  {
    auto store = Store::Open(options, dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    append_some(**store, 10);
    CheckAgainstModel(**store, model, &gen, "buffered only");
    ASSERT_TRUE((*store)->Flush().ok());
    append_some(**store, 10);
    CheckAgainstModel(**store, model, &gen, "flushed + buffered");
    ASSERT_TRUE((*store)->Flush().ok());
    append_some(**store, 10);
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_GT((*store)->GetStats().segments, 3u);
    CheckAgainstModel(**store, model, &gen, "three flushes");
    ASSERT_TRUE((*store)->Compact().ok());
    EXPECT_GT((*store)->GetStats().merges, 0u);
    CheckAgainstModel(**store, model, &gen, "merged");
    append_some(**store, 5);
  }
  {
    auto store = Store::Open(options, dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    CheckAgainstModel(**store, model, &gen, "reopened");
    ASSERT_TRUE((*store)->Compact().ok());
    CheckAgainstModel(**store, model, &gen, "reopened and compacted");
  }
}

}  // namespace
}  // namespace trove
