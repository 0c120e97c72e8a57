#include "storage/block.h"

#include <zstd.h>

#include <memory>

#include "storage/format.h"

namespace trove {

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
  stored->resize(ZSTD_compressBound(raw.size()));
  size_t n;
  if (options.long_distance_matching) {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, options.zstd_level);
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_enableLongDistanceMatching, 1);
    // Readers decode with ZSTD_decompress, whose default window limit is 2^27 bytes.
    ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, 27);
    n = ZSTD_compress2(cctx.get(), stored->data(), stored->size(), raw.data(), raw.size());
  } else {
    n = ZSTD_compress(stored->data(), stored->size(), raw.data(), raw.size(), options.zstd_level);
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
  raw->resize(h.raw_size);
  size_t n = ZSTD_decompress(raw->data(), raw->size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != h.raw_size) {
    return Status::Corruption(where() + ": zstd block does not decompress to " +
                              std::to_string(h.raw_size) + " bytes");
  }
  return Status::OK();
}

Status ReadBlock(const RandomAccessFile& file, const BlockHandle& h, std::string* raw) {
  std::string stored;
  TROVE_RETURN_IF_ERROR(file.Read(h.offset, h.size, &stored));
  return DecodeStoredBlock(stored, h, file.path(), raw);
}

}  // namespace trove
