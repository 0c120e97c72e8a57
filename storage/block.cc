#include "storage/block.h"

// ZSTD_c_maxBlockSize (CompressionOptions::zstd_block_bytes) is an experimental parameter.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
// ZDICT_trainFromBuffer_fastCover with fixed parameters: the stable ZDICT_trainFromBuffer
// searches several and costs 4x more per segment written.
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

#include <algorithm>
#include <cstring>
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
#ifdef ZSTD_c_maxBlockSize
    if (options.zstd_block_bytes != 0) {
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_maxBlockSize, static_cast<int>(options.zstd_block_bytes));
    }
#endif
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

ZstdDictionary::~ZstdDictionary() {
  ZSTD_freeCDict(cdict_);
  ZSTD_freeDDict(ddict_);
}

size_t ZstdDictionary::bytes() const {
  return (cdict_ ? ZSTD_sizeof_CDict(cdict_) : 0) + (ddict_ ? ZSTD_sizeof_DDict(ddict_) : 0);
}

std::string ZstdDictionary::Train(const std::vector<std::string_view>& samples, size_t max_bytes) {
  std::string joined;
  std::vector<size_t> sizes;
  sizes.reserve(samples.size());
  for (std::string_view s : samples) {
    joined.append(s);
    sizes.push_back(s.size());
  }
  std::string dict(max_bytes, '\0');
  // Fixed k/d (no parameter search): about 30 ms on a sample of a 122k-event segment's
  // messages, within 1-2% of what the searching trainers reach on our logs.
  ZDICT_fastCover_params_t params{};
  params.k = 200;
  params.d = 8;
  params.f = 20;
  params.accel = 4;
  params.steps = 0;
  const size_t n = ZDICT_trainFromBuffer_fastCover(dict.data(), dict.size(), joined.data(),
                                                   sizes.data(),
                                                   static_cast<unsigned>(sizes.size()), params);
  if (ZDICT_isError(n)) return std::string();
  dict.resize(n);
  return dict;
}

std::unique_ptr<ZstdDictionary> ZstdDictionary::ForCompression(std::string_view bytes, int level) {
  std::unique_ptr<ZstdDictionary> d(new ZstdDictionary());
  d->cdict_ = ZSTD_createCDict(bytes.data(), bytes.size(), level);
  return d->cdict_ ? std::move(d) : nullptr;
}

std::unique_ptr<ZstdDictionary> ZstdDictionary::ForDecompression(std::string_view bytes) {
  // Only trained dictionaries (with zstd's magic number): raw bytes would be taken as
  // "content" and decode garbage silently instead of failing.
  if (bytes.size() < 8 || ZDICT_getDictID(bytes.data(), bytes.size()) == 0) return nullptr;
  std::unique_ptr<ZstdDictionary> d(new ZstdDictionary());
  d->ddict_ = ZSTD_createDDict(bytes.data(), bytes.size());
  return d->ddict_ ? std::move(d) : nullptr;
}

Status BlockWriter::AddFramed(std::string_view raw, const std::vector<uint32_t>& cuts,
                              const ZstdDictionary* dict, BlockHandle* handle) {
  if (raw.size() > UINT32_MAX) return Status::InvalidArgument("block larger than 4 GiB");
  std::string& out = framed_;
  out.clear();
  PutVarint64(&out, cuts[0]);
  PutVarint64(&out, cuts.size());
  frames_.clear();
  ZSTD_CCtx* cctx = ThreadCompressor();
  for (size_t g = 0; g < cuts.size(); ++g) {
    const size_t end = g + 1 < cuts.size() ? cuts[g + 1] : raw.size();
    std::string_view piece = raw.substr(cuts[g], end - cuts[g]);
    size_t n = 0;
    if (!piece.empty()) {
      const size_t bound = ZSTD_compressBound(piece.size());
      if (scratch_.size() < bound) scratch_.resize(bound);
      n = cctx ? ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters) : kZstdFailed;
      if (!ZSTD_isError(n)) {
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, options_.zstd_level);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);  // what readers of one frame check
        if (dict) n = ZSTD_CCtx_refCDict(cctx, dict->cdict());
      }
      if (!ZSTD_isError(n)) {
        n = ZSTD_compress2(cctx, scratch_.data(), bound, piece.data(), piece.size());
      }
      if (ZSTD_isError(n)) return Status::IOError("zstd cannot compress a frame");
      frames_.append(scratch_.data(), n);
    }
    PutVarint64(&out, n);
    PutVarint64(&out, piece.size());
  }
  out.append(raw.substr(0, cuts[0]));
  PutFixed32(&out, Crc32(out));
  out += frames_;
  if (out.size() > UINT32_MAX) return Status::InvalidArgument("block larger than 4 GiB");
  handle->codec = format::kCodecZstdFrames;
  handle->offset = offset_;
  handle->size = static_cast<uint32_t>(out.size());
  handle->raw_size = static_cast<uint32_t>(raw.size());
  handle->crc = Crc32(out);
  return AppendRaw(out);
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
  if (h.codec == format::kCodecZstdFrames) return Status::OK();  // its table is checked next
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

// The frame table of a framed block: varint head_size | varint frame_count |
// (varint stored_size | varint raw_size)* | head | u32 CRC-32 of everything before it.
struct FrameTable {
  uint32_t head_size = 0;
  std::vector<std::pair<uint32_t, uint32_t>> frames;  // (stored, raw) sizes
  size_t bytes = 0;                                   // the table, head and CRC
};

// Parses the table at the start of bytes (a prefix of the stored block h). *more is set when
// bytes end before the table does but the block is longer: read more and call again.
Status ParseFrameTable(std::string_view bytes, const BlockHandle& h, const std::string& file,
                       FrameTable* t, bool* more) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption(file + " at offset " + std::to_string(h.offset) +
                              ": framed block: " + what);
  };
  *more = false;
  Decoder d(bytes);
  uint64_t count;
  const bool complete = bytes.size() >= h.size;
  auto truncated = [&] {
    if (complete) return bad("truncated frame table");
    *more = true;
    return Status::OK();
  };
  if (!d.GetVarint32(&t->head_size) || !d.GetVarint64(&count)) return truncated();
  // Each entry takes at least two bytes of the block.
  if (count == 0 || count > h.size / 2) return bad("bad frame count " + std::to_string(count));
  t->frames.resize(count);
  uint64_t stored = 0, raw = t->head_size;
  for (auto& [s, r] : t->frames) {
    if (!d.GetVarint32(&s) || !d.GetVarint32(&r)) return truncated();
    stored += s;
    raw += r;
    if ((s == 0) != (r == 0)) return bad("frame sizes disagree");
  }
  std::string_view head;
  if (!d.GetBytes(t->head_size, &head)) return truncated();
  const size_t covered = bytes.size() - d.remaining();
  uint32_t crc;
  if (!d.GetFixed32(&crc)) return truncated();
  if (Crc32(bytes.substr(0, covered)) != crc) return bad("frame table checksum mismatch");
  t->bytes = covered + 4;
  if (raw != h.raw_size) return bad("frames do not add up to the block's raw size");
  if (t->bytes + stored != h.size) return bad("frames do not add up to the block's size");
  return Status::OK();
}

// Decompresses one frame of a framed block into out (raw_size bytes).
Status DecompressFrame(std::string_view stored, uint32_t raw_size, const ZstdDictionary* dict,
                       char* out) {
  if (stored.empty()) return Status::OK();  // an empty frame (ParseFrameTable: raw 0 too)
  if (ZSTD_getFrameContentSize(stored.data(), stored.size()) != raw_size) {
    return Status::Corruption("zstd frame size does not match the frame table");
  }
  ZSTD_DCtx* dctx = ThreadDecompressor();
  if (dctx == nullptr) return Status::IOError("cannot set up zstd decompression");
  const size_t n =
      dict ? ZSTD_decompress_usingDDict(dctx, out, raw_size, stored.data(), stored.size(),
                                        dict->ddict())
           : ZSTD_decompressDCtx(dctx, out, raw_size, stored.data(), stored.size());
  if (ZSTD_isError(n)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != raw_size) return Status::Corruption("zstd frame does not decompress to its size");
  return Status::OK();
}

}  // namespace

Status DecodeStoredBlock(std::string_view stored, const BlockHandle& h, const std::string& file,
                         std::string* raw, const ZstdDictionary* dict) {
  auto where = [&] { return file + " at offset " + std::to_string(h.offset); };
  TROVE_RETURN_IF_ERROR(CheckStoredBlock(stored, h, file));
  if (h.codec == format::kCodecNone) {
    raw->assign(stored.data(), stored.size());
    return Status::OK();
  }
  if (h.codec == format::kCodecZstdFrames) {
    FrameTable t;
    bool more;
    TROVE_RETURN_IF_ERROR(ParseFrameTable(stored, h, file, &t, &more));
    raw->resize(h.raw_size);  // every byte is written below: the head, then each frame
    size_t in = t.bytes, out = t.head_size;
    std::memcpy(raw->data(), stored.data() + t.bytes - 4 - t.head_size, t.head_size);
    for (const auto& [s, r] : t.frames) {
      Status st = DecompressFrame(stored.substr(in, s), r, dict, raw->data() + out);
      if (!st.ok()) return Status::Corruption(where() + ": framed block: " + st.message());
      in += s;
      out += r;
    }
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

Status ReadBlock(const RandomAccessFile& file, const BlockHandle& h, std::string* raw,
                 const ZstdDictionary* dict) {
  // Reused per thread: a fresh buffer per block costs page faults on every read.
  thread_local std::string stored;
  Status s = file.Read(h.offset, h.size, &stored);
  if (s.ok()) s = DecodeStoredBlock(stored, h, file.path(), raw, dict);
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

namespace trove {

Status FramedBlock::Bad(const std::string& what) const {
  return Status::Corruption(file_->path() + " at offset " + std::to_string(handle_.offset) +
                            ": framed block: " + what);
}

Status FramedBlock::Open(const RandomAccessFile& file, const BlockHandle& handle,
                         const ZstdDictionary* dict) {
  file_ = &file;
  dict_ = dict;
  handle_ = handle;
  frames_.clear();
  if (handle.codec != format::kCodecZstdFrames) return Bad("not a framed block");
  // The table and header first (a few hundred bytes for 8192 rows), then frames as needed.
  std::string bytes;
  size_t want = std::min<size_t>(handle.size, 4096);
  FrameTable t;
  for (bool more = true; more;) {
    TROVE_RETURN_IF_ERROR(file.Read(handle.offset, want, &bytes));
    TROVE_RETURN_IF_ERROR(ParseFrameTable(bytes, handle, file.path(), &t, &more));
    want = std::min<size_t>(handle.size, want * 4);
  }
  head_.assign(bytes.data() + t.bytes - 4 - t.head_size, t.head_size);
  uint64_t at = handle.offset + t.bytes;
  frames_.resize(t.frames.size());
  for (size_t g = 0; g < frames_.size(); ++g) {
    frames_[g].offset = at;
    frames_[g].stored = t.frames[g].first;
    frames_[g].raw = t.frames[g].second;
    at += frames_[g].stored;
  }
  return Status::OK();
}

Result<std::string_view> FramedBlock::Frame(size_t g) {
  FrameInfo& f = frames_[g];
  if (!f.loaded) {
    std::string stored;
    TROVE_RETURN_IF_ERROR(file_->Read(f.offset, f.stored, &stored));
    f.bytes.resize(f.raw);
    Status s = DecompressFrame(stored, f.raw, dict_, f.bytes.data());
    if (!s.ok()) return Bad("frame " + std::to_string(g) + ": " + s.message());
    f.loaded = true;
  }
  return std::string_view(f.bytes);
}

}  // namespace trove
