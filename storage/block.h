// Blocks: the unit of I/O inside a segment file. A block is a byte range with a CRC-32 of its
// stored bytes and an optional zstd compression; BlockHandle locates and describes one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/coding.h"
#include "storage/file_system.h"
#include "storage/status.h"

struct ZSTD_CDict_s;  // zstd.h
struct ZSTD_DDict_s;

namespace trove {

struct BlockHandle {
  uint64_t offset = 0;
  uint32_t size = 0;      // stored (possibly compressed) bytes
  uint32_t raw_size = 0;  // bytes after decompression
  uint32_t crc = 0;       // CRC-32 of the stored bytes
  uint8_t codec = 0;      // format::kCodec*

  void EncodeTo(std::string* dst) const;
  bool DecodeFrom(Decoder* d);
};

// How blocks are compressed.
struct CompressionOptions {
  int zstd_level = 3;
  // zstd long-distance matching: finds repeats far back in large blocks (cold segments).
  bool long_distance_matching = false;
  // Most raw bytes per zstd block inside a block's one frame (0: zstd's 128 KiB). A reader of
  // a block's first rows (BlockPrefix) decompresses whole zstd blocks up to them, so smaller
  // zstd blocks let it stop sooner. Not part of the format: any reader decodes any size.
  size_t zstd_block_bytes = 0;
};

// A zstd dictionary for the frames of one column's framed blocks (kCodecZstdFrames): trained
// on a sample of the column's values when a segment is written, stored as a block of its own,
// and digested once for compressing or for decompressing.
class ZstdDictionary {
 public:
  ~ZstdDictionary();
  ZstdDictionary(const ZstdDictionary&) = delete;
  ZstdDictionary& operator=(const ZstdDictionary&) = delete;

  // A dictionary of at most max_bytes trained on samples (zstd's fastCover), or empty when zstd
  // finds too little to train on.
  static std::string Train(const std::vector<std::string_view>& samples, size_t max_bytes);
  static std::unique_ptr<ZstdDictionary> ForCompression(std::string_view bytes, int level);
  // nullptr when bytes are not a zstd dictionary.
  static std::unique_ptr<ZstdDictionary> ForDecompression(std::string_view bytes);

  ZSTD_CDict_s* cdict() const { return cdict_; }
  ZSTD_DDict_s* ddict() const { return ddict_; }
  // Heap bytes held (zstd's digested tables).
  size_t bytes() const;

 private:
  ZstdDictionary() = default;
  ZSTD_CDict_s* cdict_ = nullptr;
  ZSTD_DDict_s* ddict_ = nullptr;
};

// Compresses with zstd (or stores raw when that is not smaller).
void CompressBlock(std::string_view raw, const CompressionOptions& options, std::string* stored,
                   uint8_t* codec);

// Appends blocks to a file being written and hands back their handles.
class BlockWriter {
 public:
  BlockWriter(WritableFile* file, const CompressionOptions& options)
      : file_(file), options_(options) {}
  // Compresses (when it pays) and appends raw; *handle describes where it went.
  Status Add(std::string_view raw, BlockHandle* handle);
  // A framed block (kCodecZstdFrames): raw[0, cuts[0]) is the header, kept uncompressed; frame
  // g is raw[cuts[g], cuts[g+1]) (the last runs to the end), compressed alone, with dict when
  // given. REQUIRES: cuts non-empty and ascending, each at most raw.size().
  Status AddFramed(std::string_view raw, const std::vector<uint32_t>& cuts,
                   const ZstdDictionary* dict, BlockHandle* handle);
  uint64_t offset() const { return offset_; }
  Status AppendRaw(std::string_view bytes);

 private:
  WritableFile* file_;
  CompressionOptions options_;
  uint64_t offset_ = 0;
  std::string scratch_;
  std::string framed_, frames_;  // AddFramed's output and compressed frames
};

// Reads a block, checks its checksum and decompresses it. Corruption names the file and offset.
// *raw's buffer is reused: pass the same string for many blocks to avoid reallocating it.
// dict: the column's dictionary, for framed blocks compressed with one.
Status ReadBlock(const RandomAccessFile& file, const BlockHandle& handle, std::string* raw,
                 const ZstdDictionary* dict = nullptr);

// Frees a per-thread scratch buffer that grew past a few MiB, so that many threads cannot each
// keep one large block's worth of memory.
void ReleaseIfLarge(std::string* buffer);

// A block's raw bytes decompressed only as far as a reader needs them. Open reads the stored
// bytes and checks their checksum and frame header, as ReadBlock does; Extend then produces raw
// bytes in order. A reader of a few early rows of a large block skips decompressing the rest
// (fetching the events of one trace reads one block of every column).
// Not thread-safe; many may be open at once.
class BlockPrefix {
 public:
  BlockPrefix();
  ~BlockPrefix();
  BlockPrefix(const BlockPrefix&) = delete;
  BlockPrefix& operator=(const BlockPrefix&) = delete;

  Status Open(const RandomAccessFile& file, const BlockHandle& handle);
  // Makes at least min(n, total()) raw bytes available. Corruption when the stream is bad.
  Status Extend(size_t n);
  // The raw bytes produced so far; the view's data pointer stays the same across Extend.
  std::string_view available() const { return std::string_view(raw_.data(), produced_); }
  size_t total() const { return handle_.raw_size; }

 private:
  Status Bad(const std::string& what) const;

  std::string path_;
  BlockHandle handle_;
  std::string stored_, raw_;
  size_t consumed_ = 0;  // stored bytes given to zstd
  size_t produced_ = 0;  // raw bytes out
  struct Stream;
  std::unique_ptr<Stream> stream_;
};

// Decompresses one stored block in memory (same checks as ReadBlock).
Status DecodeStoredBlock(std::string_view stored, const BlockHandle& handle,
                         const std::string& file, std::string* raw,
                         const ZstdDictionary* dict = nullptr);

// A framed block (kCodecZstdFrames) read a frame at a time: Open reads and checks the frame
// table and the header (their own CRC-32), Frame reads and decompresses one frame (zstd checks
// its content checksum). Fetching one row of a large block then costs one frame, not the
// block. Not thread-safe.
class FramedBlock {
 public:
  Status Open(const RandomAccessFile& file, const BlockHandle& handle, const ZstdDictionary* dict);
  // The raw header: the payload's bytes before the first frame.
  std::string_view head() const { return head_; }
  size_t frames() const { return frames_.size(); }
  // The raw bytes of frame g (decompressed on first use). REQUIRES: g < frames().
  Result<std::string_view> Frame(size_t g);

 private:
  Status Bad(const std::string& what) const;
  struct FrameInfo {
    uint64_t offset = 0;  // of its stored bytes, in the file
    uint32_t stored = 0, raw = 0;
    bool loaded = false;
    std::string bytes;
  };
  const RandomAccessFile* file_ = nullptr;
  const ZstdDictionary* dict_ = nullptr;
  BlockHandle handle_;
  std::string head_;
  std::vector<FrameInfo> frames_;
};

}  // namespace trove
