// Trace reconstruction helpers: the span tree and per-service summaries of a trace's events.
#pragma once

#include "query/engine.h"

namespace trove::query {

// Fills trace->spans, services, start_ns and end_ns from trace->events, which must be sorted
// by time. Cycles and missing parents make roots; never fails.
void BuildTraceViews(Trace* trace);

}  // namespace trove::query
