// Filtering one segment: index lookups give each predicate a set of rows that surely match and
// a superset that may match (term postings, correlation index, block min/max); boolean algebra
// over those sets gives the query's candidates; only candidates that the indexes cannot
// decide are verified, column by column, reading just the blocks and columns they need
// (STYLE.md habit 11: time range, block min/max, postings, then values).
#pragma once

#include <roaring/roaring.hh>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "query/engine.h"
#include "query/matcher.h"
#include "query/row_set.h"
#include "storage/segment.h"

namespace trove::query {

// Limits and counters shared by the tasks of one query.
struct QueryContext {
  const QueryOptions* options = nullptr;
  // Aborted when past the deadline or cancelled; OK otherwise.
  Status Check() const;
};

// An index lookup, recorded for explain. Field and token point into the compiled filter (or
// static names), so recording one per segment allocates nothing; ToString makes the text
// ("field:token", "field:prefix*", "trace_id index") once per query.
struct IndexTerm {
  const std::string* field = nullptr;  // null: the correlation-ID index
  const std::string* token = nullptr;
  bool prefix = false;
  bool operator==(const IndexTerm&) const = default;
  std::string ToString() const;
};

// The term-index keys a segment must hold for any of its rows to match a filter, from the
// filter's text leaves, hashed once per query (index::FilterHash of TermKey). Before a query
// plans a segment it asks MayMatch, which probes the segment's term filter (in memory): a
// needle held by one segment of hundreds costs the others a probe each, not a term lookup.
// Thread-safe after construction; the filter must outlive it.
class TermPruner {
 public:
  explicit TermPruner(const CompiledFilter& filter);
  // False only when the segment's term filter shows that no row can match (then SegmentSearcher
  // would find no candidates either).
  bool MayMatch(const SegmentReader& segment) const {
    return !active_ || NodeMayMatch(filter_->root(), segment);
  }

 private:
  bool NodeMayMatch(const CompiledFilter::Node& node, const SegmentReader& segment) const;

  const CompiledFilter* filter_;
  std::vector<std::vector<uint64_t>> leaf_terms_;  // per leaf: hashes of the keys it needs
  bool active_ = false;                            // some leaf needs a key
};

class SegmentSearcher {
 public:
  // The segment and filter must outlive the searcher. Not thread-safe.
  SegmentSearcher(const SegmentReader* segment, const CompiledFilter* filter,
                  const QueryContext* ctx)
      : segment_(segment), filter_(filter), ctx_(ctx) {}

  const SegmentReader* segment() const { return segment_; }
  // Looks up every predicate in the indexes and combines the results.
  Status Plan();
  // Rows that may match, after Plan.
  uint64_t candidates() const { return root_.maybe.cardinality(); }
  // The matching rows; with limit, only the `limit` newest (highest rows: a segment is
  // sorted by time), verifying window by window from the newest and stopping early.
  Result<Roaring> MatchingRows(uint64_t limit = UINT64_MAX);

  // Explain counters and the index terms used.
  uint64_t verified_rows() const { return verified_rows_; }
  uint64_t blocks_pruned() const { return blocks_pruned_; }
  // Distinct, in first-use order.
  const std::vector<IndexTerm>& terms() const { return terms_; }
  const std::set<std::string>& columns_read() const { return columns_read_; }

 private:
  struct Candidates {
    RowSet sure, maybe;  // sure ⊆ maybe
    bool exact() const { return sure == maybe; }
  };
  Result<Candidates> LeafCandidates(const CompiledLeaf& leaf);
  Result<Candidates> TextCandidates(const CompiledLeaf& leaf);
  Candidates BlockCandidates(const CompiledLeaf& leaf);
  // Shared: a frequent term's list may be the one in PostingsCache; never modify it.
  Result<std::shared_ptr<const Roaring>> Postings(const std::string& field,
                                                  const std::string& token, bool prefix);
  Candidates Combine(const CompiledFilter::Node& node) const;
  // The rows of `rows` that match the whole filter; leaf sets must be exact on rows.
  Result<Roaring> Verify(const Roaring& rows);
  // The rows of `rows` whose value satisfies leaf, read from its columns.
  Result<Roaring> VerifyLeaf(const CompiledLeaf& leaf, const Roaring& rows);
  Roaring EvaluateExact(const CompiledFilter::Node& node, const Roaring& universe,
                        const std::vector<Roaring>& exact) const;
  RowSet All() const;

  const SegmentReader* segment_;
  const CompiledFilter* filter_;
  const QueryContext* ctx_;
  std::vector<Candidates> leaves_;
  Candidates root_;
  uint64_t verified_rows_ = 0;
  uint64_t blocks_pruned_ = 0;
  void UseTerm(const IndexTerm& term);

  std::vector<IndexTerm> terms_;
  std::set<std::string> columns_read_;
};

}  // namespace trove::query
