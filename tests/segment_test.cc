// Segment writer and reader against a brute-force model: every answer the reader gives (events,
// projections, postings, prefix postings, trace rows, column block meta) is recomputed from the
// plain vector of events that was written and compared.
#include "storage/segment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "index/postings.h"
#include "index/tokenizer.h"
#include "storage/block_cache.h"
#include "storage/format.h"
#include "tests/segment_test_util.h"
#include "tests/store_test_util.h"

namespace trove {
namespace {

using testing::RandomEventGenerator;
using testing::TempDir;
using RowSet = std::set<uint32_t>;

Event Normalized(Event e) {
  Status s = NormalizeEvent(EventLimits(), testing::kSegNow, &e);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return e;
}

RowSet ToSet(const Roaring& r) { return RowSet(r.begin(), r.end()); }

std::vector<Event> SortedByTime(std::vector<Event> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
  return events;
}

// (field, token) → rows, straight from the events and the one tokenizer.
using TermRows = std::map<std::pair<std::string, std::string>, RowSet>;

TermRows BruteForceTerms(const std::vector<Event>& rows) {
  TermRows terms;
  for (uint32_t r = 0; r < rows.size(); ++r) {
    const Event& e = rows[r];
    auto add = [&](std::string_view field, std::string_view text) {
      for (std::string& t : index::Tokenize(text)) terms[{std::string(field), t}].insert(r);
    };
    add(kFieldMessage, e.message);
    add(kFieldService, e.service);
    add(kFieldHost, e.host);
    add(kFieldLevel, LevelName(e.level));
    for (const Attribute& a : e.attributes) add(a.key, ValueToString(a.value));
  }
  return terms;
}

// The event as ReadEvents should return it when asked for `fields` only.
Event Project(const Event& e, const std::vector<std::string>& fields) {
  auto want = [&](std::string_view f) {
    return std::find(fields.begin(), fields.end(), f) != fields.end();
  };
  Event out;
  if (want(kFieldTime)) out.time_ns = e.time_ns;
  if (want(kFieldLevel)) out.level = e.level;
  if (want(kFieldService)) out.service = e.service;
  if (want(kFieldHost)) out.host = e.host;
  if (want(kFieldMessage)) out.message = e.message;
  if (want(kFieldTraceId)) out.trace_id = e.trace_id;
  if (want(kFieldSpanId)) out.span_id = e.span_id;
  if (want(kFieldParentSpanId)) out.parent_span_id = e.parent_span_id;
  for (const Attribute& a : e.attributes) {
    if (want(a.key)) out.attributes.push_back(a);
  }
  return out;
}

// What one column should hold: per row, whether it has a value and the value (for int-like
// columns as int64, doubles as double, strings as text).
struct ExpectedColumn {
  std::string name;
  uint8_t kind = 0;
  ValueType type = ValueType::kString;
  std::vector<bool> present;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
};

// The columns the writer must produce, in FORMAT.md §4.2 order.
std::vector<ExpectedColumn> BruteForceColumns(const std::vector<Event>& rows) {
  const size_t n = rows.size();
  auto column = [&](std::string name, uint8_t kind, ValueType type) {
    ExpectedColumn c;
    c.name = std::move(name);
    c.kind = kind;
    c.type = type;
    c.present.assign(n, false);
    c.ints.assign(n, 0);
    c.doubles.assign(n, 0);
    c.strings.assign(n, "");
    return c;
  };
  std::vector<ExpectedColumn> out;
  ExpectedColumn time = column(std::string(kFieldTime), format::kKindBuiltin, ValueType::kInt64);
  ExpectedColumn level = column(std::string(kFieldLevel), format::kKindBuiltin, ValueType::kInt64);
  for (size_t r = 0; r < n; ++r) {
    time.present[r] = level.present[r] = true;
    time.ints[r] = rows[r].time_ns;
    level.ints[r] = static_cast<int64_t>(rows[r].level);
  }
  out.push_back(std::move(time));
  out.push_back(std::move(level));
  const std::pair<std::string_view, std::string Event::*> strings[] = {
      {kFieldService, &Event::service}, {kFieldHost, &Event::host},
      {kFieldMessage, &Event::message}, {kFieldTraceId, &Event::trace_id},
      {kFieldSpanId, &Event::span_id},  {kFieldParentSpanId, &Event::parent_span_id}};
  for (const auto& [name, member] : strings) {
    ExpectedColumn c = column(std::string(name), format::kKindBuiltin, ValueType::kString);
    bool any = false;
    for (size_t r = 0; r < n; ++r) {
      const std::string& v = rows[r].*member;
      if (v.empty()) continue;  // an empty built-in string is "absent"
      c.present[r] = any = true;
      c.strings[r] = v;
    }
    if (any) out.push_back(std::move(c));
  }
  std::map<std::pair<std::string, ValueType>, ExpectedColumn> attrs;
  for (size_t r = 0; r < n; ++r) {
    for (const Attribute& a : rows[r].attributes) {
      auto key = std::make_pair(a.key, TypeOf(a.value));
      auto it = attrs.find(key);
      if (it == attrs.end()) {
        it = attrs.emplace(key, column(a.key, format::kKindAttribute, TypeOf(a.value))).first;
      }
      ExpectedColumn& c = it->second;
      c.present[r] = true;
      switch (TypeOf(a.value)) {
        case ValueType::kString:
          c.strings[r] = std::get<std::string>(a.value);
          break;
        case ValueType::kInt64:
          c.ints[r] = std::get<int64_t>(a.value);
          break;
        case ValueType::kDouble:
          c.doubles[r] = std::get<double>(a.value);
          break;
        case ValueType::kBool:
          c.ints[r] = std::get<bool>(a.value) ? 1 : 0;
          break;
      }
    }
  }
  for (auto& [key, c] : attrs) out.push_back(std::move(c));
  return out;
}

uint8_t ExpectedEncoding(const ExpectedColumn& c) {
  if (c.kind == format::kKindBuiltin) {
    if (c.name == kFieldTime) return format::kEncodingIntDelta;
    if (c.name == kFieldLevel) return format::kEncodingByte;
    if (c.name == kFieldTraceId || c.name == kFieldSpanId || c.name == kFieldParentSpanId) {
      return format::kEncodingId;
    }
  } else {
    switch (c.type) {
      case ValueType::kInt64:
        return format::kEncodingIntFor;
      case ValueType::kDouble:
        return format::kEncodingDouble;
      case ValueType::kBool:
        return format::kEncodingByte;
      case ValueType::kString:
        break;
    }
  }
  // Strings: dictionary when there are at most min(65536, present/4 + 1) distinct values.
  std::set<std::string> distinct;
  size_t present = 0;
  for (size_t r = 0; r < c.present.size(); ++r) {
    if (!c.present[r]) continue;
    ++present;
    distinct.insert(c.strings[r]);
  }
  return distinct.size() <= std::min<size_t>(65536, present / 4 + 1) ? format::kEncodingStringDict
                                                                     : format::kEncodingStringPlain;
}

void CheckColumns(const SegmentReader& reader, const std::vector<Event>& rows,
                  uint32_t block_rows) {
  const std::vector<ExpectedColumn> want = BruteForceColumns(rows);
  const std::vector<ColumnMeta>& got = reader.meta().columns;
  ASSERT_EQ(got.size(), want.size());
  const size_t n = rows.size();
  const size_t nblocks = (n + block_rows - 1) / block_rows;
  for (size_t i = 0; i < want.size(); ++i) {
    const ExpectedColumn& w = want[i];
    const ColumnMeta& c = got[i];
    SCOPED_TRACE("column " + w.name + " type " + std::to_string(static_cast<int>(w.type)));
    ASSERT_EQ(c.name, w.name);
    EXPECT_EQ(c.kind, w.kind);
    EXPECT_EQ(c.type, w.type);
    EXPECT_EQ(c.encoding, ExpectedEncoding(w));
    // FindColumn is a linear scan: check a sample when there are thousands of columns.
    if (i < 64 || i % 97 == 0) {
      EXPECT_EQ(reader.FindColumn(w.name, w.type), &c);
    }
    EXPECT_EQ(c.present,
              static_cast<uint32_t>(std::count(w.present.begin(), w.present.end(), true)));
    if (c.encoding == format::kEncodingStringDict) {
      std::set<std::string> distinct;
      for (size_t r = 0; r < n; ++r) {
        if (w.present[r]) distinct.insert(w.strings[r]);
      }
      EXPECT_EQ(c.dictionary_size, distinct.size());
    }
    ASSERT_EQ(c.blocks.size(), nblocks);
    for (size_t b = 0; b < nblocks; ++b) {
      const ColumnBlockMeta& bm = c.blocks[b];
      const size_t first = b * block_rows;
      const size_t end = std::min(n, first + block_rows);
      SCOPED_TRACE("block " + std::to_string(b));
      EXPECT_EQ(bm.first_row, first);
      EXPECT_EQ(bm.num_rows, end - first);
      uint32_t present = 0;
      bool seen = false;
      int64_t lo = 0, hi = 0;
      double dlo = 0, dhi = 0;
      for (size_t r = first; r < end; ++r) {
        if (!w.present[r]) continue;
        ++present;
        if (!seen) {
          lo = hi = w.ints[r];
          dlo = dhi = w.doubles[r];
          seen = true;
        }
        lo = std::min(lo, w.ints[r]);
        hi = std::max(hi, w.ints[r]);
        dlo = std::min(dlo, w.doubles[r]);
        dhi = std::max(dhi, w.doubles[r]);
      }
      EXPECT_EQ(bm.present, present);
      if (w.type == ValueType::kDouble) {
        EXPECT_EQ(bm.min_double, dlo);
        EXPECT_EQ(bm.max_double, dhi);
      } else if (w.type != ValueType::kString) {
        EXPECT_EQ(bm.min_int, lo);
        EXPECT_EQ(bm.max_int, hi);
      }
      // The decoded block holds exactly the values of its rows.
      ColumnBlock block;
      Status s = reader.ReadColumnBlock(c, b, &block);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(block.first_row, first);
      ASSERT_EQ(block.num_rows, end - first);
      for (size_t r = first; r < end; ++r) {
        const uint32_t i = static_cast<uint32_t>(r - first);
        ASSERT_EQ(block.IsPresent(i), w.present[r]) << "row " << r;
        if (!w.present[r]) continue;
        switch (c.encoding) {
          case format::kEncodingDouble:
            EXPECT_EQ(block.doubles[i], w.doubles[r]);
            break;
          case format::kEncodingIntDelta:
          case format::kEncodingIntFor:
          case format::kEncodingByte:
            EXPECT_EQ(block.ints[i], w.ints[r]) << "row " << r;
            break;
          default:
            EXPECT_EQ(block.StringAt(i), w.strings[r]) << "row " << r;
            break;
        }
      }
    }
  }
}

void CheckTerms(const SegmentReader& reader, const std::vector<Event>& rows, std::mt19937_64* rng) {
  const TermRows want = BruteForceTerms(rows);

  // The term index holds exactly the brute-force terms, with the right postings.
  TermRows listed;
  bool duplicate = false;
  Status s = reader.ForEachTerm(
      [&](std::string_view field, std::string_view token, std::string_view postings) {
        Roaring r;
        EXPECT_TRUE(index::DecodePostings(postings, &r)) << field << "/" << token;
        auto [it, inserted] =
            listed.emplace(std::make_pair(std::string(field), std::string(token)), ToSet(r));
        duplicate |= !inserted;
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(duplicate);
  EXPECT_EQ(listed.size(), want.size());
  for (const auto& [term, set] : want) {
    auto it = listed.find(term);
    if (it == listed.end()) {
      ADD_FAILURE() << "ForEachTerm misses " << term.first << "/" << term.second;
    } else {
      EXPECT_EQ(it->second, set) << term.first << "/" << term.second;
    }
  }
  for (const auto& [term, set] : listed) {
    if (!want.count(term)) ADD_FAILURE() << "unexpected term " << term.first << "/" << term.second;
  }

  // Point lookups.
  for (const auto& [term, set] : want) {
    auto got = reader.Postings(term.first, term.second);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(ToSet(*got), set) << "Postings(" << term.first << ", " << term.second << ")";
    auto shared = reader.SharedPostings(term.first, term.second);
    ASSERT_TRUE(shared.ok()) << shared.status().ToString();
    EXPECT_EQ(ToSet(**shared), set) << "SharedPostings(" << term.first << ", " << term.second << ")";
  }
  std::set<std::string> fields;
  for (const auto& [term, set] : want) fields.insert(term.first);
  for (const std::string& field : fields) {
    for (std::string_view absent : {"zzzz_absent", "", "0000000000000000000000000"}) {
      if (want.count({field, std::string(absent)})) continue;
      auto got = reader.Postings(field, absent);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_TRUE(got->isEmpty()) << field << "/" << absent;
    }
  }
  for (std::string_view absent_field : {"", "nosuchfield", "_ms", "level2", "\x7f"}) {
    auto got = reader.Postings(absent_field, "error");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->isEmpty()) << absent_field;
  }

  // Prefix lookups: the empty prefix, prefixes of real tokens (some shared by many tokens,
  // some cutting a UTF-8 sequence), whole tokens, and prefixes nothing starts with.
  std::map<std::string, std::vector<std::string>> tokens_of;
  for (const auto& [term, set] : want) tokens_of[term.first].push_back(term.second);
  auto brute_prefix = [&](const std::string& field, const std::string& prefix) {
    RowSet out;
    for (const std::string& t : tokens_of[field]) {
      if (t.compare(0, prefix.size(), prefix) == 0) {
        const RowSet& rows_of = want.at({field, t});
        out.insert(rows_of.begin(), rows_of.end());
      }
    }
    return out;
  };
  std::vector<std::string> absent_fields = {"", "nosuchfield", "us.", "~"};
  for (const std::string& f : absent_fields) tokens_of[f];
  for (auto& [field, tokens] : tokens_of) {
    std::set<std::string> prefixes = {"", "~~", "zzzzzz", "\xff"};
    for (int k = 0; k < 12 && !tokens.empty(); ++k) {
      const std::string& t = tokens[(*rng)() % tokens.size()];
      prefixes.insert(t);
      prefixes.insert(t.substr(0, 1 + (*rng)() % std::max<size_t>(1, t.size())));
      prefixes.insert(t + "q");
    }
    for (const std::string& p : prefixes) {
      auto got = reader.PrefixPostings(field, p);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(ToSet(*got), brute_prefix(field, p))
          << "PrefixPostings(" << field << ", " << p << ")";
    }
  }
}

void CheckTraces(const SegmentReader& reader, const std::vector<Event>& rows) {
  std::map<std::string, RowSet> want;
  for (uint32_t r = 0; r < rows.size(); ++r) {
    if (!rows[r].trace_id.empty()) want[rows[r].trace_id].insert(r);
  }
  for (const auto& [id, set] : want) {
    auto got = reader.TraceRows(id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(ToSet(*got), set) << "TraceRows(" << id << ")";
    // The trace's events, read without its trace_id column: the same as the rows.
    auto events = reader.ReadTraceEvents(*got, id);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    ASSERT_EQ(events->size(), set.size());
    size_t k = 0;
    for (uint32_t r : set) EXPECT_EQ((*events)[k++], rows[r]) << "trace " << id << ", row " << r;
  }
  EXPECT_FALSE(reader.ReadTraceEvents(Roaring(), "").ok()) << "an empty trace ID is an error";
  // IDs that are not in the segment, among them case twins of IDs that are.
  std::vector<std::string> unknown = {
      "", "req-unknown", "ABC", "abcd", "0", "00", std::string(32, '0'), std::string(64, 'f')};
  for (const auto& [id, set] : want) {
    std::string upper = id, lower = id;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    unknown.push_back(upper);
    unknown.push_back(lower);
    unknown.push_back(id + "0");
    unknown.push_back(id.substr(0, id.size() - 1));
  }
  for (const std::string& id : unknown) {
    if (want.count(id)) continue;
    auto got = reader.TraceRows(id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got->isEmpty()) << "TraceRows(" << id << ") of an unknown ID";
  }
  std::vector<std::string> listed;
  Status s = reader.ForEachTraceId([&](const std::string& id) { listed.push_back(id); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> want_ids;
  for (const auto& [id, set] : want) want_ids.push_back(id);
  EXPECT_EQ(listed, want_ids);
}

// Writes `events` as one segment and checks every reader answer against brute force.
void CheckSegment(const std::vector<Event>& events, const SegmentWriteOptions& options,
                  uint64_t seed) {
  TempDir dir("segment");
  const uint64_t id = 0xab + seed % 1000;
  const int64_t partition = 7;
  const std::string path = dir.path() + "/" + SegmentFileName(id);
  SegmentMeta written;
  uint64_t file_size = 0;
  Status s = WriteSegment(FileSystem::Default(), path, id, partition, events, options, &written,
                          &file_size);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(file_size, std::filesystem::file_size(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  const std::vector<Event> rows = SortedByTime(events);
  const uint32_t n = static_cast<uint32_t>(rows.size());
  auto opened = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const SegmentReader& reader = **opened;
  EXPECT_EQ(reader.path(), path);
  EXPECT_EQ(reader.file_size(), file_size);
  EXPECT_EQ(reader.id(), id);
  EXPECT_EQ(reader.rows(), n);
  EXPECT_EQ(reader.meta().partition, partition);
  EXPECT_EQ(reader.meta().min_time, rows.front().time_ns);
  EXPECT_EQ(reader.meta().max_time, rows.back().time_ns);
  uint64_t raw_bytes = 0;
  for (const Event& e : rows) raw_bytes += e.ApproximateSize();
  EXPECT_EQ(reader.meta().raw_bytes, raw_bytes);
  EXPECT_EQ(written.rows, n);
  EXPECT_EQ(written.raw_bytes, raw_bytes);

  s = reader.Verify();
  EXPECT_TRUE(s.ok()) << s.ToString();

  // Every event, in time order, ties in input order.
  auto all = reader.ReadAllEvents();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), rows.size());
  for (uint32_t r = 0; r < n; ++r) {
    ASSERT_EQ((*all)[r], rows[r]) << "row " << r;
  }

  std::mt19937_64 rng(seed);
  // Random subsets of rows: empty, single rows at the edges, sparse and dense.
  std::vector<Roaring> subsets(4);
  subsets[1].add(0);
  subsets[2].add(n - 1);
  subsets[3].add(0);
  subsets[3].add(n - 1);
  // A few rows per block, before any dense subset has filled the block cache: ReadEvents
  // decodes just those rows of each block (the needle-search path).
  for (uint32_t stride : {37u, 331u, 4099u}) {
    Roaring r;
    for (uint32_t row = stride / 2; row < n; row += stride) r.add(row);
    subsets.push_back(std::move(r));
  }
  for (int k = 0; k < 12; ++k) {
    Roaring r;
    const uint64_t density = 1 + rng() % 8;
    for (uint32_t row = 0; row < n; ++row) {
      if (rng() % 8 < density && rng() % 3 == 0) r.add(row);
    }
    subsets.push_back(std::move(r));
  }
  for (const Roaring& subset : subsets) {
    auto got = reader.ReadEvents(subset);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), subset.cardinality());
    size_t i = 0;
    for (uint32_t row : subset) EXPECT_EQ((*got)[i++], rows[row]) << "row " << row;
  }
  {
    Roaring past;
    past.add(n);
    EXPECT_FALSE(reader.ReadEvents(past).ok()) << "row past the end must be refused";
  }

  // Projections: only the requested fields are filled.
  const std::vector<std::vector<std::string>> projections = {
      {},
      {"_msg"},
      {"service", "level"},
      {"_time", "trace_id", "span_id", "parent_span_id"},
      {"host", "nosuchfield"},
      {"user", "k", "ratio"},
      {"_msg", "us", "user.id", "status", "ok", "Tag", "é_key", "_time"},
  };
  for (const auto& fields : projections) {
    Roaring subset = subsets.back();
    subset.add(0);
    auto got = reader.ReadEvents(subset, &fields);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), subset.cardinality());
    size_t i = 0;
    for (uint32_t row : subset) {
      EXPECT_EQ((*got)[i++], Project(rows[row], fields))
          << "row " << row << " fields " << ::testing::PrintToString(fields);
    }
  }

  CheckColumns(reader, rows, options.block_rows);
  // Index lookups three times: reading and caching term blocks, from the term-block cache, and
  // with the caches off. Each pass checks every answer against brute force.
  // The second pass makes the same lookups as the first (same random prefixes).
  const std::mt19937_64 rng_before = rng;
  CheckTerms(reader, rows, &rng);
  CheckTraces(reader, rows);
  const uint64_t misses = TermBlockCache::Default()->misses();
  const uint64_t hits = TermBlockCache::Default()->hits();
  {
    SCOPED_TRACE("term blocks cached");
    std::mt19937_64 again = rng_before;
    CheckTerms(reader, rows, &again);
    CheckTraces(reader, rows);
  }
  EXPECT_EQ(TermBlockCache::Default()->misses(), misses)
      << "the second pass of lookups should find every term block cached";
  EXPECT_GT(TermBlockCache::Default()->hits(), hits);
  {
    SCOPED_TRACE("caches off");
    SetCacheBudget(0);
    CheckTerms(reader, rows, &rng);
    CheckTraces(reader, rows);
    SetCacheBudget(size_t{256} << 20);
  }
}

SegmentWriteOptions SmallBlocks() {
  SegmentWriteOptions o;
  o.block_rows = 64;
  o.term_block_bytes = 256;
  o.frame_bytes = 1;  // every column framed: blocks of four 16-row frames, some with no value
  o.frame_row_step = 16;
  o.framed_block_bytes = 0;
  o.zstd_dictionary_bytes = 256;
  return o;
}

TEST(SegmentTest, RandomEventsRoundTripAgainstBruteForce) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  RandomEventGenerator gen(seed);
  std::vector<Event> events;
  const int n = 300 + static_cast<int>(gen.Uniform(200));
  for (int i = 0; i < n; ++i) {
    Event e = gen.Next();
    // Now and then the same key twice with different types: the last one wins.
    if (gen.Uniform(10) == 0) {
      Attribute dup = gen.RandomAttribute();
      dup.key = "status";
      e.attributes.push_back(dup);
    }
    events.push_back(Normalized(std::move(e)));
  }
  {
    SCOPED_TRACE("block_rows 64, term blocks 256 bytes");
    CheckSegment(events, SmallBlocks(), seed);
  }
  {
    SCOPED_TRACE("block_rows 7, one term per term block, zstd level 1");
    SegmentWriteOptions o;
    o.block_rows = 7;
    o.term_block_bytes = 1;
    o.zstd_level = 1;
    CheckSegment(events, o, seed + 1);
  }
  {
    SCOPED_TRACE("default options");
    CheckSegment(events, SegmentWriteOptions(), seed + 2);
  }
}

TEST(SegmentTest, BlockBoundaries) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  RandomEventGenerator gen(seed);
  for (int n : {63, 64, 65, 128, 129}) {
    SCOPED_TRACE("rows " + std::to_string(n));
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) events.push_back(Normalized(gen.Next()));
    CheckSegment(events, SmallBlocks(), seed + n);
  }
}

TEST(SegmentTest, SingleEvent) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  {
    SCOPED_TRACE("only a time");
    Event e;
    e.time_ns = testing::kSegNow;
    CheckSegment({Normalized(e)}, SmallBlocks(), seed);
  }
  {
    SCOPED_TRACE("every field");
    Event e;
    e.time_ns = testing::kSegNow;
    e.service = "api";
    e.host = "h1";
    e.level = Level::kFatal;
    e.message = "ERROR: blk_-123 user=42 café";
    e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    e.span_id = "00f067aa0ba902b7";
    e.parent_span_id = "SPAN-1";
    e.attributes = {{"b", true}, {"d", 1.5}, {"i", int64_t{-7}}, {"s", std::string("x y")}};
    CheckSegment({Normalized(e)}, SmallBlocks(), seed + 1);
  }
  {
    SCOPED_TRACE("time 0");
    Event e;
    e.message = "epoch";
    CheckSegment({Normalized(e)}, SegmentWriteOptions(), seed + 2);
  }
}

// A frequent term's list is decoded once and then shared from PostingsCache; a rare term's
// never enters it; both answer the same as brute force, and a closed reader's entries are
// never found by a new reader of the same file.
TEST(SegmentTest, FrequentTermPostingsAreCachedAndShared) {
  std::vector<Event> events;
  Roaring common, rare;
  for (uint32_t i = 0; i < 3000; ++i) {
    Event e;
    e.time_ns = testing::kSegNow + i;
    // Every other row: ~1,500 bytes of postings (all rows would be one tiny roaring run).
    e.message = (i % 2 ? "common word " : "word ") + std::to_string(i * 7919 % 3001);
    if (i % 500 == 3) {
      e.message += " rare";
      rare.add(i);
    }
    if (i % 2) common.add(i);
    events.push_back(Normalized(std::move(e)));
  }
  TempDir dir("segment");
  const std::string path = dir.path() + "/" + SegmentFileName(9);
  SegmentMeta meta;
  uint64_t size;
  ASSERT_TRUE(WriteSegment(FileSystem::Default(), path, 9, 0, events, SegmentWriteOptions(),
                           &meta, &size)
                  .ok());
  auto open = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  const SegmentReader& reader = **open;
  PostingsCache* cache = PostingsCache::Default();

  const uint64_t misses = cache->misses(), hits = cache->hits();
  auto first = reader.SharedPostings("_msg", "common");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(**first, common);
  EXPECT_EQ(cache->misses(), misses + 1);
  auto second = reader.SharedPostings("_msg", "common");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->get(), first->get()) << "the second lookup should share the cached list";
  EXPECT_EQ(cache->hits(), hits + 1);
  auto copied = reader.Postings("_msg", "common");
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(*copied, common);

  auto few = reader.SharedPostings("_msg", "rare");
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(**few, rare);
  auto absent = reader.SharedPostings("_msg", "absent");
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE((*absent)->isEmpty());
  EXPECT_EQ(cache->misses(), misses + 1) << "short lists and absent terms bypass the cache";
  EXPECT_EQ(cache->hits(), hits + 2);

  auto reopened = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(reopened.ok());
  auto again = (*reopened)->SharedPostings("_msg", "common");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->get(), first->get()) << "a new reader has its own cache entries";
  EXPECT_EQ(**again, common);

  SetCacheBudget(0);
  auto uncached = reader.SharedPostings("_msg", "common");
  SetCacheBudget(size_t{256} << 20);
  ASSERT_TRUE(uncached.ok());
  EXPECT_EQ(**uncached, common);
  EXPECT_NE(uncached->get(), first->get());
}

// A segment's column dictionaries (a dictionary-encoded column's values, the messages' zstd
// dictionary) live in the block cache, charged to its budget: readers of a large store do not
// each keep theirs for life. Evicted ones are decoded again on the next read.
TEST(SegmentTest, ColumnDictionariesAreChargedToTheBlockCache) {
  std::vector<Event> events;
  for (uint32_t i = 0; i < 6000; ++i) {
    Event e;
    e.time_ns = testing::kSegNow + i;
    e.service = "svc-" + std::to_string(i % 7);
    // 1,200 long distinct hosts: a dictionary of ~190 KB, larger than any partial block.
    e.host = "host-" + std::to_string(i % 1200) + "-" + std::string(150, 'a' + i % 1200 % 26);
    e.message = "request " + std::to_string(i * 7919 % 6007) + " served by worker " +
                std::to_string(i % 13) + " in " + std::to_string(i % 97) + " ms";
    events.push_back(Normalized(std::move(e)));
  }
  SegmentWriteOptions options;
  options.frame_bytes = 4096;  // framed messages with a zstd dictionary
  options.framed_block_bytes = 1024;
  options.zstd_dictionary_bytes = 2048;
  TempDir dir("segment");
  const std::string path = dir.path() + "/" + SegmentFileName(5);
  SegmentMeta meta;
  uint64_t size;
  ASSERT_TRUE(WriteSegment(FileSystem::Default(), path, 5, 0, events, options, &meta, &size).ok());
  size_t host_values = 0;
  for (uint32_t i = 0; i < 1200; ++i) host_values += events[i].host.size();
  const ColumnMeta* host = nullptr;
  for (const ColumnMeta& c : meta.columns) {
    if (c.name == kFieldHost) host = &c;
    if (c.name == kFieldMessage) {
      EXPECT_GT(c.zstd_dictionary.size, 0u) << "the test wants framed messages with a dictionary";
    }
  }
  ASSERT_NE(host, nullptr);
  ASSERT_EQ(host->encoding, format::kEncodingStringDict);

  BlockCache* cache = BlockCache::Default();
  SetCacheBudget(size_t{256} << 20);
  auto open = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  const SegmentReader& reader = **open;
  Roaring one;
  one.add(4321);
  const std::vector<std::string> host_only{std::string(kFieldHost)};
  // The first few sparse reads of the column decode only their rows' values from the
  // dictionary block; a partial block then holds (and is charged for) just those.
  for (uint32_t k = 0; k < SegmentReader::kSparseDictionaryReads; ++k) {
    Roaring row;
    row.add(4321 - 1000 * k);  // another row each time
    const size_t before = cache->usage();
    auto read = reader.ReadEvents(row, &host_only);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ((*read)[0].host, events[4321 - 1000 * k].host) << "read " << k;
    EXPECT_LT(cache->usage(), before + host_values / 4)
        << "read " << k << ": only the row's value, not the whole dictionary";
  }
  // After those, the column is read often in pieces: its whole dictionary is decoded, cached
  // and charged, and later sparse reads share it.
  Roaring fifth;
  fifth.add(4400);  // a row no partial block holds yet
  const size_t before = cache->usage();
  auto read = reader.ReadEvents(fifth, &host_only);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].host, events[4400].host);
  EXPECT_GE(cache->usage(), before + host_values) << "the host dictionary is charged to the cache";

  // Many readers of the file (as many segments would) under a budget that holds a few of
  // their dictionaries: the cache stays within it, and every read still answers right.
  SetCacheBudget(size_t{4} << 20);
  std::vector<std::shared_ptr<SegmentReader>> readers;
  for (int k = 0; k < 40; ++k) {
    auto r = SegmentReader::Open(FileSystem::Default(), path);
    ASSERT_TRUE(r.ok());
    readers.push_back(*r);
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t k = 0; k < readers.size(); ++k) {
      Roaring rows;
      const uint32_t row = static_cast<uint32_t>((k * 977 + round * 131) % events.size());
      rows.add(row);
      auto got = readers[k]->ReadEvents(rows);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->size(), 1u);
      EXPECT_EQ((*got)[0], events[row]) << "reader " << k << ", row " << row;
      EXPECT_LE(cache->usage(), cache->capacity());
    }
  }
  SetCacheBudget(0);  // nothing cached: dictionaries are decoded for each read
  auto uncached = reader.ReadEvents(one);
  SetCacheBudget(size_t{256} << 20);
  ASSERT_TRUE(uncached.ok()) << uncached.status().ToString();
  EXPECT_EQ((*uncached)[0], events[4321]);
}

// Field values are memoised per segment up to a cap (TermCollector::kMemoValues); a field
// with more distinct values goes on token by token. Both halves answer as brute force does.
TEST(SegmentTest, ManyDistinctValuesOfOneField) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<Event> events;
  for (int i = 0; i < 20000; ++i) {
    Event e;
    e.time_ns = testing::kSegNow + i;
    e.service = i % 3 ? "api" : "Payment Gateway";
    // Unique for the first 17000 events, then repeats of early values.
    const int id = i < 17000 ? i : static_cast<int>(rng() % 100);
    e.attributes = {{"req", "Req-" + std::to_string(id) + " shared"},
                    {"n", static_cast<int64_t>(id % 50)}};
    events.push_back(Normalized(std::move(e)));
  }
  SegmentWriteOptions options;
  options.block_rows = 4096;
  CheckSegment(events, options, seed);
}

// Format 4: a large column dictionary is stored in frames of dictionary_frame_values values
// (a client IP or a user among thousands then costs one frame). Every way of reading it, the
// first sparse reads of fresh readers (their rows' values alone, by frame), later ones (the
// whole dictionary, decoded once), whole blocks and Verify, gives the events' values; small
// dictionaries and cold segments stay unframed.
TEST(SegmentTest, FramedDictionariesReadLikeWholeOnes) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<Event> events;
  for (int i = 0; i < 20000; ++i) {
    Event e;
    e.time_ns = testing::kSegNow + i;
    e.message = "m";
    e.service = "svc-" + std::to_string(i % 7);  // a small dictionary
    if (i % 5 != 0) {  // and a large one, with absent rows
      e.attributes = {{"client.ip", "10." + std::to_string(rng() % 3000) + ".7.1"}};
    }
    events.push_back(Normalized(std::move(e)));
  }
  const std::vector<Event> rows = SortedByTime(events);
  TempDir dir("segment");
  for (const bool cold : {false, true}) {
    SCOPED_TRACE(cold ? "cold" : "hot");
    const std::string path = dir.path() + "/" + SegmentFileName(cold ? 8 : 7);
    SegmentMeta meta;
    uint64_t size = 0;
    const SegmentWriteOptions options = cold ? ColdSegmentWriteOptions() : SegmentWriteOptions();
    ASSERT_TRUE(
        WriteSegment(FileSystem::Default(), path, cold ? 8 : 7, 0, events, options, &meta, &size)
            .ok());
    EXPECT_EQ(meta.format_version,
              cold ? format::kSegmentFormatVersion3 : format::kSegmentFormatVersion4);
    auto opened = SegmentReader::Open(FileSystem::Default(), path);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    const ColumnMeta* ip = (*opened)->FindColumn("client.ip", ValueType::kString);
    const ColumnMeta* svc = (*opened)->FindColumn("service", ValueType::kString);
    ASSERT_NE(ip, nullptr);
    ASSERT_NE(svc, nullptr);
    ASSERT_EQ(ip->encoding, format::kEncodingStringDict);
    EXPECT_GT(ip->dictionary_size, 2000u);
    EXPECT_EQ(ip->dictionary.codec == format::kCodecZstdFrames, !cold);
    EXPECT_NE(svc->dictionary.codec, format::kCodecZstdFrames);
    EXPECT_TRUE((*opened)->Verify().ok());
    // Fresh readers: each reads a few rows, then more rows than the sparse reads allowed.
    for (int round = 0; round < 3; ++round) {
      auto reader = SegmentReader::Open(FileSystem::Default(), path);
      ASSERT_TRUE(reader.ok());
      for (int read = 0; read < 2 * static_cast<int>(SegmentReader::kSparseDictionaryReads);
           ++read) {
        Roaring want;
        const size_t n = 1 + rng() % 5;
        while (want.cardinality() < n) want.add(static_cast<uint32_t>(rng() % rows.size()));
        auto got = (*reader)->ReadEvents(want);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        size_t k = 0;
        for (uint32_t r : want) EXPECT_EQ((*got)[k++], rows[r]) << "row " << r;
      }
    }
    auto all = (*opened)->ReadAllEvents();
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(*all, rows);
  }
}

TEST(SegmentTest, TenThousandAttributes) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  RandomEventGenerator gen(seed);
  std::vector<Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(Normalized(gen.Next()));
  Event wide = gen.Next();
  wide.attributes.clear();
  for (int i = 0; i < 10000; ++i) {
    char key[32];
    snprintf(key, sizeof key, "attr.%05d", i);
    AttrValue v;
    switch (i % 4) {
      case 0:
        v = "v" + std::to_string(i) + " " + gen.Message();
        break;
      case 1:
        v = static_cast<int64_t>(i) * 1000003 - 5000000;
        break;
      case 2:
        v = i / 7.0;
        break;
      default:
        v = i % 3 == 0;
        break;
    }
    wide.attributes.push_back(Attribute{key, std::move(v)});
  }
  events.insert(events.begin() + 2, Normalized(std::move(wide)));
  // Another event shares some keys, with other types.
  Event other = gen.Next();
  other.attributes = {
      {"attr.00000", int64_t{1}}, {"attr.00001", std::string("one")}, {"attr.09999", 2.5}};
  events.push_back(Normalized(std::move(other)));
  ASSERT_EQ(events[2].attributes.size(), 10000u);
  CheckSegment(events, SmallBlocks(), seed);
}

TEST(SegmentTest, EmptyAndHugeMessages) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  RandomEventGenerator gen(seed);
  std::vector<Event> events;
  auto add = [&](std::string msg) {
    Event e = gen.Next();
    e.message = std::move(msg);
    events.push_back(Normalized(std::move(e)));
  };
  add("");
  std::string words;
  while (words.size() < 200 * 1024) words += gen.Message() + " ";
  add(words);
  add(std::string(200 * 1024, 'a'));  // one 200 KB token
  add(std::string(200 * 1024, ' '));  // only separators
  add("");
  for (int i = 0; i < 10; ++i) add(gen.Message());
  CheckSegment(events, SmallBlocks(), seed);
}

// Sparse reads (ReadColumnBlock with `only`, ReadEvents of a few rows) of blocks of megabytes
// match whole-block reads: format 1 decompresses a block only as far as its last wanted row
// (so the prefix grows many times), format 2 only the frames holding wanted rows.
void CheckSparseReads(const SegmentWriteOptions& options, uint64_t seed) {
  RandomEventGenerator gen(seed);
  std::vector<Event> events;
  for (int i = 0; i < 9000; ++i) {
    Event e = gen.Next();
    while (e.message.size() < 400) e.message += " " + gen.Message();
    events.push_back(Normalized(std::move(e)));
  }
  TempDir dir("segment");
  const std::string path = dir.path() + "/" + SegmentFileName(5);
  SegmentMeta meta;
  uint64_t size = 0;
  ASSERT_TRUE(WriteSegment(FileSystem::Default(), path, 5, 0, events, options, &meta, &size).ok());
  auto opened = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const SegmentReader& reader = **opened;
  const std::vector<Event> rows = SortedByTime(events);

  const ColumnMeta* msg = reader.FindColumn("_msg", ValueType::kString);
  ASSERT_NE(msg, nullptr);
  ASSERT_GT(msg->blocks[0].handle.raw_size, 2u << 20);
  if (options.frame_bytes > 0) {
    // Every large block is framed; the messages have a zstd dictionary; a frame is a fraction
    // of the block.
    EXPECT_EQ(meta.format_version, options.dictionary_frame_values > 0
                                       ? format::kSegmentFormatVersion4
                                       : format::kSegmentFormatVersion3);
    EXPECT_EQ(msg->zstd_dictionary.size > 0, options.zstd_dictionary_bytes > 0);
    ASSERT_GT(msg->frame_rows, 0u);
    size_t framed_columns = 0;
    for (const ColumnMeta& c : reader.meta().columns) framed_columns += c.frame_rows > 0;
    if (options.frame_bytes <= (8 << 10)) {
      EXPECT_GE(framed_columns, 4u) << "IDs framed too";
    }
    for (const ColumnMeta& c : reader.meta().columns) {
      EXPECT_EQ(c.frame_rows % options.frame_row_step, 0u) << c.name;
      for (const ColumnBlockMeta& b : c.blocks) {
        if (c.frame_rows > 0 && b.num_rows > c.frame_rows &&
            b.handle.raw_size >= options.framed_block_bytes) {
          EXPECT_EQ(b.handle.codec, format::kCodecZstdFrames) << c.name;
        }
      }
    }
    auto file = FileSystem::Default()->NewRandomAccessFile(path);
    ASSERT_TRUE(file.ok());
    std::unique_ptr<ZstdDictionary> zdict;
    if (msg->zstd_dictionary.size > 0) {
      std::string raw;
      ASSERT_TRUE(ReadBlock(**file, msg->zstd_dictionary, &raw).ok());
      zdict = ZstdDictionary::ForDecompression(raw);
      ASSERT_NE(zdict, nullptr);
    }
    FramedBlock framed;
    ASSERT_TRUE(framed.Open(**file, msg->blocks[0].handle, zdict.get()).ok());
    EXPECT_EQ(framed.frames(), (8192 + msg->frame_rows - 1) / msg->frame_rows);
    auto first = framed.Frame(0);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_LT(first->size(), msg->blocks[0].handle.raw_size / 4);
    if (zdict) {
      // Without the dictionary the frames do not decode.
      FramedBlock no_dict;
      ASSERT_TRUE(no_dict.Open(**file, msg->blocks[0].handle, nullptr).ok());
      EXPECT_FALSE(no_dict.Frame(1).ok());
    }
  } else {
    EXPECT_EQ(meta.format_version, format::kSegmentFormatVersion3);
    for (const ColumnMeta& c : reader.meta().columns) EXPECT_EQ(c.frame_rows, 0u) << c.name;
    // The first row needs a small prefix of the block.
    auto file = FileSystem::Default()->NewRandomAccessFile(path);
    ASSERT_TRUE(file.ok());
    BlockPrefix prefix;
    ASSERT_TRUE(prefix.Open(**file, msg->blocks[0].handle).ok());
    ASSERT_TRUE(prefix.Extend(1).ok());
    EXPECT_GE(prefix.available().size(), 1u);
    EXPECT_LT(prefix.available().size(), prefix.total() / 4);
    ASSERT_TRUE(prefix.Extend(prefix.total() + 1).ok());
    EXPECT_EQ(prefix.available().size(), prefix.total());
  }

  std::mt19937_64 rng(seed);
  std::vector<std::vector<uint32_t>> subsets = {{0}, {1}, {4000}, {8191}, {0, 8191},
                                                {10, 5000, 8000}};
  for (int k = 0; k < 6; ++k) {
    std::set<uint32_t> pick;
    const size_t want = 1 + rng() % 40;
    while (pick.size() < want) pick.insert(static_cast<uint32_t>(rng() % 8192));
    subsets.emplace_back(pick.begin(), pick.end());
  }
  for (const ColumnMeta& c : reader.meta().columns) {
    ColumnBlock whole;
    ASSERT_TRUE(reader.ReadColumnBlock(c, 0, &whole).ok());
    for (const std::vector<uint32_t>& only : subsets) {
      SCOPED_TRACE("column " + c.name + ", rows " + ::testing::PrintToString(only));
      ColumnBlock sparse;
      Status s = reader.ReadColumnBlock(c, 0, &sparse, &only);
      ASSERT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(sparse.decoded_rows, only);
      for (uint32_t i : only) {
        const uint32_t j = sparse.Slot(i);
        ASSERT_EQ(sparse.IsPresent(j), whole.IsPresent(i)) << "row " << i;
        if (!whole.IsPresent(i)) continue;
        if (!whole.ints.empty()) {
          EXPECT_EQ(sparse.ints[j], whole.ints[i]) << "row " << i;
        }
        if (!whole.doubles.empty()) {
          EXPECT_EQ(sparse.doubles[j], whole.doubles[i]) << "row " << i;
        }
        if (!whole.dict_ids.empty()) {
          EXPECT_EQ(sparse.dict_ids[j], whole.dict_ids[i]) << "row " << i;
        }
        if (!whole.string_ends.empty()) {
          EXPECT_EQ(sparse.StringAt(j), whole.StringAt(i)) << "row " << i;
        }
      }
    }
  }
  // Wanted rows that repeat or go backwards are refused, not decoded into the wrong slots.
  for (const std::vector<uint32_t>& bad_rows :
       {std::vector<uint32_t>{5, 5}, std::vector<uint32_t>{9, 3}}) {
    ColumnBlock block;
    Status s = reader.ReadColumnBlock(*msg, 0, &block, &bad_rows);
    EXPECT_FALSE(s.ok()) << ::testing::PrintToString(bad_rows);
  }
  // RowsOfBlock: partial blocks hold the rows asked for and grow with later asks, through the
  // cache; past 1/16 of the block it decodes the whole block.
  {
    SetCacheBudget(0);
    SetCacheBudget(size_t{256} << 20);  // empty, then on
    auto a = reader.RowsOfBlock(*msg, 0, {10, 20});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ((*a)->decoded_rows, (std::vector<uint32_t>{10, 20}));
    EXPECT_EQ((*a)->StringAt((*a)->Slot(10)), rows[10].message);
    EXPECT_EQ((*a)->StringAt((*a)->Slot(20)), rows[20].message);
    auto again = reader.RowsOfBlock(*msg, 0, {20});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->get(), a->get()) << "rows already held come from the cache";
    auto more = reader.RowsOfBlock(*msg, 0, {15, 7000});
    ASSERT_TRUE(more.ok());
    EXPECT_EQ((*more)->decoded_rows, (std::vector<uint32_t>{10, 15, 20, 7000}));
    for (uint32_t r : {10u, 15u, 20u, 7000u}) {
      EXPECT_EQ((*more)->StringAt((*more)->Slot(r)), rows[r].message);
    }
    size_t text = 0;
    for (uint32_t r : {10u, 15u, 20u, 7000u}) text += rows[r].message.size();
    EXPECT_LT(BlockCache::Charge(**more), 2 * text + 512) << "a partial block holds its rows only";
    std::vector<uint32_t> many;
    for (uint32_t r = 0; r < 8192; r += 8) many.push_back(r);
    auto whole = reader.RowsOfBlock(*msg, 0, many);
    ASSERT_TRUE(whole.ok());
    EXPECT_TRUE((*whole)->decoded_rows.empty()) << "many rows: the whole block";
    EXPECT_EQ((*whole)->StringAt(8191), rows[8191].message);
    auto after = reader.RowsOfBlock(*msg, 0, {3});
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->get(), whole->get()) << "a cached whole block serves every row";
    SetCacheBudget(0);
    auto uncached = reader.RowsOfBlock(*msg, 1, {5}, /*fill_cache=*/false);
    ASSERT_TRUE(uncached.ok());
    EXPECT_EQ((*uncached)->StringAt((*uncached)->Slot(5)), rows[8192 + 5].message);
  }
  // Whole events, as a search or trace reads them (the sparse path with a cold cache).
  SetCacheBudget(0);
  for (const std::vector<uint32_t>& only : subsets) {
    Roaring want;
    for (uint32_t r : only) want.add(r);
    auto got = reader.ReadEvents(want);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), only.size());
    for (size_t i = 0; i < only.size(); ++i) {
      EXPECT_EQ((*got)[i], rows[only[i]]) << "row " << only[i];
    }
  }
  SetCacheBudget(size_t{256} << 20);
}

TEST(SegmentTest, SparseReadsOfLargeBlocksMatchWholeBlockReads) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  SegmentWriteOptions format1;
  format1.frame_bytes = 0;
  CheckSparseReads(format1, seed);
}

TEST(SegmentTest, SparseReadsOfFramedBlocksMatchWholeBlockReads) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  CheckSparseReads(SegmentWriteOptions(), seed);
  SegmentWriteOptions odd;  // more columns framed, in frames that do not divide the block,
  odd.frame_bytes = 8 << 10;  // and no dictionary
  odd.frame_row_step = 100;
  odd.zstd_dictionary_bytes = 0;
  CheckSparseReads(odd, seed + 1);
}

// Hot segments cut an unframed block's zstd frame into zstd blocks of at most 16 KiB, so the
// reader of one early row of a block of span IDs (~74 KiB raw, one zstd block by default)
// decompresses a fraction of it; with zstd_block_bytes = 0 it decompresses all of it.
TEST(SegmentTest, SmallZstdBlocksLetPrefixReadsStopEarly) {
  std::mt19937_64 rng(testing::TestSeed());
  std::vector<Event> events;
  for (int i = 0; i < 8192; ++i) {
    Event e;
    e.time_ns = testing::kSegNow + i;
    char span[17];
    snprintf(span, sizeof span, "%016llx", static_cast<unsigned long long>(rng()));
    e.span_id = span;
    events.push_back(Normalized(std::move(e)));
  }
  for (size_t zstd_block_bytes : {size_t{16} << 10, size_t{0}}) {
    SCOPED_TRACE("zstd_block_bytes " + std::to_string(zstd_block_bytes));
    SegmentWriteOptions options;
    options.zstd_block_bytes = zstd_block_bytes;
    TempDir dir("segment");
    const std::string path = dir.path() + "/" + SegmentFileName(6);
    SegmentMeta meta;
    uint64_t size = 0;
    ASSERT_TRUE(
        WriteSegment(FileSystem::Default(), path, 6, 0, events, options, &meta, &size).ok());
    auto reader = SegmentReader::Open(FileSystem::Default(), path);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    const ColumnMeta* spans = (*reader)->FindColumn("span_id", ValueType::kString);
    ASSERT_NE(spans, nullptr);
    const BlockHandle& h = spans->blocks[0].handle;
    ASSERT_EQ(h.codec, format::kCodecZstd);
    ASSERT_GT(h.raw_size, 64u << 10);
    ASSERT_LT(h.raw_size, 128u << 10);
    auto file = FileSystem::Default()->NewRandomAccessFile(path);
    ASSERT_TRUE(file.ok());
    BlockPrefix prefix;
    ASSERT_TRUE(prefix.Open(**file, h).ok());
    ASSERT_TRUE(prefix.Extend(1).ok());
    if (zstd_block_bytes != 0) {
      EXPECT_LT(prefix.available().size(), prefix.total() / 2);
    } else {
      EXPECT_EQ(prefix.available().size(), prefix.total());
    }
    // Either way the rows read back.
    Roaring some;
    some.add(3);
    some.add(8000);
    auto got = (*reader)->ReadEvents(some);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), 2u);
    EXPECT_EQ((*got)[0].span_id, SortedByTime(events)[3].span_id);
    EXPECT_EQ((*got)[1].span_id, SortedByTime(events)[8000].span_id);
  }
}

TEST(SegmentTest, WriteRefusesNoEvents) {
  TempDir dir("segment");
  SegmentMeta meta;
  uint64_t size = 0;
  Status s = WriteSegment(FileSystem::Default(), dir.path() + "/" + SegmentFileName(1), 1, 0,
                          std::vector<Event>{}, SegmentWriteOptions(), &meta, &size);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

TEST(SegmentTest, FileNames) {
  auto check = [](uint64_t id, std::string_view name) {
    EXPECT_EQ(SegmentFileName(id), name);
    uint64_t parsed = 0;
    EXPECT_TRUE(ParseSegmentFileName(name, &parsed)) << name;
    EXPECT_EQ(parsed, id);
  };
  check(0, "seg-0000000000000000.trv");
  check(0xab, "seg-00000000000000ab.trv");
  check(UINT64_MAX, "seg-ffffffffffffffff.trv");
  uint64_t id = 0;
  for (std::string_view bad :
       {"seg-00000000000000AB.trv", "seg-0000000000000ab.trv", "seg-00000000000000ab.trx",
        "xeg-00000000000000ab.trv", "", "seg-00000000000000ab.trv.tmp"}) {
    EXPECT_FALSE(ParseSegmentFileName(bad, &id)) << bad;
  }
}


// The text form of doubles is what the term index holds (`latency_ms:12.5`), so the fast
// DoubleToString must write exactly what the original definition did: the "%.*g" form with the
// fewest digits that reads back as the same double.
std::string ShortestPercentG(double d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", d);
  for (int prec = 1; prec <= 17; ++prec) {
    char shorter[32];
    snprintf(shorter, sizeof shorter, "%.*g", prec, d);
    if (std::strtod(shorter, nullptr) == d) return shorter;
  }
  return buf;
}

TEST(SegmentTest, DoubleToStringIsTheShortestPercentGForm) {
  std::vector<double> values = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 12.5, 100000.0, 1e5, 1e15,
                                1e16, 1e17, 1e21, 1e22, 1e-5, 1e-4, 123456789012345678.0,
                                0.30000000000000004, 5e-324, 2.2250738585072014e-308,
                                1.7976931348623157e308, std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity(),
                                std::numeric_limits<double>::quiet_NaN()};
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double d;
    switch (i % 4) {
      case 0: {  // any bit pattern
        std::memcpy(&d, &x, sizeof d);
        break;
      }
      case 1: d = static_cast<double>(x % 100000) / 10.0; break;  // latencies like 123.4
      case 2: d = static_cast<double>(x % 10000000) / 1000.0; break;
      default: d = static_cast<double>(static_cast<int64_t>(x)) * 1e-9; break;
    }
    values.push_back(d);
  }
  for (double d : values) {
    ASSERT_EQ(DoubleToString(d), ShortestPercentG(d)) << "for the double with %.17g form " << ShortestPercentG(d);
  }
}

}  // namespace
}  // namespace trove
