#include "storage/segment.h"

#include <atomic>

#include <algorithm>
#include <iterator>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <system_error>

#include "absl/container/flat_hash_map.h"

#include "index/postings.h"
#include "index/tokenizer.h"
#include "storage/block_cache.h"
#include "storage/fan_out.h"
#include "storage/format.h"

namespace trove {

std::string TermKey(std::string_view field, std::string_view token) {
  std::string key;
  key.reserve(field.size() + 1 + token.size());
  key.append(field);
  key.push_back(format::kTermFieldSeparator);
  key.append(token);
  return key;
}

std::string SegmentFileName(uint64_t id) {
  char buf[32];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return std::string(format::kSegmentPrefix) + buf + std::string(format::kSegmentSuffix);
}

bool ParseSegmentFileName(std::string_view name, uint64_t* id) {
  const auto& pre = format::kSegmentPrefix;
  const auto& suf = format::kSegmentSuffix;
  if (name.size() != pre.size() + 16 + suf.size() || name.substr(0, pre.size()) != pre ||
      name.substr(name.size() - suf.size()) != suf) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(pre.size(), 16)) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *id = v;
  return true;
}

void SegmentMeta::EncodeTo(std::string* dst) const {
  PutVarint64(dst, id);
  PutVarint64(dst, ZigZag(partition));
  PutVarint64(dst, rows);
  PutVarint64(dst, ZigZag(min_time));
  PutVarint64(dst, ZigZag(max_time));
  PutVarint64(dst, raw_bytes);
  PutVarint64(dst, columns.size());
  for (const ColumnMeta& c : columns) c.EncodeTo(dst, format_version);
  terms.EncodeTo(dst);
  traces.EncodeTo(dst);
  if (format_version >= format::kSegmentFormatVersion3) {
    PutVarint64(dst, term_granule_rows);
    term_filter.EncodeTo(dst);
    return;
  }
  // Optional trailing field: absent means exact (row) postings.
  if (term_granule_rows != 0) PutVarint64(dst, term_granule_rows);
}

bool SegmentMeta::DecodeFrom(Decoder* d, uint32_t version) {
  format_version = version;
  uint64_t part, lo, hi, ncols;
  if (!d->GetVarint64(&id) || !d->GetVarint64(&part) || !d->GetVarint32(&rows) ||
      !d->GetVarint64(&lo) || !d->GetVarint64(&hi) || !d->GetVarint64(&raw_bytes) ||
      !d->GetVarint64(&ncols) || ncols > d->remaining()) {
    return false;
  }
  partition = UnZigZag(part);
  min_time = UnZigZag(lo);
  max_time = UnZigZag(hi);
  columns.resize(ncols);
  for (ColumnMeta& c : columns) {
    if (!c.DecodeFrom(d, version)) return false;
    uint64_t covered = 0;
    for (const ColumnBlockMeta& b : c.blocks) covered += b.num_rows;
    if (covered != rows) return false;
  }
  if (!terms.DecodeFrom(d) || !traces.DecodeFrom(d)) return false;
  term_granule_rows = 0;
  term_filter = BlockHandle();
  if (version >= format::kSegmentFormatVersion3) {
    return d->GetVarint32(&term_granule_rows) && term_filter.DecodeFrom(d) && d->done();
  }
  if (!d->done() && (!d->GetVarint32(&term_granule_rows) || term_granule_rows == 0)) return false;
  return d->done();
}

namespace {

// trace ID → rows. absl's flat maps here and in FieldTerms: building a segment does one lookup
// per token of every event (this was the ingest profile's top entry with std::unordered_map).
using RowLists = absl::flat_hash_map<std::string, std::vector<uint32_t>>;

void AddRow(std::vector<uint32_t>* rows, uint32_t row) {
  if (rows->empty() || rows->back() != row) rows->push_back(row);
}

// The terms of one field while a segment is built: token → slot in `lists` (slots never move,
// unlike the values of a flat map), and a memo of whole values → their tokens' slots.
struct FieldTerms {
  absl::flat_hash_map<std::string, uint32_t> slots;
  std::vector<std::vector<uint32_t>> lists;  // rows per slot
  absl::flat_hash_map<std::string, std::vector<uint32_t>> memo;
};

// Collects field → token → rows while a segment is built. Callers look a field up once
// (Field) and then add text to it per row.
class TermCollector {
 public:
  // Distinct values a field's memo holds at most: services, hosts, routes, users and
  // latencies repeat (a few thousand values over 100k rows); a field of unique values stops
  // being memoised there.
  static constexpr size_t kMemoValues = 16384;

  // The terms of one field; stays valid for the collector's lifetime.
  FieldTerms* Field(std::string_view field) {
    auto it = fields_.find(field);
    if (it == fields_.end()) it = fields_.emplace(std::string(field), FieldTerms()).first;
    return &it->second;
  }

  // Cost: one hash lookup per token; allocation only for a token new to the field.
  void AddText(FieldTerms* terms, std::string_view text, uint32_t row) {
    index::ForEachToken(text, [&](std::string_view token) {
      AddRow(&terms->lists[Slot(terms, token)], row);
    });
  }

  // AddText for a value that is likely to repeat: a value seen before in the field costs one
  // hash lookup instead of tokenizing it and one lookup per token.
  void AddValue(FieldTerms* terms, std::string_view value, uint32_t row) {
    // absl's string_view (Debian's abseil does not alias std's) for the heterogeneous lookup.
    auto it = terms->memo.find(absl::string_view(value.data(), value.size()));
    if (it == terms->memo.end()) {
      if (terms->memo.size() >= kMemoValues) return AddText(terms, value, row);
      std::vector<uint32_t> value_slots;
      index::ForEachToken(value, [&](std::string_view token) {
        value_slots.push_back(Slot(terms, token));
      });
      it = terms->memo.emplace(std::string(value), std::move(value_slots)).first;
    }
    for (uint32_t slot : it->second) AddRow(&terms->lists[slot], row);
  }

  // With granule_rows > 0, each term lists the granules (row / granule_rows) that hold it
  // instead of its rows.
  // Appends each key's FilterHash to *hashes when it is not null.
  Status WriteTo(TermTableBuilder* table, uint32_t granule_rows, std::vector<uint64_t>* hashes) {
    std::string encoded;
    std::vector<uint32_t> granules;
    for (auto& [field, terms] : fields_) {
      std::vector<std::pair<std::string_view, uint32_t>> sorted(terms.slots.begin(),
                                                                terms.slots.end());
      std::sort(sorted.begin(), sorted.end());
      for (auto& [token, slot] : sorted) {
        encoded.clear();
        std::vector<uint32_t>* rows = &terms.lists[slot];
        if (granule_rows != 0) {
          granules.clear();
          for (uint32_t row : *rows) {
            if (granules.empty() || granules.back() != row / granule_rows) {
              granules.push_back(row / granule_rows);
            }
          }
          rows = &granules;
        }
        Roaring bitmap(rows->size(), rows->data());
        index::EncodePostings(&bitmap, &encoded);
        const std::string key = TermKey(field, token);
        if (hashes) hashes->push_back(index::FilterHash(key));
        TROVE_RETURN_IF_ERROR(table->Add(key, encoded));
      }
    }
    return Status::OK();
  }

 private:
  // The slot of token (lowercased) in the field, made on first sight.
  uint32_t Slot(FieldTerms* terms, std::string_view token) {
    lower_.resize(token.size());
    for (size_t i = 0; i < token.size(); ++i) lower_[i] = index::AsciiLower(token[i]);
    const auto next = static_cast<uint32_t>(terms->lists.size());
    auto [it, inserted] = terms->slots.try_emplace(lower_, next);
    if (inserted) terms->lists.emplace_back();
    return it->second;
  }

  // Ordered: the term table is written field by field in key order. Nodes never move, so the
  // FieldTerms pointers handed out stay valid.
  std::map<std::string, FieldTerms, std::less<>> fields_;
  std::string lower_;
};

struct AttrColumnKey {
  std::string_view name;
  ValueType type;
  bool operator<(const AttrColumnKey& o) const {
    return name != o.name ? name < o.name : type < o.type;
  }
};

using AttrColumns = std::map<AttrColumnKey, ColumnBuilder>;

// A WritableFile in memory: blocks are written here first when they go to the file later.
class StringFile : public WritableFile {
 public:
  explicit StringFile(std::string* data) : data_(data) {}
  Status Append(std::string_view data) override {
    data_->append(data);
    return Status::OK();
  }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  std::string* data_;
};

// A segment's term index and correlation-ID index, as the blocks that follow its columns in
// the file; the handles count offsets from the start of `bytes`.
struct IndexBlocks {
  std::string bytes;
  TermTableMeta terms, traces;
  BlockHandle term_filter;  // size 0: none
};

// How a segment's blocks (columns and indexes alike) are compressed.
CompressionOptions BlockCompression(const SegmentWriteOptions& options) {
  return {options.zstd_level, options.long_distance_matching, options.zstd_block_bytes};
}

// Tokenizes the events (in row order) and writes both indexes into *out.
Status BuildIndexes(const std::vector<const Event*>& events, const SegmentWriteOptions& options,
                    IndexBlocks* out) {
  TermCollector terms;
  FieldTerms* level_terms = terms.Field(kFieldLevel);
  FieldTerms* service_terms = terms.Field(kFieldService);
  FieldTerms* host_terms = terms.Field(kFieldHost);
  FieldTerms* message_terms = terms.Field(kFieldMessage);
  RowLists traces;
  std::string encoded_id;
  // As for columns: the attribute at position i usually has the key of the previous event's.
  std::vector<std::pair<std::string_view, FieldTerms*>> recent_fields;
  const auto rows = static_cast<uint32_t>(events.size());
  for (uint32_t row = 0; row < rows; ++row) {
    const Event& e = *events[row];
    terms.AddValue(level_terms, LevelName(e.level), row);
    terms.AddValue(service_terms, e.service, row);
    terms.AddValue(host_terms, e.host, row);
    terms.AddText(message_terms, e.message, row);
    if (!e.trace_id.empty()) {
      encoded_id.clear();
      AppendEncodedId(e.trace_id, &encoded_id);
      auto it = traces.find(encoded_id);
      if (it == traces.end()) it = traces.emplace(encoded_id, std::vector<uint32_t>()).first;
      AddRow(&it->second, row);
    }
    for (size_t i = 0; i < e.attributes.size(); ++i) {
      const Attribute& a = e.attributes[i];
      if (recent_fields.size() <= i) recent_fields.resize(i + 1);
      auto& [key, tokens] = recent_fields[i];
      if (tokens == nullptr || key != a.key) {
        key = a.key;  // a view of this event's key: compared with the next event's, never kept
        tokens = terms.Field(a.key);
      }
      if (const auto* s = std::get_if<std::string>(&a.value)) {
        terms.AddValue(tokens, *s, row);
      } else {
        terms.AddValue(tokens, ValueToString(a.value), row);
      }
    }
  }

  StringFile file(&out->bytes);
  BlockWriter writer(&file, BlockCompression(options));
  std::vector<uint64_t> hashes;
  {
    TermTableBuilder table(&writer, options.term_block_bytes);
    TROVE_RETURN_IF_ERROR(
        terms.WriteTo(&table, options.term_granule_rows, options.term_filter ? &hashes : nullptr));
    TROVE_RETURN_IF_ERROR(table.Finish(&out->terms));
  }
  std::vector<std::pair<std::string_view, std::vector<uint32_t>*>> sorted;
  for (auto& [k, v] : traces) sorted.emplace_back(k, &v);
  std::sort(sorted.begin(), sorted.end());
  TermTableBuilder table(&writer, options.term_block_bytes);
  std::string encoded;
  for (auto& [k, v] : sorted) {
    encoded.clear();
    Roaring bitmap(v->size(), v->data());
    index::EncodePostings(&bitmap, &encoded);
    TROVE_RETURN_IF_ERROR(table.Add(k, encoded));
  }
  TROVE_RETURN_IF_ERROR(table.Finish(&out->traces));
  // The filter follows the indexes, so it is part of the index tail (ColdIndexCache). It is
  // checked against every key before it is written: a filter that missed one would hide rows.
  std::string filter;
  if (!hashes.empty() && index::BuildTermFilter(hashes, &filter)) {
    index::TermFilter check;
    bool complete = check.Parse(filter);
    for (size_t i = 0; complete && i < hashes.size(); ++i) complete = check.MayContain(hashes[i]);
    if (complete) TROVE_RETURN_IF_ERROR(writer.Add(filter, &out->term_filter));
  }
  return Status::OK();
}

Status WriteFooter(BlockWriter* writer, const BlockHandle& meta, uint32_t version) {
  std::string footer;
  PutFixed64(&footer, meta.offset);
  PutFixed32(&footer, meta.size);
  PutFixed32(&footer, meta.raw_size);
  PutFixed32(&footer, meta.crc);
  PutFixed32(&footer, meta.codec);
  PutFixed32(&footer, version);
  PutFixed32(&footer, Crc32(footer));
  PutFixed64(&footer, format::kSegmentMagic);
  return writer->AppendRaw(footer);
}

}  // namespace

Status WriteSegment(FileSystem* fs, const std::string& path, uint64_t id, int64_t partition,
                    const std::vector<Event>& events, const SegmentWriteOptions& options,
                    SegmentMeta* meta, uint64_t* file_size) {
  std::vector<const Event*> ptrs;
  ptrs.reserve(events.size());
  for (const Event& e : events) ptrs.push_back(&e);
  return WriteSegment(fs, path, id, partition, std::move(ptrs), options, meta, file_size);
}

Status WriteSegment(FileSystem* fs, const std::string& path, uint64_t id, int64_t partition,
                    std::vector<const Event*> events, const SegmentWriteOptions& options,
                    SegmentMeta* meta, uint64_t* file_size) {
  if (events.empty() || events.size() > UINT32_MAX) {
    return Status::InvalidArgument("a segment holds 1 to 2^32-1 events");
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event* a, const Event* b) { return a->time_ns < b->time_ns; });
  const auto rows = static_cast<uint32_t>(events.size());
  *meta = SegmentMeta();
  meta->id = id;
  meta->partition = partition;
  meta->rows = rows;
  meta->min_time = events.front()->time_ns;
  meta->max_time = events.back()->time_ns;

  using format::kKindBuiltin;
  ColumnBuilder time(std::string(kFieldTime), kKindBuiltin, ValueType::kInt64,
                     format::kEncodingIntDelta);
  ColumnBuilder level(std::string(kFieldLevel), kKindBuiltin, ValueType::kInt64,
                      format::kEncodingByte);
  ColumnBuilder service(std::string(kFieldService), kKindBuiltin, ValueType::kString, 0);
  ColumnBuilder host(std::string(kFieldHost), kKindBuiltin, ValueType::kString, 0);
  ColumnBuilder message(std::string(kFieldMessage), kKindBuiltin, ValueType::kString, 0);
  ColumnBuilder trace(std::string(kFieldTraceId), kKindBuiltin, ValueType::kString,
                      format::kEncodingId);
  ColumnBuilder span(std::string(kFieldSpanId), kKindBuiltin, ValueType::kString,
                     format::kEncodingId);
  ColumnBuilder parent(std::string(kFieldParentSpanId), kKindBuiltin, ValueType::kString,
                       format::kEncodingId);
  AttrColumns attrs;
  // Events of one source carry the same attributes in the same order: the column of the
  // attribute at position i of the previous event is tried before the map.
  std::vector<AttrColumns::iterator> recent_attrs;

  // The indexes are built on another thread while this one builds the columns: the two share
  // nothing but the (read-only) events, and each is about half of a segment's CPU.
  IndexBlocks index;
  Status index_status;
  auto build_index = [&] { index_status = BuildIndexes(events, options, &index); };
  std::future<void> indexing;
  try {
    indexing = std::async(std::launch::async, build_index);
  } catch (const std::system_error&) {
    build_index();  // no thread to be had: build them here
  }
  // Returning early (an error below) waits for it: std::async's future joins on destruction.

  for (uint32_t row = 0; row < rows; ++row) {
    const Event& e = *events[row];
    meta->raw_bytes += e.ApproximateSize();
    time.AddInt(row, e.time_ns);
    level.AddInt(row, static_cast<int64_t>(e.level));
    if (!e.service.empty()) service.AddString(row, e.service);
    if (!e.host.empty()) host.AddString(row, e.host);
    if (!e.message.empty()) message.AddString(row, e.message);
    if (!e.trace_id.empty()) trace.AddString(row, e.trace_id);
    if (!e.span_id.empty()) span.AddString(row, e.span_id);
    if (!e.parent_span_id.empty()) parent.AddString(row, e.parent_span_id);
    for (size_t i = 0; i < e.attributes.size(); ++i) {
      const Attribute& a = e.attributes[i];
      AttrColumnKey key{a.key, TypeOf(a.value)};
      if (recent_attrs.size() <= i) recent_attrs.resize(i + 1, attrs.end());
      auto it = recent_attrs[i];
      if (it == attrs.end() || it->first.type != key.type || it->first.name != key.name) {
        it = attrs.find(key);
        if (it == attrs.end()) {
          uint8_t enc = key.type == ValueType::kBool ? format::kEncodingByte
                                                     : format::kEncodingIntFor;
          it = attrs.emplace(key, ColumnBuilder(a.key, format::kKindAttribute, key.type, enc))
                   .first;
        }
        recent_attrs[i] = it;
      }
      ColumnBuilder& column = it->second;
      switch (key.type) {
        case ValueType::kString:
          column.AddString(row, std::get<std::string>(a.value));
          break;
        case ValueType::kInt64:
          column.AddInt(row, std::get<int64_t>(a.value));
          break;
        case ValueType::kDouble:
          column.AddDouble(row, std::get<double>(a.value));
          break;
        case ValueType::kBool:
          column.AddInt(row, std::get<bool>(a.value) ? 1 : 0);
          break;
      }
    }
  }

  const std::string tmp = path + ".tmp";
  meta->term_granule_rows = options.term_granule_rows;
  const bool frame_dictionaries = options.term_filter && options.frame_bytes > 0 &&
                                  options.dictionary_frame_values > 0;
  meta->format_version = frame_dictionaries    ? format::kSegmentFormatVersion4
                         : options.term_filter ? format::kSegmentFormatVersion3
                         : options.frame_bytes > 0 ? format::kSegmentFormatVersion2
                                                   : format::kSegmentFormatVersion1;
  TROVE_ASSIGN_OR_RETURN(auto file, fs->NewWritableFile(tmp));
  BlockWriter writer(file.get(), BlockCompression(options));
  ColumnLayout layout;
  layout.block_rows = options.block_rows;
  layout.frame_bytes = options.frame_bytes;
  layout.frame_row_step = options.frame_row_step;
  layout.framed_block_bytes = options.framed_block_bytes;
  layout.zstd_dictionary_bytes = options.zstd_dictionary_bytes;
  layout.dictionary_frame_values = frame_dictionaries ? options.dictionary_frame_values : 0;
  layout.zstd_level = options.zstd_level;
  for (ColumnBuilder* col : {&time, &level, &service, &host, &message, &trace, &span, &parent}) {
    ColumnMeta cm;
    TROVE_RETURN_IF_ERROR(col->Finish(rows, layout, &writer, &cm));
    if (cm.present > 0 || cm.name == kFieldTime) meta->columns.push_back(std::move(cm));
  }
  for (auto& [key, column] : attrs) {
    ColumnMeta cm;
    TROVE_RETURN_IF_ERROR(column.Finish(rows, layout, &writer, &cm));
    meta->columns.push_back(std::move(cm));
  }
  if (indexing.valid()) indexing.get();  // rethrows what the thread threw (bad_alloc)
  TROVE_RETURN_IF_ERROR(index_status);
  // The index blocks were written from offset 0: move them to where they land in the file.
  const uint64_t index_offset = writer.offset();
  TROVE_RETURN_IF_ERROR(writer.AppendRaw(index.bytes));
  meta->terms = std::move(index.terms);
  meta->traces = std::move(index.traces);
  for (TermTableMeta* t : {&meta->terms, &meta->traces}) {
    for (BlockHandle& h : t->blocks) h.offset += index_offset;
  }
  meta->term_filter = index.term_filter;
  if (meta->term_filter.size > 0) meta->term_filter.offset += index_offset;
  std::string meta_bytes;
  meta->EncodeTo(&meta_bytes);
  BlockHandle meta_handle;
  TROVE_RETURN_IF_ERROR(writer.Add(meta_bytes, &meta_handle));
  TROVE_RETURN_IF_ERROR(WriteFooter(&writer, meta_handle, meta->format_version));
  TROVE_RETURN_IF_ERROR(file->Sync());
  TROVE_RETURN_IF_ERROR(file->Close());
  TROVE_RETURN_IF_ERROR(fs->RenameFile(tmp, path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  TROVE_RETURN_IF_ERROR(fs->SyncDir(dir.empty() ? "." : dir));
  *file_size = writer.offset();
  return Status::OK();
}

SegmentWriteOptions ColdSegmentWriteOptions() {
  SegmentWriteOptions o;
  o.block_rows = 8192;
  o.zstd_level = 19;
  o.long_distance_matching = true;
  o.term_granule_rows = o.block_rows;
  o.frame_bytes = 0;  // format 1: one frame per block compresses best, and cold reads are rare
  o.zstd_block_bytes = 0;
  return o;
}

const char* TierName(Tier tier) { return tier == Tier::kCold ? "cold" : "hot"; }

Result<std::shared_ptr<SegmentReader>> SegmentReader::Open(FileSystem* fs,
                                                           const std::string& path) {
  TROVE_ASSIGN_OR_RETURN(auto file, fs->NewRandomAccessFile(path));
  return Open(std::move(file), Tier::kHot);
}

Result<std::shared_ptr<SegmentReader>> SegmentReader::Open(std::unique_ptr<RandomAccessFile> file,
                                                           Tier tier) {
  const std::string& path = file->path();
  const uint64_t size = file->Size();
  if (size < format::kFooterSize) {
    return Status::Corruption(path + ": " + std::to_string(size) +
                              " bytes is too small to be a segment");
  }
  const uint64_t footer_at = size - format::kFooterSize;
  std::string footer;
  TROVE_RETURN_IF_ERROR(file->Read(footer_at, format::kFooterSize, &footer));
  auto bad = [&](const std::string& what, uint64_t offset) {
    return Status::Corruption(path + " at offset " + std::to_string(offset) + ": " + what);
  };
  if (DecodeFixed64(footer.data() + 32) != format::kSegmentMagic) {
    return bad("bad magic number (not a Trove segment)", footer_at + 32);
  }
  if (Crc32(std::string_view(footer.data(), 28)) != DecodeFixed32(footer.data() + 28)) {
    return bad("footer checksum mismatch", footer_at);
  }
  uint32_t version = DecodeFixed32(footer.data() + 24);
  if (version < format::kSegmentFormatVersion1 || version > format::kSegmentFormatVersion4) {
    return bad("unsupported segment format version " + std::to_string(version), footer_at + 24);
  }
  BlockHandle mh;
  mh.offset = DecodeFixed64(footer.data());
  mh.size = DecodeFixed32(footer.data() + 8);
  mh.raw_size = DecodeFixed32(footer.data() + 12);
  mh.crc = DecodeFixed32(footer.data() + 16);
  mh.codec = static_cast<uint8_t>(DecodeFixed32(footer.data() + 20));
  if (mh.offset > footer_at || mh.size != footer_at - mh.offset) {
    return bad("meta block location is outside the file", footer_at);
  }
  std::string raw;
  TROVE_RETURN_IF_ERROR(ReadBlock(*file, mh, &raw));
  SegmentMeta meta;
  Decoder d(raw);
  if (!meta.DecodeFrom(&d, version)) return bad("malformed segment meta", mh.offset);
  auto check_handle = [&](const BlockHandle& h) { return h.offset + h.size <= mh.offset; };
  // Writers lay blocks out one after another; overlapping handles would let two blocks share
  // a block-cache key (the offset) and hand a column another column's block.
  std::vector<std::pair<uint64_t, uint64_t>> extents;
  for (const ColumnMeta& c : meta.columns) {
    for (const ColumnBlockMeta& b : c.blocks) {
      if (!check_handle(b.handle)) return bad("column block outside the data area", mh.offset);
      extents.emplace_back(b.handle.offset, b.handle.size);
    }
    if (c.encoding == format::kEncodingStringDict) {
      if (!check_handle(c.dictionary)) return bad("dictionary outside the data area", mh.offset);
      if (c.dictionary.codec == format::kCodecZstdFrames &&
          version < format::kSegmentFormatVersion4) {
        return bad("framed dictionary in a format " + std::to_string(version) + " segment",
                   mh.offset);
      }
      extents.emplace_back(c.dictionary.offset, c.dictionary.size);
    }
    if (c.zstd_dictionary.size > 0) {
      if (!check_handle(c.zstd_dictionary)) {
        return bad("zstd dictionary outside the data area", mh.offset);
      }
      extents.emplace_back(c.zstd_dictionary.offset, c.zstd_dictionary.size);
    }
  }
  for (const TermTableMeta* t : {&meta.terms, &meta.traces}) {
    for (const BlockHandle& h : t->blocks) {
      if (!check_handle(h)) return bad("index block outside the data area", mh.offset);
      extents.emplace_back(h.offset, h.size);
    }
  }
  if (meta.term_filter.size > 0) {
    if (!check_handle(meta.term_filter)) return bad("term filter outside the data area", mh.offset);
    extents.emplace_back(meta.term_filter.offset, meta.term_filter.size);
  }
  std::sort(extents.begin(), extents.end());
  for (size_t i = 0; i < extents.size(); ++i) {
    if (extents[i].second == 0) return bad("empty block", extents[i].first);
    if (i > 0 && extents[i - 1].first + extents[i - 1].second > extents[i].first) {
      return bad("blocks overlap", extents[i].first);
    }
  }
  auto reader =
      std::shared_ptr<SegmentReader>(new SegmentReader(std::move(file), std::move(meta), tier));
  reader->meta_offset_ = mh.offset;
  if (reader->meta_.term_filter.size > 0) {
    // Read once and kept: queries probe it in every segment before anything else.
    const BlockHandle& fh = reader->meta_.term_filter;
    TROVE_RETURN_IF_ERROR(ReadBlock(*reader->file_, fh, &reader->term_filter_bytes_));
    if (!reader->term_filter_.Parse(reader->term_filter_bytes_)) {
      return bad("malformed term filter", fh.offset);
    }
  }
  return reader;
}

Result<Roaring> SegmentReader::DecodePostingsValue(std::string_view value, bool term) const {
  Roaring rows;
  const uint32_t granule = term ? meta_.term_granule_rows : 0;
  const uint64_t limit = granule == 0 ? meta_.rows : (uint64_t{meta_.rows} + granule - 1) / granule;
  if (!index::DecodePostings(value, &rows) || (!rows.isEmpty() && rows.maximum() >= limit)) {
    return Status::Corruption(path() + ": malformed posting list");
  }
  if (granule == 0) return rows;
  // Granules to their row ranges: every row a term may be in.
  Roaring expanded;
  for (uint32_t g : rows) {
    expanded.addRange(uint64_t{g} * granule,
                      std::min<uint64_t>(uint64_t{g + 1} * granule, meta_.rows));
  }
  return expanded;
}

namespace {
std::atomic<uint64_t> next_cache_id{1};
}  // namespace

SegmentReader::SegmentReader(std::unique_ptr<RandomAccessFile> file, SegmentMeta meta, Tier tier)
    : file_(std::move(file)),
      meta_(std::move(meta)),
      tier_(tier),
      cache_id_(next_cache_id.fetch_add(1)),
      sparse_dictionary_reads_(new std::atomic<uint32_t>[meta_.columns.size()]()) {}

bool SegmentReader::TakeSparseDictionaryRead(const ColumnMeta& column) const {
  const ColumnMeta* first = meta_.columns.data();
  if (&column < first || &column >= first + meta_.columns.size()) return false;  // not ours
  std::atomic<uint32_t>& reads = sparse_dictionary_reads_[&column - first];
  return reads.fetch_add(1, std::memory_order_relaxed) < kSparseDictionaryReads;
}

uint64_t SegmentReader::IndexTailBytes() const {
  // Index blocks are written after every column and dictionary block, then the meta block and
  // the footer (FORMAT.md §4), so the first index block starts the tail.
  uint64_t start = meta_offset_;
  for (const TermTableMeta* t : {&meta_.terms, &meta_.traces}) {
    for (const BlockHandle& h : t->blocks) start = std::min(start, h.offset);
  }
  if (meta_.term_filter.size > 0) start = std::min(start, meta_.term_filter.offset);
  return file_size() - start;
}

Result<Roaring> SegmentReader::Postings(std::string_view field, std::string_view token) const {
  TROVE_ASSIGN_OR_RETURN(auto rows, SharedPostings(field, token));
  return Roaring(*rows);
}

Result<std::shared_ptr<const Roaring>> SegmentReader::SharedPostings(std::string_view field,
                                                                     std::string_view token) const {
  TermTableReader table(file_.get(), &meta_.terms, cache_id_);
  TermValue found;
  TROVE_ASSIGN_OR_RETURN(bool present, table.Find(TermKey(field, token), &found));
  if (!present) {
    static const auto* const kNone = new std::shared_ptr<const Roaring>(new Roaring());
    return *kNone;
  }
  // Frequent terms' lists are decoded once and shared from the cache; short ones are cheaper to
  // decode than to cache.
  const bool cached = found.value.size() >= kCachedPostingsBytes;
  PostingsCache* cache = PostingsCache::Default();
  if (cached) {
    if (auto hit = cache->Lookup(cache_id_, found.position)) return hit;
  }
  TROVE_ASSIGN_OR_RETURN(Roaring rows, DecodePostingsValue(found.value, /*term=*/true));
  auto shared = std::make_shared<const Roaring>(std::move(rows));
  if (cached) cache->Insert(cache_id_, found.position, shared);
  return shared;
}

Result<Roaring> SegmentReader::PrefixPostings(std::string_view field,
                                              std::string_view prefix) const {
  TermTableReader table(file_.get(), &meta_.terms, cache_id_);
  std::vector<Roaring> parts;
  Status inner;
  TROVE_RETURN_IF_ERROR(table.Scan(TermKey(field, prefix), [&](std::string_view,
                                                               std::string_view v) {
    auto rows = DecodePostingsValue(v, /*term=*/true);
    if (!rows.ok()) {
      inner = rows.status();
      return false;
    }
    parts.push_back(std::move(rows).value());
    return true;
  }));
  TROVE_RETURN_IF_ERROR(inner);
  std::vector<const Roaring*> ptrs;
  for (const Roaring& r : parts) ptrs.push_back(&r);
  if (ptrs.empty()) return Roaring();
  return Roaring::fastunion(ptrs.size(), ptrs.data());
}

Status SegmentReader::ForEachTerm(
    const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) const {
  TermTableReader table(file_.get(), &meta_.terms, cache_id_);
  return table.Scan("", [&](std::string_view key, std::string_view value) {
    size_t sep = key.find(format::kTermFieldSeparator);
    fn(key.substr(0, sep), key.substr(sep + 1), value);
    return true;
  }, /*fill_cache=*/false);
}

Result<Roaring> SegmentReader::TraceRows(std::string_view trace_id) const {
  TermTableReader table(file_.get(), &meta_.traces, cache_id_);
  TROVE_ASSIGN_OR_RETURN(auto value, table.Get(EncodeId(trace_id)));
  if (!value) return Roaring();
  return DecodePostingsValue(*value, /*term=*/false);
}

Status SegmentReader::ForEachTraceId(const std::function<void(const std::string&)>& fn) const {
  TermTableReader table(file_.get(), &meta_.traces, cache_id_);
  std::string id;
  bool ok = true;
  TROVE_RETURN_IF_ERROR(table.Scan("", [&](std::string_view key, std::string_view) {
    if (!DecodeId(key, &id)) {
      ok = false;
      return false;
    }
    fn(id);
    return true;
  }, /*fill_cache=*/false));
  if (!ok) return Status::Corruption(path() + ": malformed trace index key");
  return Status::OK();
}

const ColumnMeta* SegmentReader::FindColumn(std::string_view name, ValueType type) const {
  for (const ColumnMeta& c : meta_.columns) {
    if (c.name == name && c.type == type) return &c;
  }
  return nullptr;
}

Result<std::shared_ptr<const StringTable>> SegmentReader::Dictionary(
    const ColumnMeta& column) const {
  if (column.encoding != format::kEncodingStringDict) return std::shared_ptr<const StringTable>();
  BlockCache* cache = BlockCache::Default();
  if (auto hit = cache->LookupDictionary<StringTable>(cache_id_, column.dictionary.offset)) {
    return hit;
  }
  std::string raw;
  TROVE_RETURN_IF_ERROR(ReadBlock(*file_, column.dictionary, &raw));
  auto dict = std::make_shared<StringTable>();
  Status s = dict->Decode(raw, column.dictionary_size,
                          column.dictionary.codec == format::kCodecZstdFrames);
  if (!s.ok()) return Status::Corruption(path() + ": column '" + column.name + "': " + s.message());
  std::shared_ptr<const StringTable> out = std::move(dict);
  cache->InsertDictionary(cache_id_, column.dictionary.offset, out);
  return out;
}

Result<std::shared_ptr<const ZstdDictionary>> SegmentReader::FrameDictionary(
    const ColumnMeta& column) const {
  if (column.zstd_dictionary.size == 0) return std::shared_ptr<const ZstdDictionary>();
  BlockCache* cache = BlockCache::Default();
  const uint64_t offset = column.zstd_dictionary.offset;
  if (auto hit = cache->LookupDictionary<ZstdDictionary>(cache_id_, offset)) return hit;
  std::string raw;
  TROVE_RETURN_IF_ERROR(ReadBlock(*file_, column.zstd_dictionary, &raw));
  std::shared_ptr<const ZstdDictionary> dict = ZstdDictionary::ForDecompression(raw);
  if (!dict) {
    return Status::Corruption(path() + ": column '" + column.name +
                              "': its zstd dictionary is not one");
  }
  cache->InsertDictionary(cache_id_, offset, dict);
  return dict;
}

Status SegmentReader::ReadColumnBlock(const ColumnMeta& column, size_t block, ColumnBlock* out,
                                      const std::vector<uint32_t>* only) const {
  // A few rows of a dictionary-encoded column, its dictionary not cached: the rows are decoded
  // against a stand-in, then only their values are read from the dictionary block (a trace's
  // events hold one or two of a segment's ~7,000 client IPs; the whole dictionary is most of
  // the first read of a segment).
  std::shared_ptr<const StringTable> dict;
  bool own_dict = false;
  if (only != nullptr && column.encoding == format::kEncodingStringDict) {
    dict = BlockCache::Default()->LookupDictionary<StringTable>(cache_id_,
                                                                column.dictionary.offset);
    if (!dict && TakeSparseDictionaryRead(column)) {
      // Each value takes at least its length byte: a meta claiming more values than that is
      // damaged, and must not size the stand-in.
      if (column.dictionary_size > column.dictionary.raw_size) {
        return Status::Corruption(path() + ": column '" + column.name + "': " +
                                  std::to_string(column.dictionary_size) +
                                  " dictionary values in " +
                                  std::to_string(column.dictionary.raw_size) + " bytes");
      }
      dict = StringTable::Empty(column.dictionary_size);
      own_dict = true;
    }
  }
  if (!dict) {
    TROVE_ASSIGN_OR_RETURN(dict, Dictionary(column));
  }
  TROVE_RETURN_IF_ERROR(ReadColumnBlockWith(column, block, std::move(dict), out, only));
  if (!own_dict) return Status::OK();
  std::vector<uint32_t> ids;
  ids.reserve(out->dict_ids.size());
  for (uint32_t j = 0; j < out->dict_ids.size(); ++j) {
    if (out->IsPresent(j)) ids.push_back(out->dict_ids[j]);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto some = std::make_shared<StringTable>();
  Status s;
  if (column.dictionary.codec == format::kCodecZstdFrames) {
    FramedBlock framed;
    TROVE_RETURN_IF_ERROR(framed.Open(*file_, column.dictionary, nullptr));
    s = some->DecodeSome(&framed, column.dictionary_size, ids);
  } else {
    BlockPrefix prefix;
    TROVE_RETURN_IF_ERROR(prefix.Open(*file_, column.dictionary));
    s = some->DecodeSome(&prefix, column.dictionary_size, ids);
  }
  if (!s.ok()) return Status::Corruption(path() + ": column '" + column.name + "': " + s.message());
  out->dictionary = std::move(some);
  out->own_dictionary = true;
  return Status::OK();
}

Status SegmentReader::ReadColumnBlockWith(const ColumnMeta& column, size_t block,
                                          std::shared_ptr<const StringTable> dict,
                                          ColumnBlock* out,
                                          const std::vector<uint32_t>* only) const {
  out->own_dictionary = false;
  TROVE_ASSIGN_OR_RETURN(auto zdict, FrameDictionary(column));
  const ColumnBlockMeta& b = column.blocks[block];
  if (only != nullptr && b.handle.codec == format::kCodecZstdFrames) {
    // A few rows of a framed block: decompress only the frames holding them.
    FramedBlock framed;
    TROVE_RETURN_IF_ERROR(framed.Open(*file_, b.handle, zdict.get()));
    Status s = DecodeColumnBlock(column, b, &framed, std::move(dict), out, *only);
    if (!s.ok() && s.message().find(path()) == std::string::npos) {
      s = Status::Corruption(path() + ": " + s.message());
    }
    return s;
  }
  if (only != nullptr) {
    // A few rows: decompress only as far as the last of them.
    BlockPrefix prefix;
    TROVE_RETURN_IF_ERROR(prefix.Open(*file_, b.handle));
    Status s = DecodeColumnBlock(column, b, &prefix, std::move(dict), out, only);
    // A damaged stream names the file already; a bad payload does not.
    if (!s.ok() && s.message().find(path()) == std::string::npos) {
      s = Status::Corruption(path() + ": " + s.message());
    }
    return s;
  }
  // Reused per thread: the decoded block copies what it keeps out of it.
  thread_local std::string raw;
  Status s = ReadBlock(*file_, b.handle, &raw, zdict.get());
  if (s.ok()) {
    s = DecodeColumnBlock(column, b, raw, std::move(dict), out, only);
    if (!s.ok()) s = Status::Corruption(path() + ": " + s.message());
  }
  ReleaseIfLarge(&raw);
  return s;
}

namespace {

// RowsOfBlock decodes only the wanted rows of an uncached block (a partial block) when they
// are at most one in this many of its rows.
constexpr size_t kSparseRowsPerBlock = 16;

void SetField(const ColumnMeta& c, const ColumnBlock& block, uint32_t i, Event* e) {
  if (c.kind == format::kKindAttribute) {
    AttrValue v;
    switch (c.type) {
      case ValueType::kString: v = std::string(block.StringAt(i)); break;
      case ValueType::kInt64: v = block.ints[i]; break;
      case ValueType::kDouble: v = block.doubles[i]; break;
      case ValueType::kBool: v = block.ints[i] != 0; break;
    }
    e->attributes.push_back(Attribute{c.name, std::move(v)});
    return;
  }
  if (c.name == kFieldTime) {
    e->time_ns = block.ints[i];
  } else if (c.name == kFieldLevel) {
    e->level = static_cast<Level>(block.ints[i]);
  } else if (c.name == kFieldService) {
    e->service = block.StringAt(i);
  } else if (c.name == kFieldHost) {
    e->host = block.StringAt(i);
  } else if (c.name == kFieldMessage) {
    e->message = block.StringAt(i);
  } else if (c.name == kFieldTraceId) {
    e->trace_id = block.StringAt(i);
  } else if (c.name == kFieldSpanId) {
    e->span_id = block.StringAt(i);
  } else if (c.name == kFieldParentSpanId) {
    e->parent_span_id = block.StringAt(i);
  }
}

}  // namespace

Result<std::vector<Event>> SegmentReader::ReadEvents(
    const Roaring& rows, const std::vector<std::string>* fields) const {
  return ReadEventsImpl(rows, fields, true);
}

Result<std::vector<Event>> SegmentReader::ReadTraceEvents(const Roaring& rows,
                                                          std::string_view trace_id) const {
  if (trace_id.empty()) return Status::InvalidArgument("empty trace ID");
  return ReadEventsImpl(rows, nullptr, true, trace_id);
}

Result<std::vector<Event>> SegmentReader::ReadEventsImpl(const Roaring& rows,
                                                         const std::vector<std::string>* fields,
                                                         bool fill_cache,
                                                         std::string_view known_trace_id) const {
  std::vector<Event> events(rows.cardinality());
  if (events.empty()) return events;
  if (rows.maximum() >= meta_.rows) {
    return Status::InvalidArgument(path() + ": row " + std::to_string(rows.maximum()) +
                                   " is past the segment's " + std::to_string(meta_.rows));
  }
  std::vector<uint32_t> wanted;  // ascending rows of the segment
  wanted.reserve(events.size());
  for (uint32_t row : rows) wanted.push_back(row);
  // One read per (column, block holding wanted rows), in column order.
  struct Read {
    const ColumnMeta* column;
    size_t block;
    size_t begin, end;           // wanted[begin, end) are in the block
    std::vector<uint32_t> only;  // those rows, relative to the block
    std::shared_ptr<const ColumnBlock> got;
    Status status;
  };
  std::vector<Read> reads;
  for (const ColumnMeta& c : meta_.columns) {
    if (fields && std::find(fields->begin(), fields->end(), c.name) == fields->end()) continue;
    if (c.present == 0) continue;
    if (!known_trace_id.empty() && c.kind != format::kKindAttribute && c.name == kFieldTraceId) {
      continue;
    }
    for (size_t k = 0; k < wanted.size();) {
      const size_t b = c.BlockForRow(wanted[k]);
      if (b >= c.blocks.size()) {
        return Status::Corruption(path() + ": column " + c.name + " has no block for row " +
                                  std::to_string(wanted[k]));
      }
      const ColumnBlockMeta& meta = c.blocks[b];
      Read r{&c, b, k, k, {}, nullptr, Status::OK()};
      while (r.end < wanted.size() && wanted[r.end] - meta.first_row < meta.num_rows) ++r.end;
      for (size_t j = k; j < r.end; ++j) r.only.push_back(wanted[j] - meta.first_row);
      k = r.end;
      reads.push_back(std::move(r));
    }
  }
  // Blocks in the cache first; the rest are decoded side by side (FanOut) for queries, one
  // after another for bulk reads (merges), which have the other cores' work to leave alone.
  std::vector<size_t> misses;
  for (size_t i = 0; i < reads.size(); ++i) {
    Read& r = reads[i];
    r.got = CachedRows(*r.column, r.block, r.only);
    if (!r.got) misses.push_back(i);
  }
  auto load = [&](size_t m) {
    Read& r = reads[misses[m]];
    auto got = RowsOfBlock(*r.column, r.block, r.only, fill_cache);
    if (got.ok()) {
      r.got = std::move(*got);
    } else {
      r.status = got.status();
    }
  };
  if (fill_cache) {
    FanOut(misses.size(), load);
  } else {
    for (size_t m = 0; m < misses.size(); ++m) load(m);
  }
  for (const Read& r : reads) {
    TROVE_RETURN_IF_ERROR(r.status);
    const ColumnBlockMeta& meta = r.column->blocks[r.block];
    const ColumnBlock& block = *r.got;
    if (block.first_row != meta.first_row || block.num_rows != meta.num_rows) {
      return Status::Corruption(path() + ": block of column " + r.column->name +
                                " does not hold row " + std::to_string(wanted[r.begin]));
    }
    for (size_t k = r.begin; k < r.end; ++k) {
      const uint32_t j = block.Slot(wanted[k] - block.first_row);
      if (block.IsPresent(j)) SetField(*r.column, block, j, &events[k]);
    }
  }
  if (!known_trace_id.empty()) {
    for (Event& e : events) e.trace_id = known_trace_id;
  }
  return events;
}

Result<std::vector<Event>> SegmentReader::ReadAllEvents() const {
  Roaring all;
  all.addRange(0, meta_.rows);
  return ReadEventsImpl(all, nullptr, false);
}

std::shared_ptr<const ColumnBlock> SegmentReader::CachedRows(
    const ColumnMeta& column, size_t block, const std::vector<uint32_t>& rows) const {
  BlockCache* cache = BlockCache::Default();
  const ColumnBlockMeta& meta = column.blocks[block];
  if (auto whole = cache->Lookup(cache_id_, meta.handle.offset)) return whole;
  if (rows.size() * kSparseRowsPerBlock > meta.num_rows) return nullptr;
  auto held = cache->Lookup(cache_id_, meta.handle.offset | (uint64_t{1} << 63));
  if (held && std::includes(held->decoded_rows.begin(), held->decoded_rows.end(), rows.begin(),
                            rows.end())) {
    return held;
  }
  return nullptr;
}

Result<std::shared_ptr<const ColumnBlock>> SegmentReader::RowsOfBlock(
    const ColumnMeta& column, size_t block, const std::vector<uint32_t>& rows,
    bool fill_cache) const {
  BlockCache* cache = BlockCache::Default();
  const ColumnBlockMeta& meta = column.blocks[block];
  if (auto whole = cache->Lookup(cache_id_, meta.handle.offset)) return whole;
  if (rows.size() * kSparseRowsPerBlock > meta.num_rows) {
    return ColumnBlockAt(column, block, fill_cache);
  }
  // Partial blocks live under the block's offset with the top bit set (offsets are < 2^63).
  const uint64_t key = meta.handle.offset | (uint64_t{1} << 63);
  std::vector<uint32_t> want = rows;
  if (auto held = cache->Lookup(cache_id_, key)) {
    if (std::includes(held->decoded_rows.begin(), held->decoded_rows.end(), rows.begin(),
                      rows.end())) {
      return held;
    }
    want.clear();
    std::set_union(held->decoded_rows.begin(), held->decoded_rows.end(), rows.begin(),
                   rows.end(), std::back_inserter(want));
    if (want.size() * kSparseRowsPerBlock > meta.num_rows) {
      // Read often enough in pieces: decode it whole.
      return ColumnBlockAt(column, block, fill_cache);
    }
  }
  auto partial = std::make_shared<ColumnBlock>();
  TROVE_RETURN_IF_ERROR(ReadColumnBlock(column, block, partial.get(), &want));
  std::shared_ptr<const ColumnBlock> out = std::move(partial);
  if (fill_cache) cache->Insert(cache_id_, key, out);
  return out;
}

Result<std::shared_ptr<const ColumnBlock>> SegmentReader::ColumnBlockAt(const ColumnMeta& column,
                                                                        size_t block,
                                                                        bool fill_cache) const {
  BlockCache* cache = BlockCache::Default();
  const uint64_t offset = column.blocks[block].handle.offset;
  if (auto hit = cache->Lookup(cache_id_, offset)) return hit;
  auto decoded = std::make_shared<ColumnBlock>();
  TROVE_RETURN_IF_ERROR(ReadColumnBlock(column, block, decoded.get()));
  std::shared_ptr<const ColumnBlock> out = std::move(decoded);
  if (fill_cache) cache->Insert(cache_id_, offset, out);
  return out;
}

Status SegmentReader::Verify() const {
  ColumnBlock block;
  for (const ColumnMeta& c : meta_.columns) {
    const bool dict = c.encoding == format::kEncodingStringDict;
    std::vector<bool> used(dict ? c.dictionary_size : 0);
    for (size_t b = 0; b < c.blocks.size(); ++b) {
      TROVE_RETURN_IF_ERROR(ReadColumnBlock(c, b, &block));
      for (uint32_t i = 0; dict && i < block.dict_ids.size(); ++i) {
        if (block.IsPresent(i)) used[block.dict_ids[i]] = true;
      }
    }
    // Readers take a dictionary for the column's distinct values (count_uniq over a whole
    // segment hashes the dictionary, not the rows), so a value no row holds is damage.
    if (dict && std::find(used.begin(), used.end(), false) != used.end()) {
      return Status::Corruption(path() + ": column '" + c.name +
                                "' dictionary holds a value that no row has");
    }
    if (c.encoding == format::kEncodingStringDict &&
        c.dictionary.codec == format::kCodecZstdFrames) {
      // Whole reads see the values in a row; sparse reads find them by frame, so every frame
      // must hold exactly its values, and the two must agree.
      TROVE_ASSIGN_OR_RETURN(auto whole, Dictionary(c));
      std::vector<uint32_t> every(c.dictionary_size);
      for (uint32_t i = 0; i < c.dictionary_size; ++i) every[i] = i;
      FramedBlock framed;
      TROVE_RETURN_IF_ERROR(framed.Open(*file_, c.dictionary, nullptr));
      StringTable by_frame;
      Status s = by_frame.DecodeSome(&framed, c.dictionary_size, every);
      for (uint32_t i = 0; s.ok() && i < c.dictionary_size; ++i) {
        if (by_frame[i] != (*whole)[i]) s = Status::Corruption("frames disagree with the whole");
      }
      if (!s.ok()) {
        return Status::Corruption(path() + ": column '" + c.name + "' dictionary: " +
                                  s.message());
      }
    }
  }
  Status inner;
  bool term = true;
  auto check = [&](std::string_view key, std::string_view value) {
    if (term && !MayHaveTerm(index::FilterHash(key))) {
      inner = Status::Corruption(path() + ": the term filter lacks a term of the term index");
      return false;
    }
    auto rows = DecodePostingsValue(value, term);
    if (!rows.ok()) inner = rows.status();
    return rows.ok();
  };
  TROVE_RETURN_IF_ERROR(TermTableReader(file_.get(), &meta_.terms).Scan("", check));
  TROVE_RETURN_IF_ERROR(inner);
  term = false;
  TROVE_RETURN_IF_ERROR(TermTableReader(file_.get(), &meta_.traces).Scan("", check));
  return inner;
}

}  // namespace trove
