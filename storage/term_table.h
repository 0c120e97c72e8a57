// A sorted, immutable table of byte-string keys → values, stored as blocks in a segment file.
// It holds the inverted term index ("field\0token" → postings) and the correlation-ID index
// (encoded trace ID → postings). Keys are prefix-compressed inside zstd blocks; a sparse index
// of each block's first key sits in the segment meta, so an exact lookup reads one block and a
// prefix lookup reads a contiguous range of blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/block.h"

namespace trove {

struct TermTableMeta {
  uint64_t num_keys = 0;
  std::vector<std::string> first_keys;  // first key of each block
  std::vector<BlockHandle> blocks;

  void EncodeTo(std::string* dst) const;
  bool DecodeFrom(Decoder* d);
};

// One decompressed block, as TermBlockCache keeps it: the raw entries and, for blocks that are
// cached, the full key and offset of every kTermRestartEvery-th entry, so that a lookup
// binary-searches them and then scans at most that many entries instead of the whole block
// (~300 entries of 16 KiB: the scan was 87% of a lookup that misses).
struct TermBlock {
  static constexpr size_t kTermRestartEvery = 16;
  std::string raw;
  std::string restart_keys;             // the keys, back to back
  std::vector<uint32_t> restart_ends;   // restart i's key ends here in restart_keys
  std::vector<uint32_t> restart_offsets;  // restart i's entry starts here in raw
  std::string_view RestartKey(size_t i) const {
    const uint32_t begin = i ? restart_ends[i - 1] : 0;
    return std::string_view(restart_keys).substr(begin, restart_ends[i] - begin);
  }
  // Fills the restarts from raw; false when the entries are malformed.
  bool Index();
};

class TermTableBuilder {
 public:
  // block_bytes: uncompressed size at which a block is cut; small blocks make point lookups
  // cheap, large ones compress better.
  TermTableBuilder(BlockWriter* writer, size_t block_bytes)
      : writer_(writer), block_bytes_(block_bytes) {}
  // REQUIRES: key > every key added before.
  Status Add(std::string_view key, std::string_view value);
  Status Finish(TermTableMeta* meta);

 private:
  Status FlushBlock();
  BlockWriter* writer_;
  size_t block_bytes_;
  TermTableMeta meta_;
  std::string block_;
  std::string last_key_;
  bool block_open_ = false;
};

// Reads a term table. Thread-safe (no mutable state); the file and meta must outlive it.
// With a cache_id (unique per open file, as SegmentReader's), decompressed blocks go through
// TermBlockCache::Default().
// A value found in a term table, with the block its bytes live in.
struct TermValue {
  std::shared_ptr<const TermBlock> block;  // keeps `value` alive
  std::string_view value;
  // Unique within one table: block number << 32 | the value's offset in the block.
  uint64_t position = 0;
};

class TermTableReader {
 public:
  TermTableReader(const RandomAccessFile* file, const TermTableMeta* meta, uint64_t cache_id = 0)
      : file_(file), meta_(meta), cache_id_(cache_id) {}
  // The value of key, std::nullopt if absent, or Corruption.
  Result<std::optional<std::string>> Get(std::string_view key) const;
  // The same without copying the value: false if absent.
  Result<bool> Find(std::string_view key, TermValue* out) const;
  // Calls fn(key, value) for each key starting with prefix, in order, until fn returns false.
  // With fill_cache false, blocks that are not cached are read without being cached (whole
  // table scans by maintenance must not evict the blocks of point lookups).
  Status Scan(std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn,
              bool fill_cache = true) const;

 private:
  // With fill_cache, a block read from the file is indexed (TermBlock::Index) and cached.
  Result<std::shared_ptr<const TermBlock>> LoadBlock(size_t b, bool fill_cache) const;

  const RandomAccessFile* file_;
  const TermTableMeta* meta_;
  const uint64_t cache_id_;
};

}  // namespace trove
