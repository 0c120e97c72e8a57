#include "storage/block.h"

#include <zstd.h>

#include <memory>

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

Status DecodeStoredBlock(std::string_view stored, const BlockHandle& h, const std::string& file,
                         std::string* raw) {
  auto where = [&] { return file + " at offset " + std::to_string(h.offset); };
  if (Crc32(stored) != h.crc) return Status::Corruption(where() + ": block checksum mismatch");
  if (h.codec == format::kCodecNone) {
    if (stored.size() != h.raw_size) return Status::Corruption(where() + ": bad block size");
    raw->assign(stored.data(), stored.size());
    return Status::OK();
  }
  if (h.codec != format::kCodecZstd) {
    return Status::Corruption(where() + ": unknown codec " + std::to_string(h.codec));
  }
  // Writers record the content size in the frame; checking it first keeps a damaged raw_size
  // from making us allocate up to 4 GiB.
  if (ZSTD_getFrameContentSize(stored.data(), stored.size()) != h.raw_size) {
    return Status::Corruption(where() + ": zstd frame size does not match the block's raw size " +
                              std::to_string(h.raw_size));
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
