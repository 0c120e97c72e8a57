// Posting-list encoding: round trips for every size class, and malformed input refused without
// crashing.
#include "index/postings.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/store_test_util.h"

namespace trove::index {
namespace {

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::string Encode(const std::set<uint32_t>& rows) {
  std::vector<uint32_t> v(rows.begin(), rows.end());
  Roaring r(v.size(), v.data());
  std::string out;
  EncodePostings(&r, &out);
  return out;
}

// The roaring form (kind 1) of rows, whichever form EncodePostings would pick: the
// hand-built container cases below damage its bytes.
std::string EncodeRoaring(const std::set<uint32_t>& rows) {
  std::vector<uint32_t> v(rows.begin(), rows.end());
  Roaring r(v.size(), v.data());
  r.runOptimize();
  std::string out(1, static_cast<char>(kPostingsRoaring));
  out.resize(1 + r.getSizeInBytes(true));
  r.write(out.data() + 1, true);
  return out;
}

size_t DeltaListSize(const std::set<uint32_t>& rows);

// Kind byte, count, then the deltas (first from 0).
size_t DeltaListSize(const std::set<uint32_t>& rows) {
  size_t size = 1 + VarintLength(rows.size());
  uint32_t prev = 0;
  for (uint32_t r : rows) {
    size += VarintLength(r - prev);
    prev = r;
  }
  return size;
}

void CheckRoundTrip(const std::set<uint32_t>& rows, const std::string& what) {
  SCOPED_TRACE(what + ", " + std::to_string(rows.size()) + " rows");
  const std::string enc = Encode(rows);
  ASSERT_FALSE(enc.empty());
  const uint8_t kind = static_cast<uint8_t>(enc[0]);
  const size_t delta_size = DeltaListSize(rows);
  const size_t roaring_size = EncodeRoaring(rows).size();
  if (rows.size() <= kShortListMax || delta_size <= roaring_size) {
    EXPECT_EQ(kind, kPostingsShortList);
    EXPECT_EQ(enc.size(), delta_size);
  } else {
    EXPECT_EQ(kind, kPostingsRoaring);
    EXPECT_EQ(enc.size(), roaring_size);
  }
  Roaring decoded;
  decoded.add(12345);  // must be replaced, not added to
  ASSERT_TRUE(DecodePostings(enc, &decoded));
  EXPECT_EQ(std::set<uint32_t>(decoded.begin(), decoded.end()), rows);
  EXPECT_EQ(decoded.cardinality(), rows.size());

  // Encoding appends: whatever was in dst before stays.
  std::vector<uint32_t> v(rows.begin(), rows.end());
  Roaring r(v.size(), v.data());
  std::string dst = "prefix";
  EncodePostings(&r, &dst);
  EXPECT_EQ(dst, "prefix" + enc);

  // Every strict prefix and the encoding with a byte appended are malformed.
  Roaring scratch;
  // Every length for small encodings; for large ones both ends and an even spread.
  std::set<size_t> lengths;
  for (size_t len = 0; len < enc.size(); ++len) {
    if (enc.size() <= 256 || len < 64 || enc.size() - len <= 64 || len % (enc.size() / 64) == 0) {
      lengths.insert(len);
    }
  }
  for (size_t len : lengths) {
    EXPECT_FALSE(DecodePostings(std::string_view(enc).substr(0, len), &scratch))
        << "prefix of " << len << " of " << enc.size() << " bytes accepted";
  }
  for (char extra : {'\0', '\x01', '\xff'}) {
    EXPECT_FALSE(DecodePostings(enc + extra, &scratch)) << "trailing byte accepted";
  }
}

TEST(PostingsTest, RoundTripsEverySizeClass) {
  CheckRoundTrip({}, "empty");
  CheckRoundTrip({0}, "row 0");
  CheckRoundTrip({127}, "row 127");
  CheckRoundTrip({128}, "row 128");
  CheckRoundTrip({UINT32_MAX}, "last row");
  CheckRoundTrip({0, UINT32_MAX}, "first and last");
  CheckRoundTrip({1, 2, 3, 4, 5, 6, 7, 8}, "8 rows: the largest short list");
  CheckRoundTrip({1, 2, 3, 4, 5, 6, 7, 8, 9}, "9 rows: the smallest bitmap");
  CheckRoundTrip({0, 10, 1000, 100000, 1u << 20, 1u << 30, UINT32_MAX - 1, UINT32_MAX},
                 "8 spread rows");
  CheckRoundTrip({0, 10, 1000, 100000, 1u << 20, 1u << 30, 3u << 30, UINT32_MAX - 1, UINT32_MAX},
                 "9 spread rows");
  auto range = [](uint32_t lo, uint32_t hi, uint32_t step = 1) {
    std::set<uint32_t> s;
    for (uint64_t r = lo; r < hi; r += step) s.insert(static_cast<uint32_t>(r));
    return s;
  };
  CheckRoundTrip(range(0, 4096), "dense 4096 (array container limit)");
  CheckRoundTrip(range(0, 4097), "dense 4097");
  CheckRoundTrip(range(0, 70000), "dense across two containers");
  CheckRoundTrip(range(65530, 65542), "dense across a container boundary");
  CheckRoundTrip(range(0, 200000, 2), "every other row (bitset containers)");
  CheckRoundTrip(range(UINT32_MAX - 300, UINT32_MAX), "the top rows");
}

TEST(PostingsTest, RoundTripsRandomSets) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int k = 0; k < 200; ++k) {
    std::set<uint32_t> rows;
    const int shape = k % 4;
    const size_t n = shape == 0 ? rng() % 12 : rng() % 3000;
    const uint32_t span = shape == 1 ? 100000 : shape == 2 ? 5000 : UINT32_MAX;
    for (size_t i = 0; i < n; ++i) rows.insert(static_cast<uint32_t>(rng() % span));
    if (shape == 3) {  // plus a run
      uint32_t start = static_cast<uint32_t>(rng() % (1u << 24));
      for (uint32_t r = start; r < start + rng() % 20000; ++r) rows.insert(r);
    }
    CheckRoundTrip(rows, "random set " + std::to_string(k));
  }
}

TEST(PostingsTest, MalformedShortListsAreRefused) {
  auto check = [](std::string_view bytes, bool want_ok) {
    Roaring r;
    EXPECT_EQ(DecodePostings(bytes, &r), want_ok) << ::testing::PrintToString(std::string(bytes));
  };
  check("", false);
  check(std::string_view("\0", 1), false);              // no count
  check(std::string_view("\0\0", 2), true);             // empty list
  check(std::string_view("\0\x01\x05", 3), true);       // {5}
  check(std::string_view("\0\x02\x05\x00", 4), false);  // duplicate row (zero gap)
  check(std::string_view("\0\x02\x00\x00", 4), false);  // duplicate row 0
  check(std::string_view("\0\x02\x05", 3), false);      // one delta missing
  // Delta lists may be longer than kShortListMax; the count must match the deltas.
  check(std::string_view("\0\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01", 11), true);
  check(std::string_view("\0\x0a\x01\x01\x01\x01\x01\x01\x01\x01\x01", 11), false);
  check(std::string_view("\0\xff\x01\x01", 4), false);  // count far past the bytes
  check(std::string_view("\0\x01\x80", 3), false);  // truncated varint
  // A row past 2^32 - 1, in one delta and as a sum of two.
  check(std::string_view("\0\x01\x80\x80\x80\x80\x10", 7), false);
  check(std::string_view("\0\x02\xff\xff\xff\xff\x0f\x01", 8), false);
  check(std::string_view("\0\x01\xff\xff\xff\xff\x0f", 7), true);  // exactly 2^32 - 1
  // An 11-byte varint.
  check(std::string_view("\0\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 13), false);
  for (int kind = 2; kind < 256; ++kind) {
    std::string bytes(1, static_cast<char>(kind));
    check(bytes + std::string("\x01\x05", 2), false);  // unknown kind
  }
}

// Describes a byte string compactly for failure messages.
std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 48; ++i) {
    out += kDigits[static_cast<uint8_t>(bytes[i]) >> 4];
    out += kDigits[static_cast<uint8_t>(bytes[i]) & 15];
  }
  if (bytes.size() > 48) out += "… (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// Why r is not a bitmap a caller can rely on, or "" when it is.
std::string Malformation(const Roaring& r) {
  uint64_t count = 0;
  uint32_t prev = 0;
  for (uint32_t v : r) {
    if (count > 0 && v <= prev) {
      return "iterates " + std::to_string(prev) + " then " + std::to_string(v);
    }
    prev = v;
    if (++count > (uint64_t{1} << 32)) return "iterates more than 2^32 values";
  }
  if (count != r.cardinality()) {
    return "cardinality() is " + std::to_string(r.cardinality()) + " but it iterates " +
           std::to_string(count) + " values";
  }
  if (count > 0 && (r.minimum() != *r.begin() || r.maximum() != prev)) {
    return "minimum()/maximum() disagree with iteration";
  }
  return "";
}

// Decodes bytes; a malformed input must be refused, never turned into a bitmap whose
// cardinality or order is wrong (ReadEvents sizes its output by cardinality()).
void ExpectRefusedOrWellFormed(const std::string& bytes, const std::string& what) {
  Roaring r;
  if (!DecodePostings(bytes, &r)) return;
  std::string why = Malformation(r);
  EXPECT_EQ(why, "") << what << ": accepted " << Hex(bytes);
}

// The portable CRoaring layout patched by hand: each case is malformed in one way that the
// serialization's own size checks do not see.
TEST(PostingsTest, BitmapsWhoseContainersContradictTheirHeadersAreRefused) {
  auto refused = [](const std::string& bytes, const std::string& what) {
    Roaring r;
    bool ok = DecodePostings(bytes, &r);
    EXPECT_FALSE(ok) << what
                     << ": accepted; decoded bitmap: " << (ok ? Malformation(r) : std::string())
                     << "; input " << Hex(bytes);
  };
  auto u16 = [](std::string* s, size_t at, uint16_t v) {
    (*s)[at] = static_cast<char>(v & 0xff);
    (*s)[at + 1] = static_cast<char>(v >> 8);
  };
  auto get16 = [](const std::string& s, size_t at) {
    return static_cast<uint16_t>(static_cast<uint8_t>(s[at]) | static_cast<uint8_t>(s[at + 1])
                                                                   << 8);
  };
  {
    // One bitset container: kind | cookie 12346 | count 1 | key | card-1 | offset | 8 KiB.
    std::set<uint32_t> rows;
    for (uint32_t r = 0; r < 10000; ++r) rows.insert(r * 3);
    std::string enc = EncodeRoaring(rows);
    ASSERT_EQ(enc.size(), 1 + 4 + 4 + 4 + 4 + 8192u);
    ASSERT_EQ(get16(enc, 1), 12346);
    ASSERT_EQ(get16(enc, 11), 9999);  // cardinality - 1
    std::string bad = enc;
    u16(&bad, 11, 9998);
    refused(bad, "bitset container whose header says 9999 rows but holds 10000");
    bad = enc;
    u16(&bad, 11, 65535);
    refused(bad, "bitset container whose header says 65536 rows but holds 10000");
  }
  {
    // One array container of 10 values at offset 17.
    std::set<uint32_t> rows = {1, 5, 9, 200, 300, 400, 500, 600, 700, 800};
    std::string enc = EncodeRoaring(rows);
    ASSERT_EQ(enc.size(), 1 + 4 + 4 + 4 + 4 + 20u);
    ASSERT_EQ(get16(enc, 17), 1);
    ASSERT_EQ(get16(enc, 19), 5);
    std::string bad = enc;
    u16(&bad, 17, 5);
    u16(&bad, 19, 1);
    refused(bad, "array container out of order");
    bad = enc;
    u16(&bad, 19, 1);
    refused(bad, "array container with a duplicate");
  }
  {
    // One run container: kind | cookie 12347, count-1 | run flags | key | card-1 | n_runs |
    // (start, length-1)*.
    std::set<uint32_t> rows;
    for (uint32_t r = 100; r < 200; ++r) rows.insert(r);
    for (uint32_t r = 300; r < 400; ++r) rows.insert(r);
    std::string enc = EncodeRoaring(rows);
    ASSERT_EQ(enc.size(), 1 + 4 + 1 + 4 + 2 + 8u);
    ASSERT_EQ(get16(enc, 1), 12347);
    ASSERT_EQ(get16(enc, 10), 2);    // runs
    ASSERT_EQ(get16(enc, 12), 100);  // first start
    ASSERT_EQ(get16(enc, 14), 99);   // first length - 1
    std::string bad = enc;
    u16(&bad, 14, 249);
    refused(bad, "overlapping runs");
    bad = enc;
    u16(&bad, 16, 50);
    refused(bad, "runs out of order");
    bad = enc;
    u16(&bad, 16, 65500);
    refused(bad, "a run past the end of its container");
  }
}

TEST(PostingsTest, RandomBytesAreRefused) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int k = 0; k < 3000; ++k) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    // Mostly a valid kind byte, so that both decoders see the rest.
    if (!bytes.empty() && k % 4 != 0) bytes[0] = static_cast<char>(rng() % 2);
    ExpectRefusedOrWellFormed(bytes, "random case " + std::to_string(k));
  }
}

TEST(PostingsTest, DamagedBitmapsAreRefusedOrDecodeToAWellFormedSet) {
  const uint64_t seed = testing::TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  // Valid encodings of each container kind with bits flipped, so that the CRoaring header
  // parses and the damage lands in the containers.
  std::vector<std::string> valid;
  std::set<uint32_t> array, bitset, runs, mixed;
  for (uint32_t r = 0; r < 100; ++r) array.insert(r * 37);
  for (uint32_t r = 0; r < 10000; ++r) bitset.insert(r * 3);
  for (uint32_t r = 0; r < 20000; ++r) runs.insert(70000 + r);
  mixed = array;
  mixed.insert(bitset.begin(), bitset.end());
  for (uint32_t r : runs) mixed.insert(r + (1u << 20));
  for (const auto* set : {&array, &bitset, &runs, &mixed}) valid.push_back(Encode(*set));
  valid.push_back(Encode({1, 2, 3}));

  for (int k = 0; k < 2000; ++k) {
    const size_t which = rng() % valid.size();
    std::string bytes = valid[which];
    std::string what = "encoding " + std::to_string(which) + " with";
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      // Mostly in the first bytes: the roaring header and container descriptions.
      size_t pos =
          rng() % 2 ? 1 + rng() % std::min<size_t>(bytes.size() - 1, 40) : rng() % bytes.size();
      const int bit = static_cast<int>(rng() % 8);
      bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << bit));
      what += " bit " + std::to_string(bit) + " of byte " + std::to_string(pos);
    }
    ExpectRefusedOrWellFormed(bytes, "case " + std::to_string(k) + " (" + what + ")");
    // Keep the log readable when this fails everywhere.
    if (::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count() > 5) {
      break;
    }
  }
}

}  // namespace
}  // namespace trove::index
