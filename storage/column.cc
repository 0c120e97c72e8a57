#include "storage/column.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

#include "storage/format.h"

namespace trove {
namespace {

uint64_t DoubleBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
double BitsDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// Per byte: its hex digit value (0–15) and whether it is a lowercase or uppercase letter digit;
// IDs are encoded for every event of every segment, so this is a table, not branches.
struct HexTable {
  static constexpr uint8_t kNotHex = 0xFF;
  static constexpr uint8_t kLowerLetter = 1, kUpperLetter = 2;
  uint8_t value[256];
  uint8_t letter[256];
  constexpr HexTable() : value(), letter() {
    for (int c = 0; c < 256; ++c) {
      value[c] = kNotHex;
      letter[c] = 0;
      if (c >= '0' && c <= '9') value[c] = static_cast<uint8_t>(c - '0');
      if (c >= 'a' && c <= 'f') value[c] = static_cast<uint8_t>(c - 'a' + 10), letter[c] = kLowerLetter;
      if (c >= 'A' && c <= 'F') value[c] = static_cast<uint8_t>(c - 'A' + 10), letter[c] = kUpperLetter;
    }
  }
};
constexpr HexTable kHex;

// The hex case of s: kIdLowerHex, kIdUpperHex, or kIdRaw when s is not hex of one case.
uint8_t HexCase(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return format::kIdRaw;
  uint8_t letters = 0, bad = 0;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    bad |= static_cast<uint8_t>(kHex.value[b] == HexTable::kNotHex);
    letters |= kHex.letter[b];
  }
  if (bad != 0 || letters == (HexTable::kLowerLetter | HexTable::kUpperLetter)) {
    return format::kIdRaw;
  }
  return letters == HexTable::kUpperLetter ? format::kIdUpperHex : format::kIdLowerHex;
}

// Readers fill the vector of the encoding and read the vector of the type: they must agree.
bool EncodingFitsType(ValueType type, uint8_t encoding) {
  switch (type) {
    case ValueType::kString:
      return encoding == format::kEncodingStringPlain || encoding == format::kEncodingStringDict ||
             encoding == format::kEncodingId;
    case ValueType::kInt64:
      return encoding == format::kEncodingIntDelta || encoding == format::kEncodingIntFor ||
             encoding == format::kEncodingByte;
    case ValueType::kDouble: return encoding == format::kEncodingDouble;
    case ValueType::kBool: return encoding == format::kEncodingByte;
  }
  return false;
}

}  // namespace

std::string EncodeId(std::string_view id) {
  std::string out;
  AppendEncodedId(id, &out);
  return out;
}

void AppendEncodedId(std::string_view id, std::string* out) {
  const uint8_t tag = HexCase(id);
  out->push_back(static_cast<char>(tag));
  if (tag == format::kIdRaw) {
    out->append(id);
    return;
  }
  const size_t start = out->size();
  out->resize(start + id.size() / 2);
  char* dst = out->data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(id.data());
  for (size_t i = 0; i < id.size(); i += 2) {
    *dst++ = static_cast<char>(kHex.value[src[i]] << 4 | kHex.value[src[i + 1]]);
  }
}

bool DecodeId(std::string_view enc, std::string* id) {
  id->clear();
  return AppendDecodedId(enc, id);
}

bool AppendDecodedId(std::string_view enc, std::string* out) {
  if (enc.empty()) return false;
  uint8_t tag = static_cast<uint8_t>(enc[0]);
  enc.remove_prefix(1);
  if (tag == format::kIdRaw) {
    out->append(enc);
    return true;
  }
  if (tag != format::kIdLowerHex && tag != format::kIdUpperHex) return false;
  const char* digits = tag == format::kIdLowerHex ? "0123456789abcdef" : "0123456789ABCDEF";
  // Sized once and written in place: trace lookups decode whole blocks of IDs.
  const size_t start = out->size();
  out->resize(start + enc.size() * 2);
  char* p = out->data() + start;
  for (unsigned char c : enc) {
    *p++ = digits[c >> 4];
    *p++ = digits[c & 15];
  }
  return true;
}

void ColumnMeta::EncodeTo(std::string* dst, uint32_t version) const {
  PutLengthPrefixed(dst, name);
  dst->push_back(static_cast<char>(kind));
  dst->push_back(static_cast<char>(type));
  dst->push_back(static_cast<char>(encoding));
  PutVarint64(dst, present);
  if (encoding == format::kEncodingStringDict) {
    dictionary.EncodeTo(dst);
    PutVarint64(dst, dictionary_size);
  }
  if (version >= format::kSegmentFormatVersion2) {
    PutVarint64(dst, frame_rows);
    if (frame_rows > 0) zstd_dictionary.EncodeTo(dst);
  }
  PutVarint64(dst, blocks.size());
  for (const ColumnBlockMeta& b : blocks) {
    b.handle.EncodeTo(dst);
    PutVarint64(dst, b.first_row);
    PutVarint64(dst, b.num_rows);
    PutVarint64(dst, b.present);
    if (encoding == format::kEncodingDouble) {
      PutFixed64(dst, DoubleBits(b.min_double));
      PutFixed64(dst, DoubleBits(b.max_double));
    } else {
      PutVarint64(dst, ZigZag(b.min_int));
      PutVarint64(dst, ZigZag(b.max_int));
    }
  }
}

bool ColumnMeta::DecodeFrom(Decoder* d, uint32_t version) {
  std::string_view n;
  uint8_t t;
  uint64_t nblocks;
  if (!d->GetLengthPrefixed(&n) || !d->GetByte(&kind) || !d->GetByte(&t) ||
      !d->GetByte(&encoding) || !d->GetVarint32(&present)) {
    return false;
  }
  if (t > static_cast<uint8_t>(ValueType::kBool) || encoding > format::kEncodingId) return false;
  if (kind != format::kKindBuiltin && kind != format::kKindAttribute) return false;
  name.assign(n);
  type = static_cast<ValueType>(t);
  if (!EncodingFitsType(type, encoding)) return false;
  if (kind == format::kKindBuiltin) {
    if (!IsBuiltinField(name)) return false;
    const bool numeric = name == kFieldTime || name == kFieldLevel;
    if (type != (numeric ? ValueType::kInt64 : ValueType::kString)) return false;
  }
  if (encoding == format::kEncodingStringDict &&
      (!dictionary.DecodeFrom(d) || !d->GetVarint32(&dictionary_size))) {
    return false;
  }
  frame_rows = 0;
  zstd_dictionary = BlockHandle();
  if (version >= format::kSegmentFormatVersion2) {
    if (!d->GetVarint32(&frame_rows)) return false;
    if (frame_rows > 0 && !zstd_dictionary.DecodeFrom(d)) return false;
  }
  if (!d->GetVarint64(&nblocks) || nblocks > d->remaining()) return false;
  blocks.resize(nblocks);
  uint32_t expected_first = 0;
  for (ColumnBlockMeta& b : blocks) {
    if (!b.handle.DecodeFrom(d) || !d->GetVarint32(&b.first_row) ||
        !d->GetVarint32(&b.num_rows) || !d->GetVarint32(&b.present)) {
      return false;
    }
    if (b.first_row != expected_first || b.present > b.num_rows) return false;
    if (b.handle.codec == format::kCodecZstdFrames && frame_rows == 0) return false;
    expected_first += b.num_rows;
    if (encoding == format::kEncodingDouble) {
      uint64_t lo, hi;
      if (!d->GetFixed64(&lo) || !d->GetFixed64(&hi)) return false;
      b.min_double = BitsDouble(lo);
      b.max_double = BitsDouble(hi);
    } else {
      uint64_t lo, hi;
      if (!d->GetVarint64(&lo) || !d->GetVarint64(&hi)) return false;
      b.min_int = UnZigZag(lo);
      b.max_int = UnZigZag(hi);
    }
  }
  return true;
}

size_t ColumnMeta::BlockForRow(uint32_t row) const {
  auto it = std::upper_bound(blocks.begin(), blocks.end(), row,
                             [](uint32_t r, const ColumnBlockMeta& b) { return r < b.first_row; });
  if (it == blocks.begin()) return blocks.size();
  size_t i = static_cast<size_t>(it - blocks.begin()) - 1;
  return row < blocks[i].first_row + blocks[i].num_rows ? i : blocks.size();
}

namespace {

// Trains the zstd dictionary of a plain-string column's frames on a sample of its values and
// writes it; leaves *dict null when the column is too small for one to pay or zstd finds too
// little to train on.
Status TrainDictionary(const std::vector<std::string_view>& values, const ColumnLayout& layout,
                       BlockWriter* writer, ColumnMeta* meta,
                       std::unique_ptr<ZstdDictionary>* dict) {
  size_t total = 0;
  for (std::string_view v : values) total += v.size();
  if (total < 8 * layout.zstd_dictionary_bytes) return Status::OK();
  // About 1 MiB of evenly spread values: enough for fastCover, and ~30 ms of training.
  constexpr size_t kSampleBytes = 1 << 20;
  const size_t stride = std::max<size_t>(1, total / kSampleBytes);
  std::vector<std::string_view> sample;
  for (size_t i = 0; i < values.size(); i += stride) {
    if (!values[i].empty()) sample.push_back(values[i]);
  }
  const std::string bytes = ZstdDictionary::Train(sample, layout.zstd_dictionary_bytes);
  if (bytes.empty()) return Status::OK();
  *dict = ZstdDictionary::ForCompression(bytes, layout.zstd_level);
  if (!*dict) return Status::OK();
  return writer->Add(bytes, &meta->zstd_dictionary);
}

}  // namespace

uint32_t ColumnBuilder::FrameRows(const ColumnLayout& layout, uint32_t total_rows,
                                  uint8_t encoding, size_t distinct) const {
  if (layout.frame_bytes == 0 || total_rows == 0 || layout.frame_row_step == 0) return 0;
  // The column's raw bytes, as the encodings below will write them (near enough).
  uint64_t bytes = 0;
  switch (encoding) {
    case format::kEncodingStringPlain:
      for (std::string_view s : strings_) bytes += s.size() + 1;
      break;
    case format::kEncodingId:
      for (std::string_view s : strings_) bytes += s.size() / 2 + 2;
      break;
    case format::kEncodingStringDict: bytes = rows_.size() * (distinct > 128 ? 2 : 1); break;
    case format::kEncodingDouble: bytes = rows_.size() * 8; break;
    case format::kEncodingByte: bytes = rows_.size(); break;
    default: bytes = rows_.size() * 3; break;  // varint deltas and offsets
  }
  const uint64_t per_row = std::max<uint64_t>(1, bytes / total_rows);
  const uint64_t steps = layout.frame_bytes / per_row / layout.frame_row_step;
  const uint64_t rows = std::max<uint64_t>(1, steps) * layout.frame_row_step;
  return rows * 2 > layout.block_rows ? 0 : static_cast<uint32_t>(rows);
}

ColumnBuilder::ColumnBuilder(std::string name, uint8_t kind, ValueType type, uint8_t int_encoding)
    : name_(std::move(name)), kind_(kind), type_(type), int_encoding_(int_encoding) {}

void ColumnBuilder::AddInt(uint32_t row, int64_t v) {
  rows_.push_back(row);
  ints_.push_back(v);
}
void ColumnBuilder::AddDouble(uint32_t row, double v) {
  rows_.push_back(row);
  doubles_.push_back(v);
}
void ColumnBuilder::AddString(uint32_t row, std::string_view v) {
  rows_.push_back(row);
  strings_.push_back(v);
}

Status ColumnBuilder::Finish(uint32_t total_rows, const ColumnLayout& layout, BlockWriter* writer,
                             ColumnMeta* meta) {
  const uint32_t block_rows = layout.block_rows;
  meta->name = name_;
  meta->kind = kind_;
  meta->type = type_;
  meta->present = static_cast<uint32_t>(rows_.size());
  meta->blocks.clear();
  const bool is_string = type_ == ValueType::kString;
  if (type_ == ValueType::kDouble) {
    meta->encoding = format::kEncodingDouble;
  } else if (!is_string) {
    meta->encoding = int_encoding_;
  } else if (int_encoding_ == format::kEncodingId) {
    meta->encoding = format::kEncodingId;
  } else {
    meta->encoding = format::kEncodingStringPlain;
  }

  // Dictionary when values repeat enough to pay for it: ids are 1–2 bytes against the text.
  // absl's map and hash: this runs over every string value of every segment written.
  // (absl::string_view is its own type in Debian's build, hence the conversions.)
  absl::flat_hash_map<absl::string_view, uint32_t> ids;
  auto key = [](std::string_view s) { return absl::string_view(s.data(), s.size()); };
  if (meta->encoding == format::kEncodingStringPlain && !strings_.empty()) {
    const size_t max_distinct = std::min<size_t>(65536, strings_.size() / 4 + 1);
    for (std::string_view s : strings_) {
      ids.emplace(key(s), 0);
      if (ids.size() > max_distinct) break;
    }
    if (ids.size() <= max_distinct) {
      std::vector<std::string_view> sorted;
      sorted.reserve(ids.size());
      for (auto& [s, id] : ids) sorted.emplace_back(s.data(), s.size());
      std::sort(sorted.begin(), sorted.end());
      // Framed (format 4) when large: a sparse read (a trace's one client IP among thousands)
      // then decompresses one frame, not the dictionary up to the id.
      const uint32_t per_frame = layout.dictionary_frame_values;
      size_t value_bytes = 0;  // at least; framing wants framed_block_bytes of them
      for (std::string_view v : sorted) value_bytes += v.size() + 1;
      const bool framed = per_frame > 0 && sorted.size() > per_frame &&
                          value_bytes >= layout.framed_block_bytes;
      std::string dict;
      std::vector<uint32_t> cuts;
      PutVarint64(&dict, sorted.size());
      if (framed) PutVarint64(&dict, per_frame);
      for (uint32_t i = 0; i < sorted.size(); ++i) {
        ids[key(sorted[i])] = i;
        if (framed && i % per_frame == 0) cuts.push_back(static_cast<uint32_t>(dict.size()));
        PutLengthPrefixed(&dict, sorted[i]);
      }
      meta->encoding = format::kEncodingStringDict;
      meta->dictionary_size = static_cast<uint32_t>(sorted.size());
      TROVE_RETURN_IF_ERROR(framed ? writer->AddFramed(dict, cuts, nullptr, &meta->dictionary)
                                   : writer->Add(dict, &meta->dictionary));
    }
  }

  const uint32_t frame_rows = FrameRows(layout, total_rows, meta->encoding, ids.size());
  meta->frame_rows = frame_rows;
  meta->zstd_dictionary = BlockHandle();
  std::unique_ptr<ZstdDictionary> zdict;
  if (frame_rows > 0 && meta->encoding == format::kEncodingStringPlain &&
      layout.zstd_dictionary_bytes > 0) {
    TROVE_RETURN_IF_ERROR(TrainDictionary(strings_, layout, writer, meta, &zdict));
  }

  std::string payload;
  std::vector<uint32_t> cuts;  // raw offsets where frames start (the first: after the header)
  size_t next = 0;  // index into rows_ / values
  for (uint32_t first = 0; first < total_rows; first += block_rows) {
    const uint32_t n = std::min(block_rows, total_rows - first);
    size_t begin = next;
    while (next < rows_.size() && rows_[next] < first + n) ++next;
    ColumnBlockMeta b;
    b.first_row = first;
    b.num_rows = n;
    b.present = static_cast<uint32_t>(next - begin);
    payload.clear();
    if (b.present == n) {
      payload.push_back(static_cast<char>(format::kAllPresent));
    } else {
      payload.push_back(static_cast<char>(format::kPresenceBitmap));
      std::string bits((n + 7) / 8, '\0');
      for (size_t i = begin; i < next; ++i) {
        uint32_t r = rows_[i] - first;
        bits[r / 8] = static_cast<char>(bits[r / 8] | (1 << (r % 8)));
      }
      payload += bits;
    }
    // Frame g holds the values of rows [g * frame_rows, (g + 1) * frame_rows) of the block.
    cuts.clear();
    uint32_t next_cut = 0;  // the block row at which the next frame starts
    auto cut_before = [&](size_t i) {  // called before the value of rows_[i]
      bool cut = false;
      while (frame_rows > 0 && rows_[i] - first >= next_cut) {
        cuts.push_back(static_cast<uint32_t>(payload.size()));
        next_cut += frame_rows;
        cut = true;
      }
      return cut;
    };
    if (meta->encoding == format::kEncodingDouble) {
      b.min_double = std::numeric_limits<double>::infinity();
      b.max_double = -b.min_double;
      for (size_t i = begin; i < next; ++i) {
        b.min_double = std::min(b.min_double, doubles_[i]);
        b.max_double = std::max(b.max_double, doubles_[i]);
        cut_before(i);
        PutFixed64(&payload, DoubleBits(doubles_[i]));
      }
      if (b.present == 0) b.min_double = b.max_double = 0;
    } else if (meta->encoding == format::kEncodingIntDelta ||
               meta->encoding == format::kEncodingIntFor ||
               meta->encoding == format::kEncodingByte) {
      if (b.present > 0) {
        auto [lo, hi] = std::minmax_element(ints_.begin() + begin, ints_.begin() + next);
        b.min_int = *lo;
        b.max_int = *hi;
      }
      int64_t prev = b.min_int;
      for (size_t i = begin; i < next; ++i) {
        int64_t v = ints_[i];
        if (cut_before(i)) prev = b.min_int;  // each frame decodes alone
        if (meta->encoding == format::kEncodingIntDelta) {
          PutVarint64(&payload, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(v) -
                                                            static_cast<uint64_t>(prev))));
          prev = v;
        } else if (meta->encoding == format::kEncodingIntFor) {
          PutVarint64(&payload, static_cast<uint64_t>(v) - static_cast<uint64_t>(b.min_int));
        } else {
          payload.push_back(static_cast<char>(v));
        }
      }
    } else if (meta->encoding == format::kEncodingStringDict) {
      for (size_t i = begin; i < next; ++i) {
        cut_before(i);
        PutVarint64(&payload, ids[key(strings_[i])]);
      }
    } else if (meta->encoding == format::kEncodingId) {
      std::string id;
      for (size_t i = begin; i < next; ++i) {
        cut_before(i);
        id.clear();
        AppendEncodedId(strings_[i], &id);
        PutLengthPrefixed(&payload, id);
      }
    } else {
      for (size_t i = begin; i < next; ++i) {
        cut_before(i);
        PutLengthPrefixed(&payload, strings_[i]);
      }
    }
    if (frame_rows > 0 && n > frame_rows && payload.size() >= layout.framed_block_bytes) {
      // Frames with no present value are empty; the table has one entry per frame.
      const size_t frames = (n + frame_rows - 1) / frame_rows;
      if (cuts.empty()) cuts.push_back(static_cast<uint32_t>(payload.size()));
      // Leading frames without values start where the first frame with values does; the
      // header ends there too (cut_before pushed one cut per frame boundary it crossed).
      while (cuts.size() < frames) cuts.push_back(static_cast<uint32_t>(payload.size()));
      TROVE_RETURN_IF_ERROR(writer->AddFramed(payload, cuts, zdict.get(), &b.handle));
    } else {
      TROVE_RETURN_IF_ERROR(writer->Add(payload, &b.handle));
    }
    meta->blocks.push_back(b);
  }
  return Status::OK();
}

Status StringTable::Decode(std::string_view raw, uint32_t expected, bool framed) {
  Decoder d(raw);
  uint64_t n, per_frame;
  if (!d.GetVarint64(&n) || n != expected) return Status::Corruption("dictionary size mismatch");
  if (framed && (!d.GetVarint64(&per_frame) || per_frame == 0)) {
    return Status::Corruption("framed dictionary without values per frame");
  }
  if (n > raw.size()) return Status::Corruption("truncated dictionary");
  data_.clear();
  ends_.clear();
  data_.reserve(raw.size());
  ends_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!d.GetLengthPrefixed(&s)) return Status::Corruption("truncated dictionary");
    data_.append(s);
    ends_.push_back(static_cast<uint32_t>(data_.size()));
  }
  if (!d.done()) return Status::Corruption("trailing bytes after dictionary");
  return Status::OK();
}

Status StringTable::DecodeSome(BlockPrefix* raw, uint32_t expected,
                               const std::vector<uint32_t>& ids) {
  data_.clear();
  ends_.clear();
  ends_.reserve(expected);
  constexpr size_t kStep = 16 << 10;  // the zstd block size of hot blocks
  TROVE_RETURN_IF_ERROR(raw->Extend(kStep));
  size_t at = 0;  // offset in raw->available() of the next value
  // Reads a varint or a length-prefixed value at `at`, extending the prefix as it needs.
  auto next = [&](auto&& get) -> bool {
    for (;;) {
      Decoder d(raw->available().substr(at));
      const size_t before = d.remaining();
      if (get(&d)) {
        at += before - d.remaining();
        return true;
      }
      const size_t have = raw->available().size();
      if (have >= raw->total() || !raw->Extend(std::max(have * 2, have + kStep)).ok() ||
          raw->available().size() == have) {
        return false;
      }
    }
  };
  uint64_t n = 0;
  if (!next([&](Decoder* d) { return d->GetVarint64(&n); }) || n != expected) {
    return Status::Corruption("dictionary size mismatch");
  }
  size_t k = 0;  // next wanted id in ids
  for (uint32_t i = 0; i < expected; ++i) {
    if (k < ids.size()) {
      std::string_view v;
      if (!next([&](Decoder* d) { return d->GetLengthPrefixed(&v); })) {
        return Status::Corruption("truncated dictionary");
      }
      if (ids[k] == i) {
        data_.append(v);
        ++k;
      }
    }
    ends_.push_back(static_cast<uint32_t>(data_.size()));
  }
  if (k < ids.size()) return Status::Corruption("dictionary id past the dictionary");
  return Status::OK();
}

Status StringTable::DecodeSome(FramedBlock* framed, uint32_t expected,
                               const std::vector<uint32_t>& ids) {
  data_.clear();
  ends_.clear();
  ends_.reserve(expected);
  Decoder head(framed->head());
  uint64_t n, per_frame;
  if (!head.GetVarint64(&n) || n != expected) return Status::Corruption("dictionary size mismatch");
  if (!head.GetVarint64(&per_frame) || per_frame == 0 || !head.done()) {
    return Status::Corruption("framed dictionary with a bad header");
  }
  if (framed->frames() != (n + per_frame - 1) / per_frame) {
    return Status::Corruption("dictionary frame count disagrees with its size");
  }
  size_t k = 0;  // next wanted id in ids
  for (size_t f = 0; f < framed->frames(); ++f) {
    const uint64_t first = f * per_frame, end = std::min<uint64_t>(n, first + per_frame);
    if (k == ids.size() || ids[k] >= end) {
      ends_.resize(end, static_cast<uint32_t>(data_.size()));  // no wanted value here
      continue;
    }
    TROVE_ASSIGN_OR_RETURN(std::string_view bytes, framed->Frame(f));
    Decoder d(bytes);
    for (uint64_t i = first; i < end; ++i) {
      std::string_view v;
      if (!d.GetLengthPrefixed(&v)) return Status::Corruption("truncated dictionary frame");
      if (k < ids.size() && ids[k] == i) {
        data_.append(v);
        ++k;
      }
      ends_.push_back(static_cast<uint32_t>(data_.size()));
    }
    if (!d.done()) return Status::Corruption("dictionary frame longer than its values");
  }
  if (k < ids.size()) return Status::Corruption("dictionary id past the dictionary");
  return Status::OK();
}

std::shared_ptr<const StringTable> StringTable::Empty(uint32_t size) {
  auto t = std::make_shared<StringTable>();
  t->ends_.assign(size, 0);
  return t;
}

namespace {

// The decoder of every DecodeColumnBlock form: raw is every byte of the payload; or, with
// source, the bytes produced so far, extended as rows need more; or, with framed (and only),
// the header, then one frame at a time, as the wanted rows need them.
Status DecodeColumnBlockFrom(const ColumnMeta& column, const ColumnBlockMeta& block,
                             std::string_view raw, BlockPrefix* source, FramedBlock* framed,
                             std::shared_ptr<const StringTable> dictionary,
                             ColumnBlock* out, const std::vector<uint32_t>* only) {
  auto bad = [&](const char* what) {
    return Status::Corruption("column '" + column.name + "' block at row " +
                              std::to_string(block.first_row) + ": " + what);
  };
  const uint32_t n = block.num_rows;
  const uint32_t frame_rows = column.frame_rows;  // 0: no frames
  const size_t total = source ? source->total() : framed ? block.handle.raw_size : raw.size();
  if (framed) {
    if (frame_rows == 0 || only == nullptr) return bad("framed block in a column without frames");
    if (framed->frames() != (uint64_t{n} + frame_rows - 1) / frame_rows) {
      return bad("frame count disagrees with the block's rows");
    }
    raw = framed->head();
  }
  // A prefix grows from 16 KiB, doubling: hot blocks are written in zstd blocks of 16 KiB
  // (SegmentWriteOptions::zstd_block_bytes), the unit a prefix read decompresses.
  constexpr size_t kPrefixStep = 16 << 10;
  // More raw bytes from the source, re-positioning d at offset `at`; false when there are none.
  Decoder d(raw);
  auto more = [&](size_t at) {
    if (source == nullptr || raw.size() >= total) return false;
    if (!source->Extend(std::max<size_t>(raw.size() * 2, raw.size() + kPrefixStep)).ok()) {
      return false;  // a damaged stream: the row then fails to decode and names the block
    }
    raw = source->available();
    d = Decoder(raw.substr(at));
    return true;
  };
  auto offset = [&] { return raw.size() - d.remaining(); };
  if (source) {
    // The header: presence byte and bitmap.
    TROVE_RETURN_IF_ERROR(source->Extend(std::max<size_t>(kPrefixStep, 1 + (uint64_t{n} + 7) / 8)));
    raw = source->available();
    d = Decoder(raw);
  }
  out->first_row = block.first_row;
  out->num_rows = n;
  out->present.clear();
  out->ints.clear();
  out->doubles.clear();
  out->dict_ids.clear();
  out->string_data.clear();
  out->string_ends.clear();
  out->dictionary.reset();
  out->decoded_rows.clear();
  uint8_t presence;
  if (!d.GetByte(&presence)) return bad("empty payload");
  // Bound the row count by the payload before sizing anything from it: a present row takes at
  // least one byte, an absent one a bit.
  const uint64_t min_bytes = presence == format::kAllPresent ? uint64_t{n} : (uint64_t{n} + 7) / 8;
  if (min_bytes > total - 1) return bad("row count larger than the block payload");
  // Every row's presence (empty: all present); a partial block keeps the wanted rows' only.
  std::vector<uint8_t> present;
  if (presence == format::kPresenceBitmap) {
    std::string_view bits;
    if (!d.GetBytes((uint64_t{n} + 7) / 8, &bits)) return bad("truncated presence bitmap");
    present.resize(n);
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; ++i) {
      present[i] = (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1;
      count += present[i];
    }
    if (count != block.present) return bad("presence bitmap disagrees with block meta");
  } else if (presence != format::kAllPresent || block.present != n) {
    return bad("bad presence marker");
  }
  if (framed && !d.done()) return bad("header longer than the presence marker");
  if (only && !only->empty() && only->back() >= n) return bad("requested row past the block");
  // Slots: one per row of a whole block; one per wanted row of a partial one.
  const uint32_t slots = only ? static_cast<uint32_t>(only->size()) : n;
  if (only) {
    out->decoded_rows = *only;
    if (!present.empty()) {
      out->present.resize(slots);
      for (uint32_t j = 0; j < slots; ++j) out->present[j] = present[(*only)[j]];
    }
  } else {
    out->present = std::move(present);
  }
  const std::vector<uint8_t>& all_present = only ? present : out->present;
  auto is_present = [&](uint32_t i) { return all_present.empty() || all_present[i] != 0; };

  switch (column.encoding) {
    case format::kEncodingIntDelta:
    case format::kEncodingIntFor:
    case format::kEncodingByte: out->ints.assign(slots, 0); break;
    case format::kEncodingDouble: out->doubles.assign(slots, 0.0); break;
    case format::kEncodingStringDict:
      if (!dictionary) return bad("dictionary missing");
      out->dict_ids.assign(slots, 0);
      out->dictionary = std::move(dictionary);
      break;
    default:
      out->string_ends.assign(slots, 0);
      if (!only) {
        out->string_data.reserve(column.encoding == format::kEncodingId ? raw.size() * 2
                                                                        : raw.size());
      }
      break;
  }
  if (column.encoding > format::kEncodingId) return bad("unknown encoding");
  size_t next_wanted = 0;  // index into *only
  int64_t prev = block.min_int;
  // Decodes row i at d; nullptr, or what is wrong (perhaps only that the bytes so far end).
  auto row = [&](uint32_t slot) -> const char* {
    switch (column.encoding) {
      case format::kEncodingIntDelta: {
        uint64_t z;
        if (!d.GetVarint64(&z)) return "truncated delta value";
        prev = static_cast<int64_t>(static_cast<uint64_t>(prev) +
                                    static_cast<uint64_t>(UnZigZag(z)));
        out->ints[slot] = prev;
        break;
      }
      case format::kEncodingIntFor: {
        uint64_t v;
        if (!d.GetVarint64(&v)) return "truncated value";
        out->ints[slot] = static_cast<int64_t>(static_cast<uint64_t>(block.min_int) + v);
        break;
      }
      case format::kEncodingByte: {
        uint8_t v;
        if (!d.GetByte(&v)) return "truncated value";
        out->ints[slot] = v;
        break;
      }
      case format::kEncodingDouble: {
        uint64_t bits;
        if (!d.GetFixed64(&bits)) return "truncated value";
        out->doubles[slot] = BitsDouble(bits);
        break;
      }
      case format::kEncodingStringDict: {
        uint32_t id;
        if (!d.GetVarint32(&id) || id >= out->dictionary->size()) return "bad dictionary id";
        out->dict_ids[slot] = id;
        break;
      }
      case format::kEncodingId: {
        std::string_view s;
        if (!d.GetLengthPrefixed(&s) || !AppendDecodedId(s, &out->string_data)) {
          return "bad ID";
        }
        if (out->string_data.size() > UINT32_MAX) return "block strings over 4 GiB";
        out->string_ends[slot] = static_cast<uint32_t>(out->string_data.size());
        break;
      }
      case format::kEncodingStringPlain: {
        std::string_view s;
        if (!d.GetLengthPrefixed(&s)) return "truncated string";
        out->string_data.append(s);
        if (out->string_data.size() > UINT32_MAX) return "block strings over 4 GiB";
        out->string_ends[slot] = static_cast<uint32_t>(out->string_data.size());
        break;
      }
      default: return "unknown encoding";
    }
    return nullptr;
  };
  // Steps over `count` present values without keeping them; returns how many it stepped over
  // (fewer when the bytes so far end), d then at the first value not stepped over.
  auto skip = [&](uint32_t count) -> uint32_t {
    switch (column.encoding) {
      case format::kEncodingByte:
      case format::kEncodingDouble: {
        const size_t width = column.encoding == format::kEncodingByte ? 1 : 8;
        const uint32_t fit = static_cast<uint32_t>(std::min<size_t>(count, d.remaining() / width));
        std::string_view ignored;
        d.GetBytes(size_t{fit} * width, &ignored);
        return fit;
      }
      default: break;
    }
    for (uint32_t k = 0; k < count; ++k) {
      const Decoder before = d;
      bool ok;
      uint64_t v;
      std::string_view ignored;
      switch (column.encoding) {
        case format::kEncodingIntDelta:
          ok = d.GetVarint64(&v);
          if (ok) {
            prev = static_cast<int64_t>(static_cast<uint64_t>(prev) +
                                        static_cast<uint64_t>(UnZigZag(v)));
          }
          break;
        case format::kEncodingIntFor:
        case format::kEncodingStringDict: ok = d.GetVarint64(&v); break;
        default: ok = d.GetLengthPrefixed(&ignored); break;
      }
      if (!ok) {
        d = before;
        return k;
      }
    }
    return count;
  };
  bool stopped = false;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t slot = i;
    if (frame_rows > 0 && i % frame_rows == 0) {
      prev = block.min_int;  // each frame's deltas start over
      if (framed) {
        const uint32_t next = next_wanted < only->size() ? (*only)[next_wanted] : n;
        if (next >= n) {
          stopped = true;
          break;
        }
        if (next - i >= frame_rows) {  // nothing wanted in this frame: on to next's
          if (next < i) return bad("wanted rows are not strictly ascending");
          i = next / frame_rows * frame_rows - 1;
          continue;
        }
        auto bytes = framed->Frame(i / frame_rows);
        if (!bytes.ok()) return bytes.status();
        raw = *bytes;
        d = Decoder(raw);
      }
    }
    if (only) {
      if ((source || framed) && next_wanted == only->size()) {
        stopped = true;  // every wanted row is decoded: leave the rest compressed
        break;
      }
      const uint32_t next = next_wanted < only->size() ? (*only)[next_wanted] : n;
      if (next < i) return bad("wanted rows are not strictly ascending");
      if (i < next) {
        // Rows before the next wanted one, up to the end of this frame: step over their
        // values, keeping none.
        const uint32_t stop =
            frame_rows > 0 ? std::min(next, (i / frame_rows + 1) * frame_rows) : next;
        uint32_t values = stop - i;
        if (!all_present.empty()) {
          values = static_cast<uint32_t>(
              std::count(all_present.begin() + i, all_present.begin() + stop, uint8_t{1}));
        }
        while (values > 0) {
          values -= skip(values);
          if (values > 0 && !more(offset())) return bad("truncated value");
        }
        i = stop - 1;
        continue;
      }
      slot = static_cast<uint32_t>(next_wanted++);  // i == next: a wanted row
    }
    if (!is_present(i)) continue;
    const size_t at = offset();
    for (const char* problem = row(slot); problem != nullptr; problem = row(slot)) {
      if (!more(at)) return bad(problem);
    }
  }
  if (!stopped && (!d.done() || (!framed && raw.size() != total))) return bad("trailing bytes");
  // Absent rows are empty: they end where the previous slot ended.
  if (!out->string_ends.empty() && !out->present.empty()) {
    for (uint32_t j = 0; j < slots; ++j) {
      if (!out->present[j]) out->string_ends[j] = j ? out->string_ends[j - 1] : 0;
    }
  }
  return Status::OK();
}

}  // namespace

Status DecodeColumnBlock(const ColumnMeta& column, const ColumnBlockMeta& block,
                         std::string_view raw,
                         std::shared_ptr<const StringTable> dictionary,
                         ColumnBlock* out, const std::vector<uint32_t>* only) {
  return DecodeColumnBlockFrom(column, block, raw, nullptr, nullptr, std::move(dictionary), out,
                               only);
}

Status DecodeColumnBlock(const ColumnMeta& column, const ColumnBlockMeta& block, BlockPrefix* raw,
                         std::shared_ptr<const StringTable> dictionary,
                         ColumnBlock* out, const std::vector<uint32_t>* only) {
  return DecodeColumnBlockFrom(column, block, raw->available(), raw, nullptr,
                               std::move(dictionary), out, only);
}

Status DecodeColumnBlock(const ColumnMeta& column, const ColumnBlockMeta& block,
                         FramedBlock* framed,
                         std::shared_ptr<const StringTable> dictionary,
                         ColumnBlock* out, const std::vector<uint32_t>& only) {
  return DecodeColumnBlockFrom(column, block, std::string_view(), nullptr, framed,
                               std::move(dictionary), out, &only);
}

}  // namespace trove
