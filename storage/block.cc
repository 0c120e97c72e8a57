#include "storage/block.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "storage/format.h"

namespace trove {
namespace {

constexpr size_t kZstdFailed = static_cast<size_t>(-1);  // what ZSTD_isError() calls an error

// One zstd context of each kind per thread, reused across blocks: a fresh context per call
// allocates (and the kernel zeroes) several MiB of tables for every block.
ZSTD_CCtx* ThreadCompressor() {
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(),
                                                                       ZSTD_freeCCtx);
  return ctx.get();
}

ZSTD_DCtx* ThreadDecompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  return ctx.get();
}

}  // namespace

void ReleaseIfLarge(std::string* buffer) {
  constexpr size_t kKeep = 4 << 20;
  if (buffer->capacity() > kKeep) std::string().swap(*buffer);
}

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
  PutVarint64(dst, raw_size);
  PutFixed32(dst, crc);
  dst->push_back(static_cast<char>(codec));
}

bool BlockHandle::DecodeFrom(Decoder* d) {
  return d->GetVarint64(&offset) && d->GetVarint32(&size) && d->GetVarint32(&raw_size) &&
         d->GetFixed32(&crc) && d->GetByte(&codec);
}

void CompressBlock(std::string_view raw, const CompressionOptions& options, std::string* stored,
                   uint8_t* codec) {
  // Grow only: shrinking first would make resize zero-fill the output buffer every block.
  const size_t bound = ZSTD_compressBound(raw.size());
  if (stored->size() < bound) stored->resize(bound);
  ZSTD_CCtx* cctx = ThreadCompressor();
  size_t n = cctx ? ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters) : kZstdFailed;
  if (!ZSTD_isError(n)) {
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, options.zstd_level);
    // Readers need the content size in the frame (DecodeStoredBlock checks it first).
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
    if (options.long_distance_matching) {
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1);
      // Readers decode with a window limit of 2^27 bytes (zstd's default).
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 27);
    }
    n = ZSTD_compress2(cctx, stored->data(), bound, raw.data(), raw.size());
  }
  if (!ZSTD_isError(n) && n < raw.size()) {
    stored->resize(n);
    *codec = format::kCodecZstd;
  } else {
    stored->assign(raw.data(), raw.size());
    *codec = format::kCodecNone;
  }
}

Status BlockWriter::AppendRaw(std::string_view bytes) {
  TROVE_RETURN_IF_ERROR(file_->Append(bytes));
  offset_ += bytes.size();
  return Status::OK();
}

Status BlockWriter::Add(std::string_view raw, BlockHandle* handle) {
  if (raw.size() > UINT32_MAX) return Status::InvalidArgument("block larger than 4 GiB");
  CompressBlock(raw, options_, &scratch_, &handle->codec);
  handle->offset = offset_;
  handle->size = static_cast<uint32_t>(scratch_.size());
  handle->raw_size = static_cast<uint32_t>(raw.size());
  handle->crc = Crc32(scratch_);
  return AppendRaw(scratch_);
}

namespace {

// What can be checked of a stored block before decompressing it: its checksum, its codec, the
// size of an uncompressed block, and the content size a zstd frame records (writers record
// it; checking it first keeps a damaged raw_size from making us allocate up to 4 GiB).
Status CheckStoredBlock(std::string_view stored, const BlockHandle& h, const std::string& file) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption(file + " at offset " + std::to_string(h.offset) + ": " + what);
  };
  if (Crc32(stored) != h.crc) return bad("block checksum mismatch");
  if (h.codec == format::kCodecNone) {
    return stored.size() == h.raw_size ? Status::OK() : bad("bad block size");
  }
  if (h.codec != format::kCodecZstd) return bad("unknown codec " + std::to_string(h.codec));
  if (ZSTD_getFrameContentSize(stored.data(), stored.size()) != h.raw_size) {
    return bad("zstd frame size does not match the block's raw size " +
               std::to_string(h.raw_size));
  }
  return Status::OK();
}

}  // namespace

Status DecodeStoredBlock(std::string_view stored, const BlockHandle& h, const std::string& file,
                         std::string* raw) {
  auto where = [&] { return file + " at offset " + std::to_string(h.offset); };
  TROVE_RETURN_IF_ERROR(CheckStoredBlock(stored, h, file));
  if (h.codec == format::kCodecNone) {
    raw->assign(stored.data(), stored.size());
    return Status::OK();
  }
  // Grow only: shrinking first would make resize zero-fill bytes zstd is about to overwrite.
  if (raw->size() < h.raw_size) raw->resize(h.raw_size);
  ZSTD_DCtx* dctx = ThreadDecompressor();
  size_t n = dctx ? ZSTD_decompressDCtx(dctx, raw->data(), h.raw_size, stored.data(), stored.size())
                  : kZstdFailed;
  raw->resize(h.raw_size);
  if (ZSTD_isError(n) || n != h.raw_size) {
    return Status::Corruption(where() + ": zstd block does not decompress to " +
                              std::to_string(h.raw_size) + " bytes");
  }
  return Status::OK();
}

Status ReadBlock(const RandomAccessFile& file, const BlockHandle& h, std::string* raw) {
  // Reused per thread: a fresh buffer per block costs page faults on every read.
  thread_local std::string stored;
  Status s = file.Read(h.offset, h.size, &stored);
  if (s.ok()) s = DecodeStoredBlock(stored, h, file.path(), raw);
  ReleaseIfLarge(&stored);
  return s;
}

}  // namespace trove

namespace trove {

// A zstd context for one BlockPrefix, taken from a per-thread free list (a context allocates
// its tables once; a fresh one per block costs more than the decompression it saves).
struct BlockPrefix::Stream {
  using Ctx = std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)>;
  Ctx ctx{nullptr, ZSTD_freeDCtx};
  static std::vector<Ctx>& FreeList() {
    thread_local std::vector<Ctx> free;
    return free;
  }
  Stream() {
    auto& free = FreeList();
    if (!free.empty()) {
      ctx = std::move(free.back());
      free.pop_back();
    } else {
      ctx.reset(ZSTD_createDCtx());
    }
  }
  ~Stream() {
    auto& free = FreeList();
    if (ctx && free.size() < 4) free.push_back(std::move(ctx));
  }
};

BlockPrefix::BlockPrefix() = default;
BlockPrefix::~BlockPrefix() {
  ReleaseIfLarge(&stored_);
  ReleaseIfLarge(&raw_);
}

Status BlockPrefix::Bad(const std::string& what) const {
  return Status::Corruption(path_ + " at offset " + std::to_string(handle_.offset) + ": " + what);
}

Status BlockPrefix::Open(const RandomAccessFile& file, const BlockHandle& handle) {
  path_ = file.path();
  handle_ = handle;
  consumed_ = produced_ = 0;
  TROVE_RETURN_IF_ERROR(file.Read(handle.offset, handle.size, &stored_));
  TROVE_RETURN_IF_ERROR(CheckStoredBlock(stored_, handle, path_));
  if (handle.codec == format::kCodecNone) {
    raw_.assign(stored_);
    produced_ = raw_.size();
    return Status::OK();
  }
  if (raw_.size() < handle.raw_size) raw_.resize(handle.raw_size);
  if (!stream_) stream_ = std::make_unique<Stream>();
  ZSTD_DCtx* dctx = stream_->ctx.get();
  // ZSTD_d_experimentalParam2 is ZSTD_d_stableOutBuffer: zstd decompresses straight into raw_
  // (which holds the whole frame and never moves) instead of through a window buffer.
  if (dctx == nullptr || ZSTD_isError(ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)) ||
      ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_experimentalParam2, 1))) {
    return Status::IOError("cannot set up zstd decompression");
  }
  return Status::OK();
}

Status BlockPrefix::Extend(size_t n) {
  n = std::min<size_t>(n, handle_.raw_size);
  // Input in small steps: zstd emits a block's output as soon as its input is complete, so
  // feeding little at a time stops within one zstd block (≤ 128 KiB) of what was asked.
  constexpr size_t kStep = 16 << 10;
  while (produced_ < n) {
    if (consumed_ >= stored_.size()) return Bad("zstd block ends early");
    ZSTD_inBuffer in{stored_.data(), std::min(stored_.size(), consumed_ + kStep), consumed_};
    ZSTD_outBuffer out{raw_.data(), handle_.raw_size, produced_};
    const size_t r = ZSTD_decompressStream(stream_->ctx.get(), &out, &in);
    if (ZSTD_isError(r)) return Bad(std::string("zstd: ") + ZSTD_getErrorName(r));
    consumed_ = in.pos;
    produced_ = out.pos;
    if (r == 0 && produced_ != handle_.raw_size) {
      return Bad("zstd block does not decompress to " + std::to_string(handle_.raw_size) +
                 " bytes");
    }
  }
  return Status::OK();
}

}  // namespace trove
