// Term filters (index/term_filter.h): no false negatives for any set size, a false-positive
// rate near 1/256, and malformed serialized filters refused.
#include "index/term_filter.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace trove::index {
namespace {

std::vector<uint64_t> RandomHashes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> out(n);
  for (uint64_t& h : out) h = rng();
  return out;
}

TEST(TermFilterTest, EveryKeyIsFoundAtEverySize) {
  for (size_t n : {1, 2, 3, 5, 17, 100, 1000, 4096, 80'000, 300'000}) {
    auto hashes = RandomHashes(n, n);
    std::string bytes;
    ASSERT_TRUE(BuildTermFilter(hashes, &bytes)) << n;
    TermFilter filter;
    ASSERT_TRUE(filter.Parse(bytes)) << n;
    for (uint64_t h : hashes) ASSERT_TRUE(filter.MayContain(h)) << n;
  }
}

TEST(TermFilterTest, FalsePositivesAreNearOneIn256AndSizeNearNineBitsAKey) {
  const size_t n = 80'000;
  auto hashes = RandomHashes(n, 7);
  std::set<uint64_t> in(hashes.begin(), hashes.end());
  std::string bytes;
  ASSERT_TRUE(BuildTermFilter(hashes, &bytes));
  TermFilter filter;
  ASSERT_TRUE(filter.Parse(bytes));
  EXPECT_LT(bytes.size() * 8.0 / n, 10.0);
  std::mt19937_64 rng(99);
  size_t probes = 0, positives = 0;
  while (probes < 1'000'000) {
    uint64_t h = rng();
    if (in.count(h)) continue;
    ++probes;
    positives += filter.MayContain(h);
  }
  const double rate = static_cast<double>(positives) / probes;
  EXPECT_GT(rate, 0.5 / 256);
  EXPECT_LT(rate, 1.5 / 256);
}

TEST(TermFilterTest, DuplicatesAndStringKeys) {
  std::vector<uint64_t> hashes;
  std::vector<std::string> keys;
  for (int i = 0; i < 500; ++i) keys.push_back("_msg" + std::string(1, '\0') + std::to_string(i));
  for (const auto& k : keys) {
    hashes.push_back(FilterHash(k));
    hashes.push_back(FilterHash(k));  // twice
  }
  std::string bytes;
  ASSERT_TRUE(BuildTermFilter(hashes, &bytes));
  TermFilter filter;
  ASSERT_TRUE(filter.Parse(bytes));
  for (const auto& k : keys) EXPECT_TRUE(filter.MayContain(FilterHash(k)));
  // The hash is XXH3-64, fixed on disk: a known value guards against a silent change.
  EXPECT_EQ(FilterHash(""), 0x2d06800538d394c2ull);
  int absent_found = 0;
  for (int i = 500; i < 5500; ++i) {
    absent_found +=
        filter.MayContain(FilterHash("_msg" + std::string(1, '\0') + std::to_string(i)));
  }
  EXPECT_LT(absent_found, 5000 / 50);
}

TEST(TermFilterTest, MalformedFiltersAreRefused) {
  std::string bytes;
  ASSERT_TRUE(BuildTermFilter(RandomHashes(1000, 3), &bytes));
  TermFilter filter;
  EXPECT_FALSE(filter.Parse(""));
  EXPECT_FALSE(filter.Parse(bytes.substr(0, 16)));
  EXPECT_FALSE(filter.Parse(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(filter.Parse(bytes + "x"));
  std::string kind = bytes;
  kind[0] = 1;
  EXPECT_FALSE(filter.Parse(kind));
  // Segment length not a power of two, zero, or too large; zero segments.
  for (uint32_t length : {0u, 3u, 1u << 19}) {
    std::string b = bytes;
    for (int i = 0; i < 4; ++i) b[9 + i] = static_cast<char>(length >> (8 * i));
    EXPECT_FALSE(filter.Parse(b)) << length;
  }
  std::string zero = bytes;
  for (int i = 0; i < 4; ++i) zero[13 + i] = 0;
  EXPECT_FALSE(filter.Parse(zero));
  // Every (length, count) whose array matches the bytes parses; probes stay in bounds.
  ASSERT_TRUE(filter.Parse(bytes));
  for (uint64_t h : RandomHashes(10000, 5)) (void)filter.MayContain(h);
}

}  // namespace
}  // namespace trove::index
