#include "storage/block_cache.h"

namespace trove {

BlockCache* BlockCache::Default() {
  static BlockCache* cache = new BlockCache(size_t{256} << 20);
  return cache;
}

size_t BlockCache::Charge(const ColumnBlock& b) {
  size_t n = sizeof(ColumnBlock) + b.present.capacity() + b.ints.capacity() * sizeof(int64_t) +
             b.doubles.capacity() * sizeof(double) + b.dict_ids.capacity() * sizeof(uint32_t) +
             b.string_data.capacity() + b.string_ends.capacity() * sizeof(uint32_t);
  return n;  // the shared dictionary is charged to nobody: one per column, small
}

std::shared_ptr<const ColumnBlock> BlockCache::Lookup(uint64_t reader, uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(Key{reader, offset});
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->block;
}

void BlockCache::Insert(uint64_t reader, uint64_t offset,
                        std::shared_ptr<const ColumnBlock> block) {
  const size_t charge = Charge(*block);
  std::lock_guard<std::mutex> lock(mu_);
  if (charge > capacity_ / 4) return;  // one huge block must not flush the cache
  Key key{reader, offset};
  auto it = map_.find(key);
  if (it != map_.end()) {
    usage_ -= it->second->charge;
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(block), charge});
  map_[key] = lru_.begin();
  usage_ += charge;
  EvictLocked();
}

void BlockCache::EvictLocked() {
  while (usage_ > capacity_ && !lru_.empty()) {
    usage_ -= lru_.back().charge;
    map_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

void BlockCache::SetCapacity(size_t capacity_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = capacity_bytes;
  EvictLocked();
}

size_t BlockCache::usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return usage_;
}

uint64_t BlockCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t BlockCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace trove
