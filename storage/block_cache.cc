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
  // A column's dictionary is charged as its own entry (BlockCache::InsertDictionary); a
  // partial block's own one, with the block.
  if (b.own_dictionary && b.dictionary) n += sizeof(StringTable) + b.dictionary->bytes();
  return n;
}

size_t CacheCharge(const StringTable& dictionary) {
  return sizeof(StringTable) + dictionary.bytes() + 64;
}

size_t CacheCharge(const ZstdDictionary& dictionary) {
  return sizeof(ZstdDictionary) + dictionary.bytes() + 64;
}

size_t CacheCharge(const TermBlock& block) {
  return sizeof(TermBlock) + block.raw.capacity() + block.restart_keys.capacity() +
         4 * (block.restart_ends.capacity() + block.restart_offsets.capacity()) +
         64;  // 64: list + map nodes
}

size_t CacheCharge(const Roaring& rows) {
  return sizeof(Roaring) + rows.getSizeInBytes(false) + 64;
}

std::shared_ptr<const void> LruCacheCore::LookupErased(uint64_t reader, uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(Key{reader, offset});
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void LruCacheCore::InsertErased(uint64_t reader, uint64_t offset,
                                std::shared_ptr<const void> value, size_t charge) {
  std::lock_guard<std::mutex> lock(mu_);
  if (charge > capacity_ / 4) return;
  Key key{reader, offset};
  auto it = map_.find(key);
  if (it != map_.end()) {
    usage_ -= it->second->charge;
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(value), charge});
  map_[key] = lru_.begin();
  usage_ += charge;
  EvictLocked();
}

void LruCacheCore::EvictLocked() {
  while (usage_ > capacity_ && !lru_.empty()) {
    usage_ -= lru_.back().charge;
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void LruCacheCore::SetCapacity(size_t capacity_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = capacity_bytes;
  EvictLocked();
}

size_t LruCacheCore::capacity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return capacity_;
}

size_t LruCacheCore::usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return usage_;
}

uint64_t LruCacheCore::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t LruCacheCore::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

void SetCacheBudget(size_t total_bytes) {
  TermBlockCache::Default()->SetCapacity(TermShare(total_bytes));
  PostingsCache::Default()->SetCapacity(PostingsShare(total_bytes));
  BlockCache::Default()->SetCapacity(BlockShare(total_bytes));
}

}  // namespace trove
