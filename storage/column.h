// Columns of a segment: one per built-in field and one per (attribute key, value type).
//
// A column is cut into blocks of up to `block_rows` rows. Each block stores a presence
// marker, then the values of the rows that have one, encoded by type (delta or
// frame-of-reference varints for integers, raw doubles, bytes for levels/bools,
// dictionary ids or plain strings, hex-compacted IDs), compressed with zstd. ColumnMeta keeps,
// per block, its handle, row range, present count and min/max, so readers prune and decode
// only the blocks they need. Layouts: storage/FORMAT.md.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/block.h"
#include "storage/event.h"
#include "storage/status.h"

namespace trove {

struct ColumnBlockMeta {
  BlockHandle handle;
  uint32_t first_row = 0;
  uint32_t num_rows = 0;
  uint32_t present = 0;  // rows of this block that have a value
  // Min/max of present values: integers (time, level, int, bool) in *_int, doubles in *_double.
  // Meaningless when present == 0.
  int64_t min_int = 0, max_int = 0;
  double min_double = 0, max_double = 0;
};

struct ColumnMeta {
  std::string name;      // "_time", "_msg", "service", … or the attribute key
  uint8_t kind = 0;      // format::kKindBuiltin / kKindAttribute
  ValueType type = ValueType::kString;
  uint8_t encoding = 0;  // format::kEncoding*
  uint32_t present = 0;  // rows of the segment with a value
  BlockHandle dictionary;        // kEncodingStringDict only
  uint32_t dictionary_size = 0;  // distinct values
  // Segment format 2 (0 in format 1): values are cut into frames of this many rows; delta
  // encoding restarts at each, and framed blocks (kCodecZstdFrames) compress each alone.
  uint32_t frame_rows = 0;
  BlockHandle zstd_dictionary;  // of the frames; size 0 = none (format 2, frame_rows > 0)
  std::vector<ColumnBlockMeta> blocks;

  // version: the segment's format version (format::kSegmentFormatVersion*).
  void EncodeTo(std::string* dst, uint32_t version) const;
  bool DecodeFrom(Decoder* d, uint32_t version);
  // The index of the block holding row, or blocks.size() if none.
  size_t BlockForRow(uint32_t row) const;
};

// The distinct values of a dictionary-encoded column (its dictionary block), back to back in
// one buffer: decoding one is a pass over the lengths, not an allocation per value (a column of
// client IPs or user IDs has thousands, and a trace or needle lookup touching a segment for the
// first time decodes its dictionaries).
class StringTable {
 public:
  size_t size() const { return ends_.size(); }
  std::string_view operator[](size_t i) const {
    const uint32_t begin = i ? ends_[i - 1] : 0;
    return std::string_view(data_.data() + begin, ends_[i] - begin);
  }
  // Heap bytes held.
  size_t bytes() const { return data_.capacity() + 4 * ends_.capacity(); }
  // From a dictionary block's raw bytes (`varint count | lp value*`, or for a framed block
  // `varint count | varint values_per_frame | lp value*`); expected: the count the column meta
  // records.
  Status Decode(std::string_view raw, uint32_t expected, bool framed = false);
  // A table of `expected` values of which only `ids` (ascending, distinct, < expected) hold
  // theirs; the others are empty. Decompresses the dictionary block only as far as the last
  // of them. For a partial block, whose rows' ids are the only ones looked up (the memos of
  // verification and stats index by the full ids, hence the full size).
  Status DecodeSome(BlockPrefix* raw, uint32_t expected, const std::vector<uint32_t>& ids);
  // The same from a framed dictionary block (format 4), decompressing only the frames that
  // hold ids; each frame it reads must hold exactly its values.
  Status DecodeSome(FramedBlock* framed, uint32_t expected, const std::vector<uint32_t>& ids);
  // `size` empty values (a stand-in while a partial block's ids are decoded).
  static std::shared_ptr<const StringTable> Empty(uint32_t size);

 private:
  std::string data_;
  std::vector<uint32_t> ends_;
};

// One decoded block. Vectors are indexed by row within the block; absent rows hold a
// default. Which vector is filled depends on the column's encoding.
struct ColumnBlock {
  uint32_t first_row = 0;
  uint32_t num_rows = 0;
  std::vector<uint8_t> present;          // empty when every row is present
  std::vector<int64_t> ints;             // delta, FOR, byte encodings
  std::vector<double> doubles;           // double encoding
  std::vector<uint32_t> dict_ids;        // dictionary encoding
  // Plain strings and IDs (original text), back to back: row i is
  // string_data[string_ends[i-1] .. string_ends[i]) (from 0 for row 0; empty when absent).
  // One buffer instead of a string per row keeps decoding a block to one allocation.
  std::string string_data;
  std::vector<uint32_t> string_ends;
  std::shared_ptr<const StringTable> dictionary;  // dictionary encoding
  // The dictionary holds only this partial block's values (StringTable::DecodeSome) and is
  // charged with the block; otherwise it is the column's, cached and charged on its own.
  bool own_dictionary = false;
  // A partial block (DecodeColumnBlock with `only`, SegmentReader::RowsOfBlock): the rows
  // within the block that were decoded, ascending. Every vector above then holds one slot per
  // decoded row, in this order, and Slot(row) finds it. Empty for a whole block, whose slot of
  // row i is i.
  std::vector<uint32_t> decoded_rows;

  // The slot of row i (within the block). REQUIRES: a whole block, or i among decoded_rows.
  uint32_t Slot(uint32_t i) const {
    if (decoded_rows.empty()) return i;
    return static_cast<uint32_t>(
        std::lower_bound(decoded_rows.begin(), decoded_rows.end(), i) - decoded_rows.begin());
  }
  // The accessors below take a slot (a row of a whole block).
  bool IsPresent(uint32_t i) const { return present.empty() || present[i] != 0; }
  // For string and ID columns.
  std::string_view StringAt(uint32_t i) const {
    if (dictionary) return (*dictionary)[dict_ids[i]];
    const uint32_t begin = i ? string_ends[i - 1] : 0;
    return std::string_view(string_data.data() + begin, string_ends[i] - begin);
  }
};

// How ColumnBuilder::Finish lays out blocks.
struct ColumnLayout {
  uint32_t block_rows = 8192;
  // 0: one zstd frame per block (segment format 1). Otherwise the column's values are cut into
  // frames of about this many raw bytes: frame_rows is a multiple of frame_row_step chosen from
  // the column's bytes per row, or 0 (no frames) when a block would hold fewer than two. A
  // block whose payload reaches framed_block_bytes is then stored framed (kCodecZstdFrames).
  size_t frame_bytes = 0;
  uint32_t frame_row_step = 128;
  size_t framed_block_bytes = 16 << 10;
  // Plain-string columns with at least 8x this much text get a zstd dictionary of this size
  // for their frames (0: none).
  size_t zstd_dictionary_bytes = 0;
  int zstd_level = 7;
  // Segment format 4: a dictionary of more than this many values and at least
  // framed_block_bytes is stored framed, this many values a frame (0: never).
  uint32_t dictionary_frame_values = 0;
};

// Accumulates one column's values for a segment being written, then encodes it.
// Rows must be added in increasing order. String values are held as views: the caller keeps
// the underlying strings alive until Finish returns.
class ColumnBuilder {
 public:
  ColumnBuilder(std::string name, uint8_t kind, ValueType type, uint8_t int_encoding);
  void AddInt(uint32_t row, int64_t v);
  void AddDouble(uint32_t row, double v);
  void AddString(uint32_t row, std::string_view v);
  // Encodes the blocks through writer (plus the dictionary, if chosen) and fills *meta.
  Status Finish(uint32_t total_rows, const ColumnLayout& layout, BlockWriter* writer,
                ColumnMeta* meta);

 private:
  std::string name_;
  uint8_t kind_;
  ValueType type_;
  // The frame size of this column in a segment of total_rows (ColumnLayout::frame_bytes).
  uint32_t FrameRows(const ColumnLayout& layout, uint32_t total_rows, uint8_t encoding,
                     size_t distinct) const;

  uint8_t int_encoding_;
  std::vector<uint32_t> rows_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string_view> strings_;
};

// Decodes one block payload (already checksum-verified and decompressed). With `only` (rows
// within the block, ascending), a partial block: those rows alone, one slot each
// (ColumnBlock::decoded_rows); fetching a few events from a block skips most of the work.
Status DecodeColumnBlock(const ColumnMeta& column, const ColumnBlockMeta& block,
                         std::string_view raw,
                         std::shared_ptr<const StringTable> dictionary,
                         ColumnBlock* out, const std::vector<uint32_t>* only = nullptr);
// The same, pulling the raw bytes from an open BlockPrefix as the rows need them. With `only`,
// decoding stops after the last wanted row, so the rest of the block is never decompressed,
// and rows after it read as empty.
Status DecodeColumnBlock(const ColumnMeta& column, const ColumnBlockMeta& block, BlockPrefix* raw,
                         std::shared_ptr<const StringTable> dictionary,
                         ColumnBlock* out, const std::vector<uint32_t>* only);
// The wanted rows of a framed block: only the frames holding them are decompressed.
Status DecodeColumnBlock(const ColumnMeta& column, const ColumnBlockMeta& block,
                         FramedBlock* framed,
                         std::shared_ptr<const StringTable> dictionary,
                         ColumnBlock* out, const std::vector<uint32_t>& only);

// Correlation and span IDs: lowercase or uppercase hex of even length is stored as binary
// behind a tag byte (format::kIdLowerHex / kIdUpperHex); anything else raw (kIdRaw).
std::string EncodeId(std::string_view id);
// Like EncodeId, appending to *out (no allocation once *out has grown).
void AppendEncodedId(std::string_view id, std::string* out);
// Returns false on malformed input.
bool DecodeId(std::string_view encoded, std::string* id);
// Like DecodeId, appending the ID to *out.
bool AppendDecodedId(std::string_view encoded, std::string* out);

}  // namespace trove
