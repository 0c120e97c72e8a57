#include "query/sorted_rows.h"

#include <algorithm>

#include "query/pipes.h"
#include "query/segment_search.h"

namespace trove::query {

namespace {

// The sort value of row i of a decoded block, as EventSortValue gives it for the event.
SortValue ValueAt(const ColumnMeta& c, const ColumnBlock& b, uint32_t i) {
  SortValue v;
  if (c.name == kFieldTime || c.name == kFieldLevel || c.type == ValueType::kInt64) {
    v.kind = 1;
    v.number = static_cast<long double>(b.ints[i]);
  } else if (c.type == ValueType::kDouble) {
    v.kind = 1;
    v.number = b.doubles[i];
  } else if (c.type == ValueType::kBool) {
    v.kind = 2;
    v.text = b.ints[i] ? "true" : "false";
  } else {
    v.kind = 2;
    v.text = std::string(b.StringAt(i));
  }
  return v;
}

struct Candidate {
  std::vector<SortValue> keys;
  int64_t time = 0;
  uint32_t row = 0;
};

}  // namespace

Result<Roaring> FirstSortedRows(const SegmentReader& segment, const Roaring& rows,
                                const std::vector<SortKey>& keys, uint64_t k,
                                const QueryContext& ctx) {
  const ColumnMeta* time = segment.FindColumn(kFieldTime, ValueType::kInt64);
  if (!time) return Status::Corruption(segment.path() + ": no _time column");
  std::vector<std::vector<const ColumnMeta*>> columns(keys.size());
  for (size_t j = 0; j < keys.size(); ++j) {
    for (const ColumnMeta& c : segment.meta().columns) {
      if (c.name == keys[j].field && c.present > 0) columns[j].push_back(&c);
    }
  }
  auto less = [&](const Candidate& a, const Candidate& b) {
    for (size_t j = 0; j < keys.size(); ++j) {
      int c = Compare(a.keys[j], b.keys[j]);
      if (c != 0) return keys[j].desc ? c > 0 : c < 0;
    }
    return a.time > b.time;
  };
  std::vector<Candidate> kept;
  auto trim = [&] {
    const size_t keep = static_cast<size_t>(std::min<uint64_t>(k, kept.size()));
    std::nth_element(kept.begin(), kept.begin() + keep, kept.end(), less);
    kept.resize(keep);
  };
  std::vector<uint32_t> offsets;
  auto next = rows.begin();
  for (size_t b = 0; b < time->blocks.size(); ++b) {
    TROVE_RETURN_IF_ERROR(ctx.Check());
    const uint32_t first = time->blocks[b].first_row, n = time->blocks[b].num_rows;
    offsets.clear();
    while (next != rows.end() && *next < first + n) {
      offsets.push_back(*next - first);
      ++next;
    }
    if (offsets.empty()) continue;
    const size_t base = kept.size();
    kept.resize(base + offsets.size());
    TROVE_ASSIGN_OR_RETURN(auto times, segment.ColumnBlockAt(*time, b));
    for (size_t o = 0; o < offsets.size(); ++o) {
      Candidate& c = kept[base + o];
      c.row = first + offsets[o];
      c.time = times->ints[offsets[o]];
      c.keys.resize(keys.size());
    }
    for (size_t j = 0; j < keys.size(); ++j) {
      for (const ColumnMeta* column : columns[j]) {
        if (column->blocks[b].present == 0) continue;
        TROVE_ASSIGN_OR_RETURN(auto block, segment.ColumnBlockAt(*column, b));
        for (size_t o = 0; o < offsets.size(); ++o) {
          if (block->IsPresent(offsets[o])) {
            kept[base + o].keys[j] = ValueAt(*column, *block, offsets[o]);
          }
        }
      }
    }
    if (kept.size() > 2 * k) trim();
  }
  trim();
  Roaring out;
  for (const Candidate& c : kept) out.add(c.row);
  return out;
}

}  // namespace trove::query
