// A process-wide LRU cache of decoded column blocks, so repeated reads of the same blocks
// (a dashboard re-running a query, the rows of one trace, verification of nearby candidates)
// skip the read, checksum, zstd decompression and decoding. Keyed by a reader's unique id and
// the block's file offset, so entries of closed or deleted segments are never found again
// and simply age out. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "storage/column.h"

namespace trove {

class BlockCache {
 public:
  explicit BlockCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  // The cache SegmentReaders use: 256 MiB, room for the hot blocks of a few million events
  // while staying a quarter of the 1 GiB server budget.
  static BlockCache* Default();

  std::shared_ptr<const ColumnBlock> Lookup(uint64_t reader, uint64_t offset);
  void Insert(uint64_t reader, uint64_t offset, std::shared_ptr<const ColumnBlock> block);
  // Evicts down to the new capacity; 0 disables caching.
  void SetCapacity(size_t capacity_bytes);
  size_t usage() const;
  uint64_t hits() const;
  uint64_t misses() const;

  // Approximate heap bytes held by a decoded block.
  static size_t Charge(const ColumnBlock& block);

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
    std::shared_ptr<const ColumnBlock> block;
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

}  // namespace trove
