#include "fuzz/segment_checksums.h"

#include <cstdint>
#include <string_view>

#include "storage/block.h"
#include "storage/coding.h"
#include "storage/format.h"
#include "storage/segment.h"

namespace trove::fuzz {
namespace {

// The harness's own decompression is capped so that a fuzzed raw_size cannot make the
// harness, rather than the reader, run out of memory.
constexpr uint32_t kMaxRepairRawSize = 4 << 20;

void FixHandle(std::string_view data_area, BlockHandle* h) {
  if (h->offset <= data_area.size() && h->size <= data_area.size() - h->offset) {
    h->crc = Crc32(data_area.substr(h->offset, h->size));
  }
}

}  // namespace

void RepairChecksums(std::string* file) {
  if (file->size() < format::kFooterSize) return;
  const uint64_t footer_at = file->size() - format::kFooterSize;
  char* footer = file->data() + footer_at;
  BlockHandle mh;
  mh.offset = DecodeFixed64(footer);
  mh.size = DecodeFixed32(footer + 8);
  mh.raw_size = DecodeFixed32(footer + 12);
  mh.codec = static_cast<uint8_t>(DecodeFixed32(footer + 20));
  const bool meta_in_file = mh.offset <= footer_at && mh.size == footer_at - mh.offset;
  bool rewritten = false;
  if (meta_in_file) {
    const std::string_view stored(file->data() + mh.offset, mh.size);
    mh.crc = Crc32(stored);
    std::string raw;
    SegmentMeta meta;
    bool decoded = mh.raw_size <= kMaxRepairRawSize &&
                   DecodeStoredBlock(stored, mh, "fuzz", &raw).ok();
    if (decoded) {
      Decoder d(raw);
      decoded = meta.DecodeFrom(&d, DecodeFixed32(footer + 24));
    }
    if (decoded) {
      const std::string_view data_area(file->data(), mh.offset);
      for (ColumnMeta& c : meta.columns) {
        for (ColumnBlockMeta& b : c.blocks) FixHandle(data_area, &b.handle);
        if (c.encoding == format::kEncodingStringDict) FixHandle(data_area, &c.dictionary);
        if (c.zstd_dictionary.size > 0) FixHandle(data_area, &c.zstd_dictionary);
      }
      for (TermTableMeta* t : {&meta.terms, &meta.traces}) {
        for (BlockHandle& h : t->blocks) FixHandle(data_area, &h);
      }
      std::string encoded;
      meta.EncodeTo(&encoded);
      std::string rest(file->data() + footer_at, format::kFooterSize);
      file->resize(mh.offset);
      file->append(encoded);
      file->append(rest);
      mh.size = static_cast<uint32_t>(encoded.size());
      mh.raw_size = mh.size;
      mh.crc = Crc32(encoded);
      mh.codec = format::kCodecNone;
      rewritten = true;
    }
  }
  // The footer: the new meta handle (or just the meta's CRC), then the footer's own CRC.
  footer = file->data() + file->size() - format::kFooterSize;
  std::string head;
  if (rewritten) {
    PutFixed64(&head, mh.offset);
    PutFixed32(&head, mh.size);
    PutFixed32(&head, mh.raw_size);
    PutFixed32(&head, mh.crc);
    PutFixed32(&head, mh.codec);
    head.copy(footer, head.size());
  } else if (meta_in_file) {
    PutFixed32(&head, mh.crc);
    head.copy(footer + 16, head.size());
  }
  const uint32_t crc = Crc32(std::string_view(footer, 28));
  std::string crc_bytes;
  PutFixed32(&crc_bytes, crc);
  crc_bytes.copy(footer + 28, 4);
}

}  // namespace trove::fuzz
