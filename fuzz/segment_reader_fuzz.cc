// libFuzzer target: SegmentReader over arbitrary bytes (storage/segment.h). Opening may fail;
// after a successful open every call may return an error, but nothing may crash, hang or read
// out of bounds, whatever the file says.
//
// Input: one flags byte, then the segment file. Flag bit 0 set: checksums are repaired
// (segment_checksums.h) before reading, so mutations reach the decoders behind the CRCs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/memory_file.h"
#include "fuzz/segment_checksums.h"
#include "storage/event.h"
#include "storage/segment.h"

namespace trove::fuzz {
namespace {

// At most this many rows are materialised per input: a fuzzed meta may claim 4 billion rows,
// and the reader's job is to reject the blocks, not to allocate for every claimed row here.
constexpr uint32_t kMaxRowsToRead = 1 << 16;

void Exercise(const SegmentReader& seg) {
  (void)seg.IndexTailBytes();
  (void)seg.Verify();
  if (seg.rows() <= kMaxRowsToRead) (void)seg.ReadAllEvents();

  std::string some_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  (void)seg.ForEachTraceId([&](const std::string& id) { some_trace_id = id; });
  size_t terms = 0;
  (void)seg.ForEachTerm([&](std::string_view, std::string_view, std::string_view) { ++terms; });

  std::vector<Result<Roaring>> lookups;
  lookups.push_back(seg.Postings("_msg", "error"));
  lookups.push_back(seg.Postings("service", "api"));
  lookups.push_back(seg.Postings("level", "error"));
  lookups.push_back(seg.PrefixPostings("_msg", "e"));
  lookups.push_back(seg.PrefixPostings("", ""));
  lookups.push_back(seg.TraceRows(some_trace_id));
  lookups.push_back(seg.TraceRows(""));
  const std::vector<std::string> fields = {"_msg", "_time", "service", "user"};
  for (const Result<Roaring>& rows : lookups) {
    if (!rows.ok() || rows->cardinality() > kMaxRowsToRead) continue;
    (void)seg.ReadEvents(*rows);
    (void)seg.ReadEvents(*rows, &fields);
  }

  for (const ColumnMeta& c : seg.meta().columns) {
    (void)seg.FindColumn(c.name, c.type);
    if (!c.blocks.empty()) {
      (void)seg.ColumnBlockAt(c, c.blocks.size() - 1, /*fill_cache=*/false);
    }
    // Sparse reads: a block's prefix (format 1) or single frames (format 2).
    for (size_t b = 0; b < c.blocks.size() && b < 64; ++b) {
      const uint32_t n = c.blocks[b].num_rows;
      if (n == 0 || n > kMaxRowsToRead) continue;
      for (const std::vector<uint32_t>& only :
           {std::vector<uint32_t>{0}, std::vector<uint32_t>{n - 1}, std::vector<uint32_t>{0, n / 2}}) {
        ColumnBlock block;
        (void)seg.ReadColumnBlock(c, b, &block, &only);
      }
    }
  }
}

}  // namespace
}  // namespace trove::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (flags & 1) trove::fuzz::RepairChecksums(&bytes);
  auto file = std::make_unique<trove::fuzz::MemoryFile>("fuzz.trv", std::move(bytes));
  auto seg = trove::SegmentReader::Open(std::move(file), trove::Tier::kHot);
  if (seg.ok()) trove::fuzz::Exercise(**seg);
  return 0;
}
