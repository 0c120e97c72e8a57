// `sort by … | limit k` over one segment without materialising its matches: reads only the
// sort key columns (and _time) of the matching rows, block by block, and keeps the k first in
// sort order (keys, then newest first).
#pragma once

#include <roaring/roaring.hh>

#include <vector>

#include "query/ast.h"
#include "storage/segment.h"
#include "storage/status.h"

namespace trove::query {

struct QueryContext;

// The rows among `rows` of segment that come first in the order of `sort by (keys)` applied to
// newest-first events, at most k of them.
Result<Roaring> FirstSortedRows(const SegmentReader& segment, const Roaring& rows,
                                const std::vector<SortKey>& keys, uint64_t k,
                                const QueryContext& ctx);

}  // namespace trove::query
