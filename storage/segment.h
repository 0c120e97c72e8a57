// Segments: immutable columnar files holding the events of one time partition, with their
// inverted term index and correlation-ID index. Layout: storage/FORMAT.md.
#pragma once

#include <roaring/roaring.hh>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/term_filter.h"
#include "storage/column.h"
#include "storage/event.h"
#include "storage/file_system.h"
#include "storage/term_table.h"

namespace trove {

// What a segment's meta block says about it.
struct SegmentMeta {
  uint64_t id = 0;
  int64_t partition = 0;  // time_ns / partition_ns of every row
  uint32_t rows = 0;
  int64_t min_time = 0, max_time = 0;
  uint64_t raw_bytes = 0;  // sum of Event::ApproximateSize(), for compression figures
  std::vector<ColumnMeta> columns;
  TermTableMeta terms;   // "field\0token" → postings
  TermTableMeta traces;  // EncodeId(trace_id) → postings
  // 0: term postings list rows. Otherwise they list granules of this many rows (a term is in
  // some row of each listed granule): a smaller, inexact index for cold segments. The
  // correlation-ID index always lists rows.
  uint32_t term_granule_rows = 0;
  // Format 3: the term filter block (index/term_filter.h) over the term index's keys; size 0
  // (and always before format 3) when the segment has none.
  BlockHandle term_filter;
  // The file's format version (format::kSegmentFormatVersion*): what the meta encodes.
  uint32_t format_version = 1;

  void EncodeTo(std::string* dst) const;
  // version: from the footer.
  bool DecodeFrom(Decoder* d, uint32_t version);
};

// "field\0token": the key of a term in the term index. token must be lowercased.
std::string TermKey(std::string_view field, std::string_view token);
// "seg-00000000000000ab.trv"
std::string SegmentFileName(uint64_t id);
// Parses a segment file name; false if name is not one.
bool ParseSegmentFileName(std::string_view name, uint64_t* id);

struct SegmentWriteOptions {
  // Rows per column block: the unit of pruning and decoding. 8192 rows keeps a decoded block
  // of messages in L2-sized chunks while amortising per-block headers.
  uint32_t block_rows = 8192;
  // zstd level for column and index blocks. 7 rather than zstd's default 3: about 3% smaller
  // hot segments for no measurable ingest cost (segment writing is dominated by indexing).
  int zstd_level = 7;
  // zstd long-distance matching (cold segments: large blocks written once, read rarely).
  bool long_distance_matching = false;
  // CompressionOptions::zstd_block_bytes for unframed blocks. With 16 KiB, reading one row
  // of an ID column's block (a trace's events) decompresses 2-4x less, for 0.1% more bytes
  // (bench/results; a block of 8192 span IDs is ~74 KiB raw, one default zstd block).
  size_t zstd_block_bytes = 16 << 10;
  // 0: the term index lists rows. Otherwise it lists granules of this many rows
  // (SegmentMeta::term_granule_rows).
  uint32_t term_granule_rows = 0;
  // Write a term filter (format 3): ~1.2 bytes a distinct term, ~1% of a hot segment, so that
  // a query skips the segments that lack one of its terms without reading their term tables.
  bool term_filter = true;
  // Uncompressed term-table block size; 16 KiB makes a point lookup one small read.
  size_t term_block_bytes = 16 * 1024;
  // Segment format 2: columns with more than frame_bytes of values per half block are cut
  // into frames of about frame_bytes (a multiple of frame_row_step rows), and their blocks
  // whose payload reaches framed_block_bytes are stored as frames compressed alone, so reading
  // one row (a search hit, a trace event) decompresses one frame instead of up to the whole
  // block. Frames compress worse than whole blocks (zstd has less history), so only the
  // widest columns get them: with 128 KiB, the messages (~1500-row frames on our generated
  // logs), not the 10-20-byte IDs. 0 writes format 1 (one zstd frame per block), as cold
  // segments do.
  size_t frame_bytes = 128 << 10;
  uint32_t frame_row_step = 128;
  size_t framed_block_bytes = 16 << 10;
  // Small frames compress worse alone; a zstd dictionary trained per segment on the messages
  // (and other plain-string columns) wins most of it back. 0: no dictionary.
  size_t zstd_dictionary_bytes = 64 << 10;
  // Segment format 4 (with term_filter and frame_bytes): a column dictionary of more than this
  // many values and at least framed_block_bytes is stored in frames of this many values, so a
  // few rows' values (a trace's client IP and user among ~7,000 of each) cost one small frame
  // each instead of the dictionary's prefix up to them. 0 writes format 3.
  uint32_t dictionary_frame_values = 256;
};

// Writes `events` (any order; they are sorted by time, stably) as segment `id` to `path`,
// durably: a temporary file is written, fsynced and renamed, and the directory fsynced.
// On success fills *meta (without the columns' contents) and *file_size. The events are not
// copied: they must stay alive and unchanged until the call returns.
// REQUIRES: events non-empty, all in one partition.
Status WriteSegment(FileSystem* fs, const std::string& path, uint64_t id, int64_t partition,
                    std::vector<const Event*> events, const SegmentWriteOptions& options,
                    SegmentMeta* meta, uint64_t* file_size);
Status WriteSegment(FileSystem* fs, const std::string& path, uint64_t id, int64_t partition,
                    const std::vector<Event>& events, const SegmentWriteOptions& options,
                    SegmentMeta* meta, uint64_t* file_size);

// How archived (cold-tier) segments are rewritten for size: zstd's strong end (level 19)
// with long-distance matching, and a term index that lists 8192-row granules instead of rows
// (postings are most of a hot segment's index; granule lists take a few bytes). Queries verify
// candidate granules against the columns, so answers stay exact; a needle query decodes one
// block per matching granule, as a hot segment's verification would. The correlation-ID index
// keeps exact rows. Blocks stay at 8192 rows: 16384 or 32768 saved 2-4% more but made cold
// needle and trace lookups 2-5x slower (bench/results/tier-*.md).
SegmentWriteOptions ColdSegmentWriteOptions();

// Where a segment lives (storage/cold_tier.h).
enum class Tier : uint8_t { kHot = 0, kCold = 1 };
const char* TierName(Tier tier);  // "hot", "cold"

// Reads one segment file. Opening checks the footer (magic, version, checksums) and decodes the
// meta; every block read later is checksummed again. Thread-safe.
class SegmentReader {
 public:
  static Result<std::shared_ptr<SegmentReader>> Open(FileSystem* fs, const std::string& path);
  // A segment read through any RandomAccessFile (a cold-tier object).
  static Result<std::shared_ptr<SegmentReader>> Open(std::unique_ptr<RandomAccessFile> file,
                                                     Tier tier);

  const SegmentMeta& meta() const { return meta_; }
  uint64_t id() const { return meta_.id; }
  uint32_t rows() const { return meta_.rows; }
  uint64_t file_size() const { return file_->Size(); }
  const std::string& path() const { return file_->path(); }
  Tier tier() const { return tier_; }
  // Bytes from the first index block to the end of the file: the term index, the
  // correlation-ID index, the meta and the footer (what ColdIndexCache keeps locally).
  uint64_t IndexTailBytes() const;

  // Rows whose `field` holds token (lowercased). Empty bitmap when the term is absent. With a
  // granular term index (exact_term_postings() false) a superset: every row of the granules
  // that hold the token.
  Result<Roaring> Postings(std::string_view field, std::string_view token) const;
  // The same, shared: the lists of frequent terms (kCachedPostingsBytes or more encoded) go
  // through PostingsCache::Default(), so a repeated query does not decode them again.
  Result<std::shared_ptr<const Roaring>> SharedPostings(std::string_view field,
                                                        std::string_view token) const;
  static constexpr size_t kCachedPostingsBytes = 256;
  // How many partial blocks of a dictionary-encoded column decode their rows' values alone
  // (StringTable::DecodeSome) before the column's whole dictionary is decoded and cached.
  static constexpr uint32_t kSparseDictionaryReads = 4;
  bool exact_term_postings() const { return meta_.term_granule_rows == 0; }
  // False only when the term index surely lacks the key whose index::FilterHash is
  // term_hash (TermKey(field, token)); always true for a segment without a term filter.
  bool MayHaveTerm(uint64_t term_hash) const {
    return !has_term_filter() || term_filter_.MayContain(term_hash);
  }
  bool has_term_filter() const { return meta_.term_filter.size > 0; }
  // Union of the postings of every token of field that starts with prefix (lowercased).
  Result<Roaring> PrefixPostings(std::string_view field, std::string_view prefix) const;
  // Calls fn(field, token, postings-bytes) for every term; used by maintenance tools.
  Status ForEachTerm(
      const std::function<void(std::string_view, std::string_view, std::string_view)>& fn) const;
  // Rows whose trace_id equals trace_id exactly.
  Result<Roaring> TraceRows(std::string_view trace_id) const;
  // Every distinct trace ID in the segment.
  Status ForEachTraceId(const std::function<void(const std::string&)>& fn) const;

  // The column called name with the given type, or nullptr.
  const ColumnMeta* FindColumn(std::string_view name, ValueType type) const;
  // Reads, checks and decodes one block of a column. Only that block is read from disk.
  // With `only` (rows within the block, ascending), just those rows' strings are decoded
  // (see DecodeColumnBlock).
  Status ReadColumnBlock(const ColumnMeta& column, size_t block, ColumnBlock* out,
                         const std::vector<uint32_t>* only = nullptr) const;
  // The same block through BlockCache::Default(): decoded once, then shared. With
  // fill_cache = false a miss is not inserted (bulk reads such as merges).
  Result<std::shared_ptr<const ColumnBlock>> ColumnBlockAt(const ColumnMeta& column, size_t block,
                                                           bool fill_cache = true) const;

  // The block of column holding `rows` (ascending, relative to the block), for reading those
  // rows: the cached whole block when there is one; else, when they are at most 1/16 of its
  // rows, a partial block (ColumnBlock::decoded_rows) holding them and those of earlier partial
  // reads, decoded from the block's prefix only and cached under its own key, so a needle
  // search or a trace lookup neither decodes nor evicts whole blocks and a repeated one finds
  // its rows; else the whole block (cached when fill_cache).
  Result<std::shared_ptr<const ColumnBlock>> RowsOfBlock(const ColumnMeta& column, size_t block,
                                                         const std::vector<uint32_t>& rows,
                                                         bool fill_cache = true) const;

  // Materialises the events at `rows` (ascending order), reading only the blocks that hold
  // them, through RowsOfBlock; the blocks not in the cache are decoded side by side (FanOut). With `fields`, only those fields are filled (names as in
  // queries: "_msg", "service", an attribute key…); without, every field.
  Result<std::vector<Event>> ReadEvents(
      const Roaring& rows, const std::vector<std::string>* fields = nullptr) const;
  // The events of one trace at `rows`, its TraceRows(trace_id): as ReadEvents, but the
  // trace_id column is not read (the correlation index already says every row holds
  // trace_id), which saves a block decode of random IDs per trace.
  Result<std::vector<Event>> ReadTraceEvents(const Roaring& rows,
                                             std::string_view trace_id) const;
  // Every event, without filling the block cache (merges, maintenance).
  Result<std::vector<Event>> ReadAllEvents() const;

  // A dictionary-encoded column's values, or null for other encodings: exactly the column's
  // distinct values, each held by at least one row (FORMAT.md §4.2; Verify checks it). Through
  // BlockCache::Default() (LookupDictionary): decoded on first use, kept while in use.
  Result<std::shared_ptr<const StringTable>> Dictionary(const ColumnMeta& column) const;

  // Reads and decodes every block and every postings list; Corruption names what failed.
  Status Verify() const;

 private:
  SegmentReader(std::unique_ptr<RandomAccessFile> file, SegmentMeta meta, Tier tier);
  // ReadColumnBlock with the dictionary given (null for other encodings).
  Status ReadColumnBlockWith(const ColumnMeta& column, size_t block,
                             std::shared_ptr<const StringTable> dict, ColumnBlock* out,
                             const std::vector<uint32_t>* only) const;
  // RowsOfBlock's answer when the cache holds it (no I/O), else null.
  std::shared_ptr<const ColumnBlock> CachedRows(const ColumnMeta& column, size_t block,
                                                const std::vector<uint32_t>& rows) const;
  // With a non-empty known_trace_id, the trace_id column is skipped and every event gets it.
  Result<std::vector<Event>> ReadEventsImpl(const Roaring& rows,
                                            const std::vector<std::string>* fields,
                                            bool fill_cache,
                                            std::string_view known_trace_id = {}) const;
  // For a partial block of a dictionary-encoded column whose dictionary is not cached: true
  // for the first kSparseDictionaryReads such reads of the column (each decodes only the
  // values of its rows: a trace or a needle touching a segment once), false after (the whole
  // dictionary is then decoded and cached, as a column read often in pieces wants).
  bool TakeSparseDictionaryRead(const ColumnMeta& column) const;
  // The zstd dictionary of a column's frames, or null when it has none. Cached the same way.
  Result<std::shared_ptr<const ZstdDictionary>> FrameDictionary(const ColumnMeta& column) const;
  // term: a term-index value (granular when the segment's term index is); else a
  // correlation-index value (always rows).
  Result<Roaring> DecodePostingsValue(std::string_view value, bool term) const;

  std::unique_ptr<RandomAccessFile> file_;
  SegmentMeta meta_;
  const Tier tier_;
  const uint64_t cache_id_;
  // Per column of meta_: how many partial blocks decoded their own dictionary.
  std::unique_ptr<std::atomic<uint32_t>[]> sparse_dictionary_reads_;
  uint64_t meta_offset_ = 0;  // unique per reader in this process: the block cache key
  std::string term_filter_bytes_;
  index::TermFilter term_filter_;  // a view of term_filter_bytes_
};

}  // namespace trove
