// The segment reader on damaged files: single-byte flips across the whole file, truncations,
// garbage, a footer with another format version, and (separately) checksum-valid meta blocks
// whose contents lie. The reader must report Corruption naming the file, never crash, and never
// return rows that differ from what was written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "storage/block.h"
#include "storage/coding.h"
#include "storage/format.h"
#include "storage/segment.h"
#include "tests/segment_test_util.h"
#include "tests/store_test_util.h"

namespace trove {
namespace {

using testing::RandomEventGenerator;
using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

constexpr uint64_t kSegmentId = 0x5eed;

// The footer of FORMAT.md §4.3, built from the documented layout (not from the writer's code).
std::string Footer(const BlockHandle& meta, uint32_t version) {
  std::string f;
  PutFixed64(&f, meta.offset);
  PutFixed32(&f, meta.size);
  PutFixed32(&f, meta.raw_size);
  PutFixed32(&f, meta.crc);
  PutFixed32(&f, meta.codec);
  PutFixed32(&f, version);
  PutFixed32(&f, Crc32(f));
  PutFixed64(&f, format::kSegmentMagic);
  return f;
}

int FailureCount() {
  return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
}

// A valid segment file and what its reader answered before any damage. The parameter is the
// segment format version written: 1 (one zstd frame per block), 2 (every column framed, in
// frames of two rows, so that sparse reads decompress single frames), 3 (2 with a term filter)
// or 4 (3 with dictionaries framed two values a frame).
class CorruptionTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    seed_ = testing::TestSeed();
    RandomEventGenerator gen(seed_);
    std::vector<Event> events;
    for (int i = 0; i < 16; ++i) {
      Event e = gen.Next();
      // Three values over 16 rows: a dictionary-encoded column in every segment.
      e.attributes.push_back({"fx.k", std::string("kind ") + std::to_string(i % 3)});
      // A few rows with one attribute column of each type under keys the generator never
      // uses, so that the tests below always find them.
      if (i % 8 == 3) {
        e.attributes.push_back({"fx.s", std::string("fixed ") + std::to_string(i)});
        e.attributes.push_back({"fx.i", int64_t{i} * 1000});
        e.attributes.push_back({"fx.d", i / 4.0});
        e.attributes.push_back({"fx.b", i % 2 == 0});
        e.service = "svc" + std::to_string(i);
      }
      ASSERT_TRUE(NormalizeEvent(EventLimits(), testing::kSegNow, &e).ok());
      events.push_back(std::move(e));
    }
    SegmentWriteOptions options;
    options.block_rows = 8;
    options.term_block_bytes = 128;
    options.frame_bytes = 0;
    options.term_filter = GetParam() >= format::kSegmentFormatVersion3;
    // Format 4: dictionaries framed two values a frame (fx.k's three values: two frames).
    options.dictionary_frame_values = GetParam() >= format::kSegmentFormatVersion4 ? 2 : 0;
    if (GetParam() >= format::kSegmentFormatVersion2) {
      options.frame_bytes = 1;
      options.frame_row_step = 2;
      options.framed_block_bytes = 0;
    }
    name_ = SegmentFileName(kSegmentId);
    original_path_ = dir_.path() + "/orig-" + name_;
    path_ = dir_.path() + "/" + name_;
    SegmentMeta meta;
    uint64_t size = 0;
    Status s = WriteSegment(FileSystem::Default(), original_path_, kSegmentId, 0, events, options,
                            &meta, &size);
    ASSERT_TRUE(s.ok()) << s.ToString();
    bytes_ = ReadFileBytes(original_path_);
    ASSERT_EQ(bytes_.size(), size);

    auto reader = SegmentReader::Open(FileSystem::Default(), original_path_);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    original_ = *reader;
    auto all = original_->ReadAllEvents();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    events_ = *all;
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
    ASSERT_EQ(events_, events);
    ASSERT_EQ(meta.format_version, GetParam());
    // A sample of terms and trace IDs whose answers must never change.
    std::vector<std::pair<std::string, std::string>> terms;
    ASSERT_TRUE(original_
                    ->ForEachTerm([&](std::string_view f, std::string_view t, std::string_view) {
                      terms.emplace_back(f, t);
                    })
                    .ok());
    for (size_t i = 0; i < terms.size(); i += std::max<size_t>(1, terms.size() / 12)) {
      auto rows = original_->Postings(terms[i].first, terms[i].second);
      ASSERT_TRUE(rows.ok());
      terms_.emplace_back(terms[i], *rows);
    }
    for (const Event& e : events_) {
      if (e.trace_id.empty() || traces_.count(e.trace_id)) continue;
      auto rows = original_->TraceRows(e.trace_id);
      ASSERT_TRUE(rows.ok());
      traces_[e.trace_id] = *rows;
    }
    ASSERT_FALSE(terms_.empty());
    ASSERT_FALSE(traces_.empty());
  }

  // Byte ranges the reader must check: every block the meta points to, the meta block, the
  // footer. A flip outside them may go unnoticed (and must then change nothing).
  std::vector<bool> CoveredBytes() const {
    std::vector<bool> covered(bytes_.size(), false);
    auto cover = [&](uint64_t offset, uint64_t size) {
      for (uint64_t i = offset; i < offset + size && i < covered.size(); ++i) covered[i] = true;
    };
    const SegmentMeta& m = original_->meta();
    for (const ColumnMeta& c : m.columns) {
      for (const ColumnBlockMeta& b : c.blocks) cover(b.handle.offset, b.handle.size);
      if (c.encoding == format::kEncodingStringDict) cover(c.dictionary.offset, c.dictionary.size);
      cover(c.zstd_dictionary.offset, c.zstd_dictionary.size);
    }
    for (const TermTableMeta* t : {&m.terms, &m.traces}) {
      for (const BlockHandle& h : t->blocks) cover(h.offset, h.size);
    }
    cover(m.term_filter.offset, m.term_filter.size);
    const char* footer = bytes_.data() + bytes_.size() - format::kFooterSize;
    cover(DecodeFixed64(footer), DecodeFixed32(footer + 8));
    cover(bytes_.size() - format::kFooterSize, format::kFooterSize);
    return covered;
  }

  // A non-OK status must be Corruption and name the file.
  void ExpectCorruption(const Status& s, const std::string& what) {
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find(name_), std::string::npos)
        << what << ": message does not name the file: " << s.ToString();
  }

  // Writes `damaged` over path_ and checks the reader on it. Returns whether the damage was
  // reported (by Open, Verify or any read).
  bool CheckDamaged(const std::string& damaged, const std::string& what) {
    WriteFileBytes(path_, damaged);
    auto opened = SegmentReader::Open(FileSystem::Default(), path_);
    if (!opened.ok()) {
      ExpectCorruption(opened.status(), what + " (Open)");
      return true;
    }
    const SegmentReader& reader = **opened;
    bool reported = false;
    auto seen = [&](const Status& s, const std::string& call) {
      if (s.ok()) return false;
      ExpectCorruption(s, what + " (" + call + ")");
      reported = true;
      return true;
    };
    seen(reader.Verify(), "Verify");
    auto all = reader.ReadAllEvents();
    if (!seen(all.status(), "ReadAllEvents")) {
      EXPECT_EQ(*all, events_) << what << ": ReadAllEvents returned other events with OK";
    }
    // Sparse reads (a prefix of the block, or single frames): one row at a time.
    const std::vector<ColumnMeta>& columns = reader.meta().columns;
    for (size_t k = 0; k < columns.size() && k < original_->meta().columns.size(); ++k) {
      const ColumnMeta& c = columns[k];
      for (size_t b = 0; b < c.blocks.size(); ++b) {
        ColumnBlock whole;
        if (!original_->ReadColumnBlock(original_->meta().columns[k], b, &whole).ok()) continue;
        for (uint32_t r = 0; r < c.blocks[b].num_rows && r < whole.num_rows; r += 3) {
          ColumnBlock one;
          const std::vector<uint32_t> only = {r};
          if (seen(reader.ReadColumnBlock(c, b, &one, &only), "ReadColumnBlock(one row)")) break;
          const std::string where = what + ": column " + c.name + " row " + std::to_string(r);
          EXPECT_EQ(one.IsPresent(0), whole.IsPresent(r)) << where;
          if (!one.IsPresent(0) || !whole.IsPresent(r)) continue;
          if (!whole.ints.empty()) {
            EXPECT_EQ(one.ints[0], whole.ints[r]) << where;
          }
          if (!whole.doubles.empty()) {
            EXPECT_EQ(one.doubles[0], whole.doubles[r]) << where;
          }
          if (!whole.string_ends.empty() || whole.dictionary) {
            EXPECT_EQ(one.StringAt(0), whole.StringAt(r)) << where;
          }
        }
      }
    }
    for (const auto& [term, want] : terms_) {
      auto rows = reader.Postings(term.first, term.second);
      if (!seen(rows.status(), "Postings")) {
        EXPECT_EQ(*rows, want) << what << ": Postings(" << term.first << ", " << term.second
                               << ") changed with OK";
      }
      auto prefix = reader.PrefixPostings(term.first, term.second.substr(0, 1));
      seen(prefix.status(), "PrefixPostings");
    }
    for (const auto& [id, want] : traces_) {
      auto rows = reader.TraceRows(id);
      if (!seen(rows.status(), "TraceRows")) {
        EXPECT_EQ(*rows, want) << what << ": TraceRows(" << id << ") changed with OK";
      }
    }
    std::set<std::string> ids;
    if (!seen(reader.ForEachTraceId([&](const std::string& id) { ids.insert(id); }),
              "ForEachTraceId")) {
      std::set<std::string> want_ids;
      for (const auto& [id, rows] : traces_) want_ids.insert(id);
      // The sample holds every trace ID of the segment.
      EXPECT_EQ(ids, want_ids) << what << ": ForEachTraceId changed with OK";
    }
    return reported;
  }

  TempDir dir_{"corruption"};
  uint64_t seed_ = 0;
  std::string name_, path_, original_path_;
  std::string bytes_;
  std::shared_ptr<SegmentReader> original_;
  std::vector<Event> events_;
  std::vector<std::pair<std::pair<std::string, std::string>, Roaring>> terms_;
  std::map<std::string, Roaring> traces_;
};

TEST_P(CorruptionTest, EveryByteOfTheFileIsCheckedByABlockOrTheFooter) {
  std::vector<bool> covered = CoveredBytes();
  std::vector<size_t> unused;
  for (size_t i = 0; i < covered.size(); ++i) {
    if (!covered[i]) unused.push_back(i);
  }
  EXPECT_TRUE(unused.empty()) << unused.size() << " bytes belong to no block, first at "
                              << unused.front();
}

TEST_P(CorruptionTest, SingleByteFlipsAreReported) {
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed_));
  std::cout << "[ info     ] segment of " << bytes_.size() << " bytes" << std::endl;
  const std::vector<bool> covered = CoveredBytes();
  std::mt19937_64 rng(seed_);
  // Every position once with a random non-zero mask (every other or third one, from a random
  // start, should the file exceed 3000 bytes: ~10 s under ASan on a loaded machine), then
  // random (position, mask) pairs, half of them in the last 600 bytes: the meta block and
  // footer, where each byte means most.
  std::vector<std::pair<size_t, uint8_t>> flips;
  const size_t stride = 1 + bytes_.size() / 3001;
  for (size_t pos = rng() % stride; pos < bytes_.size(); pos += stride) {
    flips.emplace_back(pos, static_cast<uint8_t>(1 + rng() % 255));
  }
  const size_t tail = std::min<size_t>(bytes_.size(), 600);
  for (int i = 0; i < 400; ++i) {
    size_t pos = i % 2 ? rng() % bytes_.size() : bytes_.size() - 1 - rng() % tail;
    flips.emplace_back(pos, static_cast<uint8_t>(1 << (rng() % 8)));
  }
  size_t unreported = 0;
  for (const auto& [pos, mask] : flips) {
    std::string damaged = bytes_;
    damaged[pos] = static_cast<char>(damaged[pos] ^ mask);
    const std::string what =
        "flip of byte " + std::to_string(pos) + " with mask " + std::to_string(mask);
    bool reported = CheckDamaged(damaged, what);
    if (!reported && covered[pos]) {
      ++unreported;
      ADD_FAILURE() << what << ": damage to a checked byte went unreported";
    }
    // Keep the log readable when something is badly wrong.
    if (FailureCount() > 50) break;
  }
  EXPECT_EQ(unreported, 0u);
}

TEST_P(CorruptionTest, TruncationsAreReported) {
  std::set<size_t> lengths = {0, 1, 7, 8, 39, 40, 41, bytes_.size() / 2, bytes_.size() / 3};
  for (size_t k = 1; k <= 120 && k <= bytes_.size(); ++k) lengths.insert(bytes_.size() - k);
  for (size_t len = 0; len < bytes_.size(); len += 1 + bytes_.size() / 300) lengths.insert(len);
  for (size_t len : lengths) {
    std::string what =
        "truncated to " + std::to_string(len) + " of " + std::to_string(bytes_.size()) + " bytes";
    EXPECT_TRUE(CheckDamaged(bytes_.substr(0, len), what)) << what << ": not reported";
  }
}

TEST_P(CorruptionTest, TrailingBytesAreReported) {
  for (size_t extra : {1, 8, 40, 41, 4096}) {
    std::string damaged = bytes_ + std::string(extra, '\x5a');
    std::string what = std::to_string(extra) + " bytes appended";
    EXPECT_TRUE(CheckDamaged(damaged, what)) << what << ": not reported";
  }
  // The footer repeated: the last 40 bytes are a perfect footer whose meta offset is wrong.
  std::string damaged = bytes_ + bytes_.substr(bytes_.size() - format::kFooterSize);
  EXPECT_TRUE(CheckDamaged(damaged, "footer repeated")) << "footer repeated: not reported";
}

TEST_P(CorruptionTest, GarbageFilesAreReported) {
  std::mt19937_64 rng(seed_);
  for (size_t size : {0, 1, 39, 40, 41, 100, 4096, 65536}) {
    std::string garbage(size, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    std::string what = std::to_string(size) + " random bytes";
    EXPECT_TRUE(CheckDamaged(garbage, what)) << what;
    if (size < format::kFooterSize) continue;
    // Garbage that ends in the magic number.
    std::string with_magic = garbage.substr(0, size - 8);
    PutFixed64(&with_magic, format::kSegmentMagic);
    EXPECT_TRUE(CheckDamaged(with_magic, what + " + magic")) << what;
    // Garbage behind a well-formed footer: the meta block's checksum must catch it.
    BlockHandle h;
    h.offset = 0;
    h.size = static_cast<uint32_t>(size - format::kFooterSize);
    h.raw_size = h.size;
    h.crc = static_cast<uint32_t>(rng());
    h.codec = format::kCodecNone;
    std::string with_footer = garbage.substr(0, h.size) + Footer(h, GetParam());
    EXPECT_TRUE(CheckDamaged(with_footer, what + " + footer")) << what;
    // A well-formed footer pointing outside the file.
    for (uint64_t offset : {uint64_t{1} << 40, uint64_t{size}, uint64_t{size} - 40}) {
      h.offset = offset;
      h.size = 1000;
      std::string outside =
          garbage.substr(0, size - format::kFooterSize) + Footer(h, GetParam());
      EXPECT_TRUE(CheckDamaged(outside, what + " + footer pointing outside")) << what;
    }
  }
}

TEST_P(CorruptionTest, OtherFormatVersionIsReported) {
  const size_t footer_at = bytes_.size() - format::kFooterSize;
  const char* f = bytes_.data() + footer_at;
  BlockHandle h;
  h.offset = DecodeFixed64(f);
  h.size = DecodeFixed32(f + 8);
  h.raw_size = DecodeFixed32(f + 12);
  h.crc = DecodeFixed32(f + 16);
  h.codec = static_cast<uint8_t>(DecodeFixed32(f + 20));
  // Sanity: rebuilding the footer from the documented layout gives the writer's footer.
  ASSERT_EQ(Footer(h, GetParam()), bytes_.substr(footer_at));
  for (uint32_t version : {0u, 5u, 0x100u | GetParam(), 0xffffffffu}) {
    std::string damaged = bytes_.substr(0, footer_at) + Footer(h, version);
    WriteFileBytes(path_, damaged);
    auto opened = SegmentReader::Open(FileSystem::Default(), path_);
    ASSERT_FALSE(opened.ok()) << "version " << version << " accepted";
    ExpectCorruption(opened.status(), "version " + std::to_string(version));
    EXPECT_NE(opened.status().message().find("version"), std::string::npos)
        << opened.status().ToString();
  }
}

TEST_P(CorruptionTest, BrokenChecksumsAreReported) {
  // The footer CRC itself, and the meta block CRC in a footer whose own CRC is recomputed.
  const size_t footer_at = bytes_.size() - format::kFooterSize;
  std::string damaged = bytes_;
  damaged[footer_at + 28] = static_cast<char>(damaged[footer_at + 28] ^ 1);
  EXPECT_TRUE(CheckDamaged(damaged, "footer CRC"));
  const char* f = bytes_.data() + footer_at;
  BlockHandle h;
  h.offset = DecodeFixed64(f);
  h.size = DecodeFixed32(f + 8);
  h.raw_size = DecodeFixed32(f + 12);
  h.crc = DecodeFixed32(f + 16) ^ 0x80000000u;
  h.codec = static_cast<uint8_t>(DecodeFixed32(f + 20));
  EXPECT_TRUE(CheckDamaged(bytes_.substr(0, footer_at) + Footer(h, GetParam()), "meta CRC"));
  h.crc ^= 0x80000000u;
  h.codec = 7;  // unknown codec
  EXPECT_TRUE(CheckDamaged(bytes_.substr(0, footer_at) + Footer(h, GetParam()), "meta codec"));
  // A meta of one version under a footer of another: version 1 columns lack the frame
  // fields version 2 reads; version 3 metas end with fields version 2 does not read.
  h.codec = static_cast<uint8_t>(DecodeFixed32(f + 20));
  const uint32_t other = GetParam() == 1 ? 2 : GetParam() - 1;
  EXPECT_TRUE(CheckDamaged(bytes_.substr(0, footer_at) + Footer(h, other), "other version"));
}

// Runs every read of the reader on the file at path. Returns 0 when nothing crashed and every
// error was a Corruption; 2 otherwise. Called inside death-test children.
int ExerciseReader(const std::string& path) {
  auto bad = [](const Status& s, const char* call) {
    if (s.ok() || s.IsCorruption()) return false;
    fprintf(stderr, "%s returned a non-Corruption error: %s\n", call, s.ToString().c_str());
    return true;
  };
  auto opened = SegmentReader::Open(FileSystem::Default(), path);
  if (!opened.ok()) return bad(opened.status(), "Open") ? 2 : 0;
  const SegmentReader& reader = **opened;
  int rc = 0;
  // Single rows first, while no dictionary is cached: the partial-block paths (a dictionary's
  // values decoded only up to the rows' ids).
  for (const ColumnMeta& c : reader.meta().columns) {
    if (reader.rows() == 0) break;
    const std::vector<std::string> one = {c.name};
    for (uint32_t row : {0u, reader.rows() / 2, reader.rows() - 1}) {
      Roaring r;
      r.add(row);
      if (bad(reader.ReadEvents(r, &one).status(), "ReadEvents(one row)")) rc = 2;
    }
  }
  if (bad(reader.Verify(), "Verify")) rc = 2;
  auto all = reader.ReadAllEvents();
  if (bad(all.status(), "ReadAllEvents")) rc = 2;
  Roaring some;
  some.addRange(0, reader.rows());
  const std::vector<std::string> fields = {"_msg", "_time", "level", "user", "status"};
  if (bad(reader.ReadEvents(some, &fields).status(), "ReadEvents")) rc = 2;
  // One column at a time, so that each is decoded into a fresh block.
  for (const ColumnMeta& c : reader.meta().columns) {
    const std::vector<std::string> one = {c.name};
    if (bad(reader.ReadEvents(some, &one).status(), "ReadEvents(one field)")) rc = 2;
  }
  std::vector<std::pair<std::string, std::string>> terms;
  if (bad(reader.ForEachTerm([&](std::string_view f, std::string_view t, std::string_view) {
        terms.emplace_back(f, t);
      }),
          "ForEachTerm")) {
    rc = 2;
  }
  for (const auto& [f, t] : terms) {
    if (bad(reader.Postings(f, t).status(), "Postings")) rc = 2;
    if (bad(reader.PrefixPostings(f, t.substr(0, 1)).status(), "PrefixPostings")) rc = 2;
  }
  std::vector<std::string> ids;
  if (bad(reader.ForEachTraceId([&](const std::string& id) { ids.push_back(id); }),
          "ForEachTraceId")) {
    rc = 2;
  }
  for (const std::string& id : ids) {
    if (bad(reader.TraceRows(id).status(), "TraceRows")) rc = 2;
  }
  for (const ColumnMeta& c : reader.meta().columns) {
    ColumnBlock block;
    for (size_t b = 0; b < c.blocks.size(); ++b) {
      if (bad(reader.ReadColumnBlock(c, b, &block), "ReadColumnBlock")) rc = 2;
    }
  }
  return rc;
}

// Appends `raw` to a segment's data area as an uncompressed block with a correct CRC.
BlockHandle AppendRawBlock(std::string* data, std::string_view raw) {
  BlockHandle h;
  h.offset = data->size();
  h.size = static_cast<uint32_t>(raw.size());
  h.raw_size = h.size;
  h.crc = Crc32(raw);
  h.codec = format::kCodecNone;
  data->append(raw);
  return h;
}

// The data area of a segment file: everything before its meta block.
std::string DataArea(const std::string& file) {
  return file.substr(0, DecodeFixed64(file.data() + file.size() - format::kFooterSize));
}

// A file of `data` followed by `meta`, stored raw with a correct CRC, and a correct footer:
// what bit rot cannot produce but a buggy writer or a crafted file can.
std::string WithMeta(std::string data, const SegmentMeta& meta) {
  std::string raw;
  meta.EncodeTo(&raw);
  BlockHandle h = AppendRawBlock(&data, raw);
  return data + Footer(h, meta.format_version);
}

TEST_P(CorruptionTest, RewrittenMetaWithCorrectChecksumsReadsBackUnchanged) {
  // Sanity for WithMeta: the untouched meta, stored raw, gives the same segment.
  EXPECT_FALSE(CheckDamaged(WithMeta(DataArea(bytes_), original_->meta()), "meta rewritten"));
}

// Checksum-valid metas whose column descriptions disagree with the blocks they describe.
// Bit rot cannot produce these (the meta CRC would catch it); a writer bug or a crafted file
// can. The reader may return wrong values, but it must not crash: each case runs in a child.
TEST_P(CorruptionTest, InconsistentColumnMetaDoesNotCrash) {
  GTEST_FLAG_SET(death_test_style, "fast");
  using Mutation = std::function<bool(SegmentMeta*)>;
  auto retype = [](std::string_view name, ValueType to) -> Mutation {
    return [=](SegmentMeta* m) {
      for (ColumnMeta& c : m->columns) {
        if (c.name == name) {
          c.type = to;
          return true;
        }
      }
      return false;
    };
  };
  auto reencode = [](std::string_view name, uint8_t to) -> Mutation {
    return [=](SegmentMeta* m) {
      for (ColumnMeta& c : m->columns) {
        if (c.name == name && c.present > 0) {
          c.encoding = to;
          return true;
        }
      }
      return false;
    };
  };
  // count: a new dictionary size; +1 / -1: one more / fewer than the column's.
  auto redict = [](std::string_view name, int64_t count) -> Mutation {
    return [=](SegmentMeta* m) {
      for (ColumnMeta& c : m->columns) {
        if (c.name == name && c.encoding == format::kEncodingStringDict) {
          c.dictionary_size = count == 1 || count == -1
                                  ? static_cast<uint32_t>(c.dictionary_size + count)
                                  : static_cast<uint32_t>(count);
          return true;
        }
      }
      return false;
    };
  };
  std::vector<std::pair<std::string, Mutation>> cases = {
      {"string attribute column typed int64", retype("fx.s", ValueType::kInt64)},
      {"int64 attribute column typed string", retype("fx.i", ValueType::kString)},
      {"double attribute column typed bool", retype("fx.d", ValueType::kBool)},
      {"bool attribute column typed double", retype("fx.b", ValueType::kDouble)},
      {"service column with byte encoding", reencode("service", format::kEncodingByte)},
      {"_time column with FOR encoding", reencode("_time", format::kEncodingIntFor)},
      {"trace_id column with plain-string encoding",
       reencode("trace_id", format::kEncodingStringPlain)},
      {"_msg column with dictionary encoding (no dictionary)",
       reencode("_msg", format::kEncodingStringDict)},
      {"level column as an attribute",
       [](SegmentMeta* m) {
         for (ColumnMeta& c : m->columns) {
           if (c.name == kFieldLevel) c.kind = format::kKindAttribute;
         }
         return true;
       }},
      {"first block of _time read from the level column",
       [](SegmentMeta* m) {
         ColumnMeta* time = nullptr;
         ColumnMeta* level = nullptr;
         for (ColumnMeta& c : m->columns) {
           if (c.name == kFieldTime) time = &c;
           if (c.name == kFieldLevel) level = &c;
         }
         if (!time || !level) return false;
         time->blocks[0].handle = level->blocks[0].handle;
         return true;
       }},
      {"term block handles rotated",
       [](SegmentMeta* m) {
         if (m->terms.blocks.size() < 2) return false;
         std::rotate(m->terms.blocks.begin(), m->terms.blocks.begin() + 1, m->terms.blocks.end());
         return true;
       }},
      // Partial reads decode a dictionary's values only up to their rows' ids, against a
      // stand-in of dictionary_size values (StringTable::DecodeSome).
      {"fx.k dictionary of 2^32 - 1 values", redict("fx.k", UINT32_MAX)},
      {"fx.k dictionary of one value more than it holds", redict("fx.k", +1)},
      {"fx.k dictionary of one value fewer than it holds", redict("fx.k", -1)},
      {"trace index read from the term index",
       [](SegmentMeta* m) {
         m->traces = m->terms;
         return true;
       }},
  };
  // Format 2: frame sizes and dictionaries that disagree with the blocks.
  auto reframe = [](uint32_t rows) -> Mutation {
    return [=](SegmentMeta* m) {
      if (m->format_version < format::kSegmentFormatVersion2) return false;
      for (ColumnMeta& c : m->columns) c.frame_rows = rows;
      return true;
    };
  };
  std::vector<std::pair<std::string, Mutation>> framed_cases = {
      {"frames of one row", reframe(1)},
      {"frames of three rows", reframe(3)},
      {"frames of 2^31 rows", reframe(1u << 31)},
      {"_msg's zstd dictionary is its first block",
       [](SegmentMeta* m) {
         if (m->format_version < format::kSegmentFormatVersion2) return false;
         for (ColumnMeta& c : m->columns) {
           if (c.name == kFieldMessage) c.zstd_dictionary = c.blocks[0].handle;
         }
         return true;
       }},
  };
  for (auto& c : framed_cases) cases.push_back(std::move(c));
  for (const auto& [name, mutate] : cases) {
    SegmentMeta meta = original_->meta();
    if (!mutate(&meta)) {
      std::cout << "[ skipped  ] " << name << " (no such column in this segment)" << std::endl;
      continue;
    }
    WriteFileBytes(path_, WithMeta(DataArea(bytes_), meta));
    const std::string path = path_;
    EXPECT_EXIT(std::exit(ExerciseReader(path)), ::testing::ExitedWithCode(0), "")
        << "case: " << name;
  }
}

// A checksum-valid term block whose posting list is a CRoaring bitset container claiming
// fewer rows (4097) than it holds (5000). DecodePostings accepts it (see postings_test), so the
// bitmap's cardinality() understates what it iterates, and ReadEvents, which sizes its output by
// cardinality(), writes past the end of its vector.
// Format 3: term filters that a checksum cannot catch. One built from other keys would hide
// rows from queries, so Verify checks the filter against every key of the term index; one
// whose sizes do not add up is refused by Open; one that overlaps a term block is refused too.
TEST_P(CorruptionTest, TermFiltersThatLieAreReported) {
  if (GetParam() < format::kSegmentFormatVersion3) {
    // Older formats have none, and every term may be there.
    EXPECT_FALSE(original_->has_term_filter());
    EXPECT_TRUE(original_->MayHaveTerm(index::FilterHash("nosuch")));
    return;
  }
  ASSERT_TRUE(original_->has_term_filter());
  // Sanity: every sampled term is in the filter.
  for (const auto& [term, rows] : terms_) {
    EXPECT_TRUE(original_->MayHaveTerm(index::FilterHash(TermKey(term.first, term.second))));
  }
  std::vector<uint64_t> others;
  for (int i = 0; i < 64; ++i) others.push_back(index::FilterHash("nosuch" + std::to_string(i)));
  std::string other_filter;
  ASSERT_TRUE(index::BuildTermFilter(others, &other_filter));
  {
    std::string data = DataArea(bytes_);
    SegmentMeta meta = original_->meta();
    meta.term_filter = AppendRawBlock(&data, other_filter);
    WriteFileBytes(path_, WithMeta(data, meta));
    auto opened = SegmentReader::Open(FileSystem::Default(), path_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Status s = (*opened)->Verify();
    ExpectCorruption(s, "filter of other keys");
    EXPECT_NE(s.message().find("term filter"), std::string::npos) << s.ToString();
  }
  {
    std::string data = DataArea(bytes_);
    SegmentMeta meta = original_->meta();
    meta.term_filter = AppendRawBlock(&data, other_filter.substr(0, other_filter.size() - 1));
    WriteFileBytes(path_, WithMeta(data, meta));
    auto opened = SegmentReader::Open(FileSystem::Default(), path_);
    ASSERT_FALSE(opened.ok());
    ExpectCorruption(opened.status(), "short filter");
  }
  {
    SegmentMeta meta = original_->meta();
    meta.term_filter = meta.terms.blocks[0];
    WriteFileBytes(path_, WithMeta(DataArea(bytes_), meta));
    auto opened = SegmentReader::Open(FileSystem::Default(), path_);
    ASSERT_FALSE(opened.ok());
    ExpectCorruption(opened.status(), "filter over a term block");
  }
  // No filter at all (a handle of size 0) is a valid segment with the same answers.
  SegmentMeta meta = original_->meta();
  meta.term_filter = BlockHandle();
  EXPECT_FALSE(CheckDamaged(WithMeta(DataArea(bytes_), meta), "filter dropped"));
}

TEST_P(CorruptionTest, PostingsWhoseCardinalityLiesAreReported) {
  GTEST_FLAG_SET(death_test_style, "fast");
  constexpr uint32_t kRows = 5000;
  std::vector<Event> events(kRows);
  for (uint32_t i = 0; i < kRows; ++i) {
    events[i].time_ns = testing::kSegNow + i;
    events[i].message = "row " + std::to_string(i);
  }
  const std::string path = dir_.path() + "/" + name_;
  SegmentMeta meta;
  uint64_t size = 0;
  ASSERT_TRUE(WriteSegment(FileSystem::Default(), path, kSegmentId, 0, events,
                           SegmentWriteOptions(), &meta, &size)
                  .ok());
  std::string file = ReadFileBytes(path);
  auto opened = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(opened.ok());
  meta = (*opened)->meta();

  // Postings kind 1, then the portable CRoaring layout: cookie 12346, one container, key 0,
  // cardinality - 1, offset of the container, 1024 words with bits 0..4999 set.
  std::string postings(1, '\x01');
  PutFixed32(&postings, 12346);
  PutFixed32(&postings, 1);
  postings += std::string("\0\0", 2);
  postings += std::string("\x00\x10", 2);  // 4096 = claimed cardinality 4097 - 1
  PutFixed32(&postings, 4 + 4 + 4 + 4);
  std::string bits(8192, '\0');
  for (uint32_t r = 0; r < kRows; ++r) bits[r / 8] = static_cast<char>(bits[r / 8] | 1 << (r % 8));
  postings += bits;

  std::string block;
  const std::string key = TermKey("_msg", "forged");
  PutVarint64(&block, 0);
  PutLengthPrefixed(&block, key);
  PutLengthPrefixed(&block, postings);
  std::string data = DataArea(file);
  meta.terms = TermTableMeta();
  meta.terms.num_keys = 1;
  meta.terms.first_keys = {key};
  meta.terms.blocks = {AppendRawBlock(&data, block)};
  WriteFileBytes(path, WithMeta(std::move(data), meta));

  auto reader = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto rows = (*reader)->Postings("_msg", "forged");
  if (rows.ok()) {
    uint64_t iterated = 0;
    for (uint32_t r : *rows) iterated += r < kRows;
    ADD_FAILURE() << "a malformed posting list was accepted: cardinality() " << rows->cardinality()
                  << ", iterates " << iterated;
  } else {
    ExpectCorruption(rows.status(), "Postings");
  }
  Status verify = (*reader)->Verify();
  EXPECT_FALSE(verify.ok()) << "Verify accepts the malformed posting list";
  // What a query would do next with those rows.
  EXPECT_EXIT(
      {
        auto r = SegmentReader::Open(FileSystem::Default(), path);
        auto p = (*r)->Postings("_msg", "forged");
        if (p.ok()) (void)(*r)->ReadEvents(*p);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "")
      << "ReadEvents on the rows of a malformed posting list crashed";
}

// Framed blocks compressed with a zstd dictionary: damage to the dictionary block or to the
// frames is reported by whole-block and single-row reads alike, or changes nothing.
TEST(FrameDictionaryCorruptionTest, DamageIsReported) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  RandomEventGenerator gen(seed);
  std::vector<Event> events;
  for (int i = 0; i < 3000; ++i) {
    Event e = gen.Next();
    ASSERT_TRUE(NormalizeEvent(EventLimits(), testing::kSegNow, &e).ok());
    events.push_back(std::move(e));
  }
  SegmentWriteOptions options;
  options.block_rows = 1024;
  options.frame_bytes = 4096;
  options.frame_row_step = 32;
  options.zstd_dictionary_bytes = 2048;
  TempDir dir("corruption");
  const std::string path = dir.path() + "/" + SegmentFileName(kSegmentId);
  SegmentMeta meta;
  uint64_t size = 0;
  ASSERT_TRUE(WriteSegment(FileSystem::Default(), path, kSegmentId, 0, events, options, &meta,
                           &size)
                  .ok());
  const std::string bytes = ReadFileBytes(path);
  auto original = SegmentReader::Open(FileSystem::Default(), path);
  ASSERT_TRUE(original.ok());
  const ColumnMeta* msg = (*original)->FindColumn("_msg", ValueType::kString);
  ASSERT_NE(msg, nullptr);
  ASSERT_GT(msg->zstd_dictionary.size, 0u) << "too little text to train a dictionary";
  ASSERT_EQ(msg->blocks[0].handle.codec, format::kCodecZstdFrames);
  std::vector<ColumnBlock> wholes(msg->blocks.size());
  for (size_t b = 0; b < msg->blocks.size(); ++b) {
    ASSERT_TRUE((*original)->ReadColumnBlock(*msg, b, &wholes[b]).ok());
  }
  std::mt19937_64 rng(seed);
  std::vector<size_t> positions;
  for (int i = 0; i < 60; ++i) {
    positions.push_back(msg->zstd_dictionary.offset + rng() % msg->zstd_dictionary.size);
    const BlockHandle& h = msg->blocks[rng() % msg->blocks.size()].handle;
    positions.push_back(h.offset + rng() % h.size);
  }
  const std::string damaged_path = dir.path() + "/damaged-" + SegmentFileName(kSegmentId);
  for (size_t pos : positions) {
    std::string damaged = bytes;
    damaged[pos] = static_cast<char>(damaged[pos] ^ (1 << (rng() % 8)));
    WriteFileBytes(damaged_path, damaged);
    const std::string what = "flip at " + std::to_string(pos);
    auto reader = SegmentReader::Open(FileSystem::Default(), damaged_path);
    ASSERT_TRUE(reader.ok()) << what << ": the meta is intact";
    const ColumnMeta& c = (*reader)->meta().columns[static_cast<size_t>(msg - &(*original)->meta().columns[0])];
    EXPECT_FALSE((*reader)->Verify().ok()) << what << ": Verify missed it";
    for (size_t b = 0; b < c.blocks.size(); ++b) {
      for (uint32_t r = 0; r < c.blocks[b].num_rows; r += 97) {
        ColumnBlock one;
        const std::vector<uint32_t> only = {r};
        Status s = (*reader)->ReadColumnBlock(c, b, &one, &only);
        if (!s.ok()) {
          EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
          EXPECT_NE(s.message().find("damaged-"), std::string::npos) << s.ToString();
          continue;
        }
        EXPECT_EQ(one.StringAt(0), wholes[b].StringAt(r)) << what << ", row " << r;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, CorruptionTest,
                         ::testing::Values(format::kSegmentFormatVersion1,
                                           format::kSegmentFormatVersion2,
                                           format::kSegmentFormatVersion3,
                                           format::kSegmentFormatVersion4),
                         [](const ::testing::TestParamInfo<uint32_t>& info) {
                           return "Format" + std::to_string(info.param);
                         });

}  // namespace
}  // namespace trove
