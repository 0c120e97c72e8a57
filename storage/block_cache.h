// Process-wide LRU caches of decoded blocks, so repeated reads of the same blocks (a dashboard
// re-running a query, the rows of one trace, verification of nearby candidates, the term
// lookups of every query) skip the read, checksum, zstd decompression and decoding. Keyed by a
// reader's unique id and the block's file offset, so entries of closed or deleted segments are
// never found again and simply age out. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <roaring/roaring.hh>
#include "storage/column.h"
#include "storage/term_table.h"

namespace trove {

// Approximate heap bytes each kind of cached value holds: what it is charged in its cache.
size_t CacheCharge(const ColumnBlock& block);
size_t CacheCharge(const TermBlock& block);
size_t CacheCharge(const Roaring& rows);

// An LRU of shared, immutable values charged by an estimate of their heap bytes.
template <typename V>
class SharedLruCache {
 public:
  explicit SharedLruCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const V> Lookup(uint64_t reader, uint64_t offset) {
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

  // Charged CacheCharge(*value).
  void Insert(uint64_t reader, uint64_t offset, std::shared_ptr<const V> value) {
    const size_t charge = CacheCharge(*value);
    Insert(reader, offset, std::move(value), charge);
  }
  // A value charged over a quarter of the capacity is not kept: one huge block must not flush
  // the cache.
  void Insert(uint64_t reader, uint64_t offset, std::shared_ptr<const V> value, size_t charge) {
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

  // Evicts down to the new capacity; 0 disables caching.
  void SetCapacity(size_t capacity_bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    capacity_ = capacity_bytes;
    EvictLocked();
  }
  size_t capacity() const {
    std::lock_guard<std::mutex> lock(mu_);
    return capacity_;
  }
  size_t usage() const {
    std::lock_guard<std::mutex> lock(mu_);
    return usage_;
  }
  uint64_t hits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  uint64_t misses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return misses_;
  }

 private:
  struct Key {
    uint64_t reader, offset;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return k.reader * 0x9E3779B97F4A7C15ull ^ k.offset; }
  };
  struct Entry {
    Key key;
    std::shared_ptr<const V> value;
    size_t charge;
  };
  void EvictLocked() {
    while (usage_ > capacity_ && !lru_.empty()) {
      usage_ -= lru_.back().charge;
      map_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

  mutable std::mutex mu_;
  size_t capacity_;
  size_t usage_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<Key, typename std::list<Entry>::iterator, KeyHash> map_;
};

// Decoded column blocks.
class BlockCache : public SharedLruCache<ColumnBlock> {
 public:
  using SharedLruCache::SharedLruCache;
  // The cache SegmentReaders use: 192 MiB by default (with the term and postings caches'
  // 32 MiB each, the 256 MiB that SetCacheBudget splits), room for the hot blocks of a few
  // million events while staying a quarter of the 1 GiB server budget.
  static BlockCache* Default();
  static size_t Charge(const ColumnBlock& block) { return CacheCharge(block); }
};

// Decompressed term-table blocks (storage/term_table.h): the term index and the correlation-ID
// index. A point lookup then costs a binary search over the block's first keys and a scan of
// one cached block instead of a read, a checksum and a zstd decompression.
class TermBlockCache : public SharedLruCache<TermBlock> {
 public:
  using SharedLruCache::SharedLruCache;
  static TermBlockCache* Default();  // 32 MiB by default
};

// Decoded posting lists of frequent terms (SegmentReader::SharedPostings), keyed by the
// reader and the value's TermValue::position in the term index. Decoding the ~6,000 rows of a
// term such as `service:payment` in every segment was most of a `service:payment declined`
// query; a repeated one now intersects the cached set.
class PostingsCache : public SharedLruCache<Roaring> {
 public:
  using SharedLruCache::SharedLruCache;
  static PostingsCache* Default();  // 32 MiB by default
};

// Splits total_bytes between the default caches: 1/8 to term blocks (one 16 KiB block per
// segment and looked-up term; 32 MiB of 256 holds the blocks of thousands of lookups), 1/8 to
// decoded postings, the rest to column blocks. 0 disables them all.
void SetCacheBudget(size_t total_bytes);

}  // namespace trove
