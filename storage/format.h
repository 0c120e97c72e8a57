// Constants of Trove's persistent structures. storage/FORMAT.md describes the layouts.
// Every value here is written to disk: never change or reuse one; add new ones.
#pragma once

#include <cstdint>
#include <string_view>

namespace trove::format {

// Segment files: "seg-<16 hex digits of the segment id>.trv".
inline constexpr std::string_view kSegmentPrefix = "seg-";
inline constexpr std::string_view kSegmentSuffix = ".trv";
inline constexpr uint64_t kSegmentMagic = 0x3130474553565254ull;  // "TRVSEG01" little-endian
// Version 1: every column block is one zstd frame. Version 2 adds framed column blocks
// (kCodecZstdFrames) and, per column, frame_rows and a zstd dictionary (FORMAT.md §4.2).
// Writers without a term filter write 1 when they frame nothing, 2 otherwise; readers take all.
inline constexpr uint32_t kSegmentFormatVersion1 = 1;
inline constexpr uint32_t kSegmentFormatVersion2 = 2;
// Version 3 is version 2 plus a term filter block (FORMAT.md §4.7): the meta always ends with
// term_granule_rows and the filter's handle. Writers write 3 unless told to leave the filter out.
inline constexpr uint32_t kSegmentFormatVersion3 = 3;
// Version 4 is version 3 plus framed dictionary blocks (FORMAT.md §4.2): a large dictionary
// is stored as frames of a fixed number of values, so that reading the values of a few ids
// decompresses their frames only. Writers write 4 when they frame dictionaries.
inline constexpr uint32_t kSegmentFormatVersion4 = 4;
// meta_offset u64, meta_size u32, meta_raw_size u32, meta_crc u32, meta_codec u32,
// version u32, footer_crc u32 (of bytes 0..27), magic u64. See FORMAT.md §4.3.
inline constexpr size_t kFooterSize = 40;

// Block compression codecs (BlockHandle.codec).
inline constexpr uint8_t kCodecNone = 0;
inline constexpr uint8_t kCodecZstd = 1;
// Column blocks of version 2: a frame table, the raw header, then one zstd frame per
// frame_rows rows, each decompressible alone (FORMAT.md §4.1).
inline constexpr uint8_t kCodecZstdFrames = 2;

// Column encodings (ColumnMeta.encoding).
inline constexpr uint8_t kEncodingIntDelta = 0;   // first value in block meta, zigzag deltas
inline constexpr uint8_t kEncodingIntFor = 1;     // frame of reference: value - block min
inline constexpr uint8_t kEncodingDouble = 2;     // 8-byte IEEE-754 LE
inline constexpr uint8_t kEncodingByte = 3;       // one byte a value (level, bool)
inline constexpr uint8_t kEncodingStringPlain = 4;
inline constexpr uint8_t kEncodingStringDict = 5;  // varint ids into the column dictionary
inline constexpr uint8_t kEncodingId = 6;          // correlation/span IDs, hex compacted

// Presence marker at the start of every column block payload.
inline constexpr uint8_t kAllPresent = 0;
inline constexpr uint8_t kPresenceBitmap = 1;

// ID compaction tags (kEncodingId values and trace index keys).
inline constexpr uint8_t kIdRaw = 0;
inline constexpr uint8_t kIdLowerHex = 1;
inline constexpr uint8_t kIdUpperHex = 2;

// Column kinds: which field a column holds (ColumnMeta.kind).
inline constexpr uint8_t kKindBuiltin = 0;
inline constexpr uint8_t kKindAttribute = 1;

// Separator between field name and token in term-index keys: "_msg\0error".
inline constexpr char kTermFieldSeparator = '\0';

// RocksDB column families of the store.
inline constexpr std::string_view kCfWal = "wal";
inline constexpr std::string_view kCfCatalog = "catalog";
inline constexpr std::string_view kCfTraces = "traces";
// Keys in the default column family.
inline constexpr std::string_view kKeyFormatVersion = "format_version";
inline constexpr std::string_view kKeyNextSegmentId = "next_segment_id";
// Version 1: `traces` keys are u8 n + EncodeId(trace_id) + u64 BE segment id. Version 2: u8 0
// + u64 BE XXH3-64 of EncodeId(trace_id) + varint segment id, less than half the size (the
// segment's own correlation index then confirms the ID). Stores of version 1 are migrated on
// open (Store::Recover).
inline constexpr uint32_t kStoreFormatVersion1 = 1;
inline constexpr uint32_t kStoreFormatVersion = 2;

}  // namespace trove::format
