// A sorted, immutable table of byte-string keys → values, stored as blocks in a segment file.
// It holds the inverted term index ("field\0token" → postings) and the correlation-ID index
// (encoded trace ID → postings). Keys are prefix-compressed inside zstd blocks; a sparse index
// of each block's first key sits in the segment meta, so an exact lookup reads one block and a
// prefix lookup reads a contiguous range of blocks.
#pragma once

#include <cstdint>
#include <functional>
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
class TermTableReader {
 public:
  TermTableReader(const RandomAccessFile* file, const TermTableMeta* meta)
      : file_(file), meta_(meta) {}
  // The value of key, std::nullopt if absent, or Corruption.
  Result<std::optional<std::string>> Get(std::string_view key) const;
  // Calls fn(key, value) for each key starting with prefix, in order, until fn returns false.
  Status Scan(std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;

 private:
  const RandomAccessFile* file_;
  const TermTableMeta* meta_;
};

}  // namespace trove
