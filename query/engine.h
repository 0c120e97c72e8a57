// The query engine: runs a parsed Query (search, stats) or a trace reconstruction over a storage
// Snapshot, using the term and correlation indexes for candidates and verifying every candidate
// exactly (DESIGN.md §2: never a non-matching event, never a missed one).
//
// Thread-safety: a QueryEngine may run many queries at once; each query fans out over the
// engine's thread pool, one task per segment.
#pragma once

#include <atomic>
#include <compare>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "query/ast.h"
#include "storage/event.h"
#include "storage/segment.h"
#include "storage/status.h"

namespace trove {
class Snapshot;
}

namespace trove::query {

class ThreadPool;

struct QueryOptions {
  // Extra time bounds from the CLI (--since/--from/--to) or the request, ANDed with the query:
  // from_ns <= _time < to_ns.
  int64_t from_ns = std::numeric_limits<int64_t>::min();
  int64_t to_ns = std::numeric_limits<int64_t>::max();
  // Most events a search returns (a `limit` pipe may ask for fewer); when more match,
  // QueryResult::truncated is set. 10,000 keeps one answer to a few MiB.
  uint64_t max_result_rows = 10000;
  // Most events GetTrace returns: the first ones by time, with Trace::truncated set when the
  // trace has more. Unbounded by default; troved sets its max_result_rows.
  uint64_t max_trace_events = std::numeric_limits<uint64_t>::max();
  // Most groups a stats pipe may build before failing with ResourceExhausted; bounds memory of
  // `by (_time:1s, user.id)`-style queries.
  uint64_t max_groups = 1'000'000;
  // The query fails with Aborted("deadline exceeded") past this point; checked per segment and
  // per block. Default: none.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // When set and true, the query fails with Aborted("cancelled") at its next check. Not owned.
  const std::atomic<bool>* cancel = nullptr;
};

// What the planner and executor did; `explain` prints it.
struct ExplainStats {
  uint64_t segments_total = 0;
  uint64_t segments_pruned_time = 0;   // outside the time range (segment min/max)
  uint64_t segments_pruned_filter = 0;  // a term the query needs is not in its term filter
  uint64_t segments_pruned_index = 0;   // no candidate rows after index lookups
  uint64_t segments_searched = 0;
  uint64_t segments_skipped_limit = 0;  // older than the newest `limit` matches
  uint64_t blocks_pruned = 0;           // column blocks skipped by time or min/max
  uint64_t candidate_rows = 0;  // rows the indexes could not rule out
  uint64_t verified_rows = 0;   // candidates checked against the exact predicate
  uint64_t matched_rows = 0;    // rows that matched (before limit)
  uint64_t recent_events = 0;   // buffered (not yet segmented) events scanned
  // Segments whose indexes were consulted (searched or pruned by index), by tier, and each
  // of them, newest first as planned; SegmentReadName formats one for display.
  uint64_t segments_hot = 0;
  uint64_t segments_cold = 0;
  struct SegmentRead {
    uint64_t id = 0;
    Tier tier = Tier::kHot;
  };
  std::vector<SegmentRead> segments_read;
  std::vector<std::string> terms;  // index terms looked up, "field:token" / "field:prefix*"
  std::vector<std::string> columns_read;
  std::string plan;  // the filter as planned, e.g. "AND(_msg:\"error\" [index], …)"
  std::string ToString() const;
};

// "seg-<id>.trv (hot)" / "… (cold)": a segment of ExplainStats::segments_read, as explain
// shows it (formatted only when shown: a query over ~200 segments pays nothing for it).
std::string SegmentReadName(const ExplainStats::SegmentRead& s);

// A stats output cell: null, text, integer, floating point or a time (ns since epoch).
struct TimeValue {
  int64_t ns = 0;
  auto operator<=>(const TimeValue&) const = default;
};
using Cell = std::variant<std::monostate, std::string, int64_t, double, TimeValue>;

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

// Result semantics (the contract differential tests check):
//
// Search (no stats/top pipe). Pipes apply in order to the matching events, which start out
// newest first (_time descending; order among equal times unspecified).
//   limit N      keeps the first N.
//   sort by (…)  orders by the keys (ties keep their previous order). Sort values: _time and
//                level (severity 0..6) and int64/double attributes are numbers; other present
//                fields are their text form. Ascending order: absent < numbers (numerically) <
//                strings (bytewise); desc reverses it.
//   fields a, b  events keep only those fields (and _time); `fields` lists them.
// At most QueryOptions::max_result_rows events are returned; `truncated` says more remained.
//
// Stats. `stats by (k…) aggs` groups the events that reach it. Columns: the keys, then the
// aggregates, by name. A key cell is the text form of the field (null when absent; level is
// its name) or, for `_time:D`, TimeValue{floor(_time / D) * D}. Without `by` there is exactly
// one row, even over no events. Numeric value of a field: int64/double attributes, _time (ns)
// and level (0..6); strings and bools are not numeric and are skipped by sum/avg/min/max/
// quantiles.
//   count()          int64 events in the group
//   count_uniq(f)    int64 distinct text forms of f among events that have f; exact up to
//                    DistinctCounter::kExactLimit distinct values, else within
//                    DistinctCounter::kRelativeErrorBound (query/sketch.h)
//   sum/avg/min/max  double over numeric values; null when the group has none. Sums are
//                    accumulated per segment then merged, so they can differ from a
//                    sequential sum in the last bits (relative 1e-9).
//   median(f), quantile(q, f)  double: the value at rank floor(q*(n-1)) of the numeric values
//                    ascending; exact up to QuantileSketch::kExactLimit values per group, else
//                    within QuantileSketch::kRelativeAccuracy relative error; null when none.
// Rows are ordered by their key cells ascending (null first; strings bytewise; times and
// numbers numerically), lexicographically over the keys.
// `top N by (k…)` is `stats by (k…) count() count` over events that have at least one key
// field, ordered by count descending then keys ascending, first N rows.
// After stats/top, `sort by` orders rows by columns (null first, numbers numerically, strings
// bytewise, stable), `limit N` keeps N rows and `fields` keeps columns; naming an unknown
// column is InvalidArgument.
struct QueryResult {
  // Search: matching events, newest first unless a `sort by` pipe says otherwise.
  std::vector<Event> events;
  // Fields to show, from a `fields` pipe; empty means all. Events hold only these (and _time).
  std::vector<std::string> fields;
  bool truncated = false;  // more events matched than were returned
  // Stats / top: the table (is_table). Rows ordered by the group keys unless sorted.
  bool is_table = false;
  Table table;
  ExplainStats explain;
};

struct TraceSpan {
  std::string span_id;
  std::string parent_span_id;  // as sent; may name a span absent from the trace
  std::string service;         // of the span's first event
  int64_t start_ns = 0, end_ns = 0;  // first and last event of the span
  uint32_t depth = 0;                // 0 for roots
  std::vector<size_t> events;        // indexes into Trace::events
};

struct ServiceSummary {
  std::string service;
  int64_t first_ns = 0, last_ns = 0;
  uint64_t events = 0;
  uint64_t errors = 0;  // level ERROR or FATAL
};

struct Trace {
  std::string trace_id;
  std::vector<Event> events;  // every event of the trace, by time (stable)
  // The span tree in depth-first order (children by start time), for events with a span_id.
  // A span whose parent is absent, or that sits on a parent cycle, is a root.
  std::vector<TraceSpan> spans;
  std::vector<ServiceSummary> services;  // by first event time
  int64_t start_ns = 0, end_ns = 0;      // first and last event; 0 when empty
  int64_t duration_ns() const { return end_ns - start_ns; }
  // More events matched than QueryOptions::max_trace_events: `events` holds the first ones
  // by time and the views describe those.
  bool truncated = false;
  ExplainStats explain;
};

struct QueryEngineOptions {
  // Worker threads for per-segment work; 0 means one per hardware thread.
  unsigned threads = 0;
};

class QueryEngine {
 public:
  explicit QueryEngine(const QueryEngineOptions& options = {});
  ~QueryEngine();
  QueryEngine(const QueryEngine&) = delete;
  QueryEngine& operator=(const QueryEngine&) = delete;

  // Runs query over snapshot. Errors: InvalidArgument (e.g. a bad regex, a pipe that makes no
  // sense), Aborted (deadline, cancel), ResourceExhausted (too many groups), Corruption/IOError
  // from storage (naming the file).
  Result<QueryResult> Run(const Snapshot& snapshot, const Query& query,
                          const QueryOptions& options = {}) const;

  // Every event whose trace_id equals id exactly, from every segment and the buffer, with no
  // time range needed (the global correlation map), at most options.max_trace_events of them
  // (query/trace.h CollectTrace). An unknown id gives an empty Trace.
  Result<Trace> GetTrace(const Snapshot& snapshot, std::string_view id,
                         const QueryOptions& options = {}) const;

 private:
  std::unique_ptr<ThreadPool> pool_;
};

// Renders a cell: text as is, integers, doubles with up to 6 significant decimals, times as
// RFC 3339 with nanoseconds, null as "".
std::string CellToString(const Cell& cell);
// "2026-01-01T00:00:00.000000000Z".
std::string FormatTime(int64_t time_ns);

}  // namespace trove::query
