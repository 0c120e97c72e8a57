// BlockCache: LRU eviction by charge, hits and misses, capacity changes.
#include "storage/block_cache.h"

#include <gtest/gtest.h>

#include "storage/coding.h"

namespace trove {
namespace {

std::shared_ptr<const ColumnBlock> Block(size_t ints) {
  auto b = std::make_shared<ColumnBlock>();
  b->ints.assign(ints, 7);
  b->num_rows = static_cast<uint32_t>(ints);
  return b;
}

TEST(BlockCacheTest, FindsWhatItHoldsAndMissesOtherReadersAndOffsets) {
  BlockCache cache(1 << 20);
  cache.Insert(1, 100, Block(10));
  ASSERT_NE(cache.Lookup(1, 100), nullptr);
  EXPECT_EQ(cache.Lookup(1, 100)->num_rows, 10u);
  EXPECT_EQ(cache.Lookup(2, 100), nullptr);  // another reader's block at the same offset
  EXPECT_EQ(cache.Lookup(1, 101), nullptr);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 2u);
}

// A dictionary and a block at the same offset are different entries, and both are charged to
// the one budget: dictionaries compete with blocks in the LRU.
TEST(BlockCacheTest, DictionariesShareTheBudgetButNotTheKeys) {
  auto dict = std::make_shared<StringTable>();
  std::string raw;
  PutVarint64(&raw, 2);
  PutLengthPrefixed(&raw, "alpha");
  PutLengthPrefixed(&raw, "beta");
  ASSERT_TRUE(dict->Decode(raw, 2).ok());
  const size_t block_charge = BlockCache::Charge(*Block(1000));
  BlockCache cache(block_charge * 4);
  cache.Insert(1, 100, Block(1000));
  cache.InsertDictionary<StringTable>(1, 100, dict);
  ASSERT_NE(cache.Lookup(1, 100), nullptr);
  EXPECT_EQ(cache.Lookup(1, 100)->num_rows, 1000u);
  auto got = cache.LookupDictionary<StringTable>(1, 100);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ((*got)[1], "beta");
  EXPECT_EQ(cache.LookupDictionary<StringTable>(2, 100), nullptr);
  EXPECT_EQ(cache.usage(), block_charge + CacheCharge(*dict));
  // Blocks inserted later push the least recently used dictionary out.
  for (uint64_t i = 1; i <= 4; ++i) cache.Insert(1, 200 + i, Block(1000));
  EXPECT_EQ(cache.LookupDictionary<StringTable>(1, 100), nullptr);
  EXPECT_LE(cache.usage(), cache.capacity());
}

TEST(BlockCacheTest, EvictsLeastRecentlyUsedBeyondCapacity) {
  const size_t each = BlockCache::Charge(*Block(1000));
  BlockCache cache(each * 4);
  for (uint64_t i = 1; i <= 4; ++i) cache.Insert(1, i, Block(1000));
  ASSERT_NE(cache.Lookup(1, 1), nullptr);  // 1 is now the most recent
  cache.Insert(1, 5, Block(1000));         // evicts 2, the least recent
  EXPECT_NE(cache.Lookup(1, 1), nullptr);
  EXPECT_EQ(cache.Lookup(1, 2), nullptr);
  for (uint64_t i = 3; i <= 5; ++i) EXPECT_NE(cache.Lookup(1, i), nullptr) << i;
  EXPECT_LE(cache.usage(), each * 4);
}

TEST(BlockCacheTest, RefusesABlockLargerThanAQuarterOfTheCache) {
  const size_t each = BlockCache::Charge(*Block(1000));
  BlockCache cache(each * 2);
  cache.Insert(1, 1, Block(1000));
  EXPECT_EQ(cache.Lookup(1, 1), nullptr);
  EXPECT_EQ(cache.usage(), 0u);
}

TEST(BlockCacheTest, ShrinkingEvictsAndZeroDisables) {
  const size_t each = BlockCache::Charge(*Block(1000));
  BlockCache cache(each * 8);
  for (uint64_t i = 0; i < 8; ++i) cache.Insert(1, i, Block(1000));
  EXPECT_EQ(cache.usage(), each * 8);
  cache.SetCapacity(each * 2);
  EXPECT_LE(cache.usage(), each * 2);
  EXPECT_NE(cache.Lookup(1, 7), nullptr);  // the newest survive
  cache.SetCapacity(0);
  EXPECT_EQ(cache.usage(), 0u);
  cache.Insert(1, 9, Block(10));
  EXPECT_EQ(cache.Lookup(1, 9), nullptr);
}

TEST(BlockCacheTest, ReinsertingAKeyReplacesItsCharge) {
  BlockCache cache(1 << 20);
  cache.Insert(1, 1, Block(1000));
  const size_t big = cache.usage();
  cache.Insert(1, 1, Block(10));
  EXPECT_LT(cache.usage(), big);
  EXPECT_EQ(cache.Lookup(1, 1)->num_rows, 10u);
}

}  // namespace
}  // namespace trove

namespace trove {
namespace {

TEST(TermBlockCacheTest, ChargesTheBlockBytesAndSplitsTheBudget) {
  TermBlockCache cache(1 << 20);
  auto block = std::make_shared<TermBlock>();
  block->raw.assign(16 * 1024, 'x');
  cache.Insert(3, 40, block);
  ASSERT_NE(cache.Lookup(3, 40), nullptr);
  EXPECT_EQ(cache.Lookup(3, 40)->raw, block->raw);
  EXPECT_GE(cache.usage(), 16u * 1024);
  EXPECT_LT(cache.usage(), 16u * 1024 + 256);
  // The restart index is charged too.
  auto indexed = std::make_shared<TermBlock>();
  indexed->raw.assign(16 * 1024, 'x');
  indexed->restart_keys.assign(2000, 'k');
  indexed->restart_ends.assign(100, 0);
  indexed->restart_offsets.assign(100, 0);
  const size_t before = cache.usage();
  cache.Insert(3, 41, indexed);
  EXPECT_GE(cache.usage() - before, 16u * 1024 + 2000 + 800);

  SetCacheBudget(size_t{80} << 20);
  EXPECT_EQ(TermBlockCache::Default()->capacity(), size_t{10} << 20);
  EXPECT_EQ(PostingsCache::Default()->capacity(), size_t{10} << 20);
  EXPECT_EQ(BlockCache::Default()->capacity(), size_t{60} << 20);
  SetCacheBudget(0);
  EXPECT_EQ(TermBlockCache::Default()->capacity(), 0u);
  EXPECT_EQ(PostingsCache::Default()->capacity(), 0u);
  EXPECT_EQ(BlockCache::Default()->capacity(), 0u);
  SetCacheBudget(size_t{256} << 20);
}

}  // namespace
}  // namespace trove
