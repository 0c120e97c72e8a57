#include "query/trace.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include "query/segment_search.h"
#include "query/thread_pool.h"
#include "storage/store.h"

namespace trove::query {

namespace {

// An event of the trace before it is read: its time and where it is. source is the segment's
// index, or the number of segments for the buffer; pos the row in the segment or the index in
// the buffered matches. (time, source, pos) is the order of the answer.
struct TraceEntry {
  int64_t time;
  uint32_t source;
  uint32_t pos;
  bool operator<(const TraceEntry& o) const {
    return std::tie(time, source, pos) < std::tie(o.time, o.source, o.pos);
  }
};

// The times of the first `limit` rows of `rows` (a segment's rows are in time order, so these
// are its earliest events of the trace), appended to *out as entries of `source`.
Status FirstRowTimes(const SegmentReader& segment, const Roaring& rows, uint64_t limit,
                     uint32_t source, const QueryContext& ctx, std::vector<TraceEntry>* out) {
  const ColumnMeta* time = segment.FindColumn(kFieldTime, ValueType::kInt64);
  if (time == nullptr) return Status::Corruption(segment.path() + ": no _time column");
  uint64_t taken = 0;
  size_t block = 0;
  std::shared_ptr<const ColumnBlock> times;
  for (auto it = rows.begin(); it != rows.end() && taken < limit; ++it, ++taken) {
    const uint32_t row = *it;
    if (times == nullptr || row >= times->first_row + times->num_rows) {
      TROVE_RETURN_IF_ERROR(ctx.Check());
      block = time->BlockForRow(row);
      if (block >= time->blocks.size()) {
        return Status::Corruption(segment.path() + ": trace row " + std::to_string(row) +
                                  " past the _time column");
      }
      TROVE_ASSIGN_OR_RETURN(times, segment.ColumnBlockAt(*time, block));
    }
    out->push_back({times->ints[row - times->first_row], source, row});
  }
  return Status::OK();
}

}  // namespace

Result<Trace> CollectTrace(const Snapshot& snapshot, std::string_view id,
                           const QueryOptions& options, ThreadPool* pool) {
  QueryContext ctx{&options};
  TROVE_RETURN_IF_ERROR(ctx.Check());
  Trace trace;
  trace.trace_id = std::string(id);
  if (id.empty()) return Status::InvalidArgument("empty trace ID");
  TROVE_ASSIGN_OR_RETURN(auto segments, snapshot.SegmentsWithTrace(id));
  const uint64_t limit = options.max_trace_events;

  std::vector<Roaring> rows(segments.size());
  FirstError error;
  pool->ParallelFor(segments.size(), [&](size_t i) {
    Status s = ctx.Check();
    if (!s.ok()) return error.Set(s);
    auto r = segments[i]->TraceRows(id);
    if (!r.ok()) return error.Set(r.status());
    rows[i] = std::move(*r);
  });
  if (error.failed) return error.status;
  uint64_t total = 0;
  for (const Roaring& r : rows) total += r.cardinality();
  uint64_t recent = 0;
  std::vector<const Event*> buffered;
  for (const auto& batch : snapshot.recent()) {
    for (const Event& e : batch->events) {
      ++recent;
      if (e.trace_id == id) buffered.push_back(&e);
    }
  }
  total += buffered.size();

  if (total > limit) {
    // Choose the first `limit` by time from each source's earliest `limit`, then read only
    // those rows.
    std::vector<std::vector<TraceEntry>> firsts(segments.size());
    pool->ParallelFor(segments.size(), [&](size_t i) {
      Status s =
          FirstRowTimes(*segments[i], rows[i], limit, static_cast<uint32_t>(i), ctx, &firsts[i]);
      if (!s.ok()) error.Set(s);
    });
    if (error.failed) return error.status;
    std::vector<TraceEntry> entries;
    for (auto& f : firsts) entries.insert(entries.end(), f.begin(), f.end());
    firsts.clear();
    const uint32_t buffer_source = static_cast<uint32_t>(segments.size());
    for (size_t j = 0; j < buffered.size(); ++j) {
      entries.push_back({buffered[j]->time_ns, buffer_source, static_cast<uint32_t>(j)});
    }
    const size_t keep = static_cast<size_t>(std::min<uint64_t>(limit, entries.size()));
    std::nth_element(entries.begin(), entries.begin() + keep, entries.end());
    entries.resize(keep);
    std::sort(entries.begin(), entries.end());
    for (Roaring& r : rows) r = Roaring();
    for (const TraceEntry& e : entries) {
      if (e.source < buffer_source) rows[e.source].add(e.pos);
    }
    std::vector<const Event*> chosen;
    for (const TraceEntry& e : entries) {
      if (e.source == buffer_source) chosen.push_back(buffered[e.pos]);
    }
    buffered = std::move(chosen);
    trace.truncated = true;
  }

  std::vector<std::vector<Event>> per_segment(segments.size());
  pool->ParallelFor(segments.size(), [&](size_t i) {
    Status s = ctx.Check();
    if (!s.ok()) return error.Set(s);
    if (rows[i].isEmpty()) return;
    auto events = segments[i]->ReadTraceEvents(rows[i], id);
    if (!events.ok()) return error.Set(events.status());
    per_segment[i] = std::move(*events);
  });
  if (error.failed) return error.status;
  for (auto& events : per_segment) {
    for (Event& e : events) trace.events.push_back(std::move(e));
  }
  for (const Event* e : buffered) trace.events.push_back(*e);
  // Segment events come in row order (= time order within a segment), buffered ones in
  // append order: a stable sort by time gives the (time, source, pos) order.
  std::stable_sort(trace.events.begin(), trace.events.end(),
                   [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
  BuildTraceViews(&trace);
  trace.explain.segments_total = snapshot.segments().size();
  trace.explain.segments_searched = segments.size();
  for (const auto& s : segments) {
    ++(s->tier() == Tier::kCold ? trace.explain.segments_cold : trace.explain.segments_hot);
    trace.explain.segments_read.push_back({s->id(), s->tier()});
  }
  trace.explain.recent_events = recent;
  trace.explain.matched_rows = total;
  trace.explain.terms = {"trace_id index"};
  return trace;
}

void BuildTraceViews(Trace* trace) {
  trace->spans.clear();
  trace->services.clear();
  const auto& events = trace->events;
  if (events.empty()) {
    trace->start_ns = trace->end_ns = 0;
    return;
  }
  trace->start_ns = events.front().time_ns;
  trace->end_ns = events.back().time_ns;

  std::map<std::string, size_t> service_index;
  for (const Event& e : events) {
    auto [it, fresh] = service_index.try_emplace(e.service, trace->services.size());
    if (fresh) {
      ServiceSummary s;
      s.service = e.service;
      s.first_ns = e.time_ns;
      trace->services.push_back(std::move(s));
    }
    ServiceSummary& s = trace->services[it->second];
    s.last_ns = std::max(s.last_ns, e.time_ns);
    s.first_ns = std::min(s.first_ns, e.time_ns);
    ++s.events;
    if (e.level == Level::kError || e.level == Level::kFatal) ++s.errors;
  }

  // Spans in order of first appearance (= start time, events being sorted).
  std::vector<TraceSpan> spans;
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.span_id.empty()) continue;
    auto [it, fresh] = by_id.try_emplace(e.span_id, spans.size());
    if (fresh) {
      TraceSpan s;
      s.span_id = e.span_id;
      s.parent_span_id = e.parent_span_id;
      s.service = e.service;
      s.start_ns = e.time_ns;
      spans.push_back(std::move(s));
    }
    TraceSpan& s = spans[it->second];
    if (s.parent_span_id.empty()) s.parent_span_id = e.parent_span_id;
    s.end_ns = std::max(s.end_ns, e.time_ns);
    s.events.push_back(i);
  }
  // Parent links; a span is a root when its parent is absent or it sits on a cycle.
  std::vector<int64_t> parent(spans.size(), -1);
  for (size_t i = 0; i < spans.size(); ++i) {
    auto it = by_id.find(spans[i].parent_span_id);
    if (!spans[i].parent_span_id.empty() && it != by_id.end() && it->second != i) {
      parent[i] = static_cast<int64_t>(it->second);
    }
  }
  // Walk each parent chain once (0 = unvisited, 1 = on the current walk, 2 = done); meeting
  // the current walk again means a cycle, cut at the span that closes it. O(spans).
  std::vector<uint8_t> state(spans.size(), 0);
  std::vector<size_t> path;
  for (size_t i = 0; i < spans.size(); ++i) {
    path.clear();
    int64_t p = static_cast<int64_t>(i);
    while (p >= 0 && state[p] == 0) {
      state[p] = 1;
      path.push_back(static_cast<size_t>(p));
      p = parent[p];
    }
    if (p >= 0 && state[p] == 1) parent[path.back()] = -1;
    for (size_t q : path) state[q] = 2;
  }
  std::vector<std::vector<size_t>> children(spans.size());
  std::vector<size_t> roots;
  for (size_t i = 0; i < spans.size(); ++i) {
    (parent[i] < 0 ? roots : children[parent[i]]).push_back(i);
  }
  // Depth-first, children in start order (indexes are already in start order).
  std::vector<std::pair<size_t, uint32_t>> stack;
  for (auto r = roots.rbegin(); r != roots.rend(); ++r) stack.emplace_back(*r, 0);
  while (!stack.empty()) {
    auto [i, depth] = stack.back();
    stack.pop_back();
    spans[i].depth = depth;
    trace->spans.push_back(spans[i]);
    for (auto c = children[i].rbegin(); c != children[i].rend(); ++c) {
      stack.emplace_back(*c, depth + 1);
    }
  }
}

}  // namespace trove::query
