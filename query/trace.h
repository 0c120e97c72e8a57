// Trace reconstruction: collecting a trace's events from a snapshot (bounded), and the span
// tree and per-service summaries of those events.
#pragma once

#include <string_view>

#include "query/engine.h"

namespace trove::query {

class ThreadPool;

// Every event whose trace_id equals id, from the segments the snapshot's correlation map names
// and from its buffered events, in time order (ties: segment order, then the buffer), with the
// views built (BuildTraceViews) and explain filled. At most options.max_trace_events: a trace
// with more keeps its first ones by time and sets truncated. Then only the _time column of each
// segment's first max_trace_events trace rows is read to choose them, and only the chosen
// events are read in full, so memory stays bounded by the limit however large the trace.
// Segment reads fan out over pool. Errors: InvalidArgument (empty id), Aborted (deadline,
// cancel), Corruption/IOError from storage.
Result<Trace> CollectTrace(const Snapshot& snapshot, std::string_view id,
                           const QueryOptions& options, ThreadPool* pool);

// Fills trace->spans, services, start_ns and end_ns from trace->events, which must be sorted
// by time. Cycles and missing parents make roots; never fails.
void BuildTraceViews(Trace* trace);

}  // namespace trove::query
