#include "query/trace.h"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace trove::query {

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
