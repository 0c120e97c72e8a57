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
#include "storage/block.h"
#include "storage/column.h"
#include "storage/term_table.h"

namespace trove {

// Approximate heap bytes each kind of cached value holds: what it is charged in its cache.
size_t CacheCharge(const ColumnBlock& block);
size_t CacheCharge(const TermBlock& block);
size_t CacheCharge(const Roaring& rows);
size_t CacheCharge(const StringTable& dictionary);
size_t CacheCharge(const ZstdDictionary& dictionary);

// The LRU behind every cache: shared, immutable values charged by an estimate of their heap
// bytes, held type-erased. One (reader, offset) key always holds values of one type: the typed
// front ends below keep their key spaces apart.
class LruCacheCore {
 public:
  explicit LruCacheCore(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  // Evicts down to the new capacity; 0 disables caching.
  void SetCapacity(size_t capacity_bytes);
  size_t capacity() const;
  size_t usage() const;
  uint64_t hits() const;
  uint64_t misses() const;

 protected:
  std::shared_ptr<const void> LookupErased(uint64_t reader, uint64_t offset);
  // A value charged over a quarter of the capacity is not kept: one huge block must not flush
  // the cache.
  void InsertErased(uint64_t reader, uint64_t offset, std::shared_ptr<const void> value,
                    size_t charge);

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
    std::shared_ptr<const void> value;
    size_t charge;
  };
  void EvictLocked();

  mutable std::mutex mu_;
  size_t capacity_;
  size_t usage_ = 0;
  uint64_t hits_ = 0, misses_ = 0;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map_;
};

// An LRU of values of type V.
template <typename V>
class SharedLruCache : public LruCacheCore {
 public:
  using LruCacheCore::LruCacheCore;

  std::shared_ptr<const V> Lookup(uint64_t reader, uint64_t offset) {
    return std::static_pointer_cast<const V>(LookupErased(reader, offset));
  }
  // Charged CacheCharge(*value).
  void Insert(uint64_t reader, uint64_t offset, std::shared_ptr<const V> value) {
    const size_t charge = CacheCharge(*value);
    InsertErased(reader, offset, std::move(value), charge);
  }
  void Insert(uint64_t reader, uint64_t offset, std::shared_ptr<const V> value, size_t charge) {
    InsertErased(reader, offset, std::move(value), charge);
  }
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

  // Column dictionaries (a dictionary-encoded column's StringTable, a framed column's zstd
  // dictionary) share the blocks' LRU and budget, so a large store's readers do not each keep
  // theirs for life. Keyed by the dictionary block's offset with bit 62 set (block offsets are
  // below 2^62; partial blocks use bit 63); each such block holds one kind of dictionary.
  template <typename D>
  std::shared_ptr<const D> LookupDictionary(uint64_t reader, uint64_t offset) {
    return std::static_pointer_cast<const D>(LookupErased(reader, offset | kDictionaryBit));
  }
  template <typename D>
  void InsertDictionary(uint64_t reader, uint64_t offset, std::shared_ptr<const D> dictionary) {
    const size_t charge = CacheCharge(*dictionary);
    InsertErased(reader, offset | kDictionaryBit, std::move(dictionary), charge);
  }
  static constexpr uint64_t kDictionaryBit = uint64_t{1} << 62;
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
