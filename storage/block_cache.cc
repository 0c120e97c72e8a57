#include "storage/block_cache.h"

namespace trove {

namespace {
constexpr size_t kDefaultCacheBudget = size_t{256} << 20;
size_t TermShare(size_t total) { return total / 8; }
size_t PostingsShare(size_t total) { return total / 8; }
size_t BlockShare(size_t total) { return total - TermShare(total) - PostingsShare(total); }
}  // namespace

BlockCache* BlockCache::Default() {
  static BlockCache* cache = new BlockCache(BlockShare(kDefaultCacheBudget));
  return cache;
}

TermBlockCache* TermBlockCache::Default() {
  static TermBlockCache* cache = new TermBlockCache(TermShare(kDefaultCacheBudget));
  return cache;
}

PostingsCache* PostingsCache::Default() {
  static PostingsCache* cache = new PostingsCache(PostingsShare(kDefaultCacheBudget));
  return cache;
}

size_t CacheCharge(const ColumnBlock& b) {
  size_t n = sizeof(ColumnBlock) + b.present.capacity() + b.ints.capacity() * sizeof(int64_t) +
             b.doubles.capacity() * sizeof(double) + b.dict_ids.capacity() * sizeof(uint32_t) +
             b.string_data.capacity() + b.string_ends.capacity() * sizeof(uint32_t) +
             b.decoded_rows.capacity() * sizeof(uint32_t);
  return n;  // the shared dictionary is charged to nobody: one per column, small
}

size_t CacheCharge(const TermBlock& block) {
  return sizeof(TermBlock) + block.raw.capacity() + block.restart_keys.capacity() +
         4 * (block.restart_ends.capacity() + block.restart_offsets.capacity()) +
         64;  // 64: list + map nodes
}

size_t CacheCharge(const Roaring& rows) {
  return sizeof(Roaring) + rows.getSizeInBytes(false) + 64;
}

void SetCacheBudget(size_t total_bytes) {
  TermBlockCache::Default()->SetCapacity(TermShare(total_bytes));
  PostingsCache::Default()->SetCapacity(PostingsShare(total_bytes));
  BlockCache::Default()->SetCapacity(BlockShare(total_bytes));
}

}  // namespace trove
