// The brute-force model of QueryEngine::GetTrace (query_model.h): a trace's events, per-service
// summaries and span tree, computed from the events alone and compared with the engine's Trace.
#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "query/engine.h"
#include "tests/query_diff_util.h"
#include "tests/query_model.h"

namespace trove::query::testing {

std::string DiffTrace(const std::vector<Event>& model, const std::string& id, const Trace& got) {
  std::ostringstream os;
  std::vector<Event> events;
  for (const Event& e : model) {
    if (e.trace_id == id) events.push_back(e);
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
  if (got.events.size() != events.size()) {
    os << "want " << events.size() << " events, got " << got.events.size();
    return os.str();
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (!(got.events[i] == events[i])) {
      os << "event #" << i << ": want " << Describe(events[i]) << "\n      got  "
         << Describe(got.events[i]);
      return os.str();
    }
  }
  if (events.empty()) {
    if (!got.spans.empty() || !got.services.empty() || got.start_ns || got.end_ns) {
      return "an unknown trace must be empty (spans, services, start, end)";
    }
    return "";
  }
  if (got.trace_id != id) return "trace_id: got " + Quoted(got.trace_id);
  if (got.start_ns != events.front().time_ns || got.end_ns != events.back().time_ns) {
    os << "start/end: want " << events.front().time_ns << "/" << events.back().time_ns << " got "
       << got.start_ns << "/" << got.end_ns;
    return os.str();
  }
  // Per-service summaries, by first event time.
  std::vector<ServiceSummary> services;
  for (const Event& e : events) {
    auto it = std::find_if(services.begin(), services.end(),
                           [&](const ServiceSummary& s) { return s.service == e.service; });
    if (it == services.end()) {
      services.push_back({e.service, e.time_ns, e.time_ns, 0, 0});
      it = services.end() - 1;
    }
    it->last_ns = e.time_ns;
    ++it->events;
    if (e.level == Level::kError || e.level == Level::kFatal) ++it->errors;
  }
  if (got.services.size() != services.size()) {
    os << "want " << services.size() << " services, got " << got.services.size();
    return os.str();
  }
  for (size_t i = 0; i < services.size(); ++i) {
    const ServiceSummary& w = services[i];
    const ServiceSummary& g = got.services[i];
    if (w.service != g.service || w.first_ns != g.first_ns || w.last_ns != g.last_ns ||
        w.events != g.events || w.errors != g.errors) {
      os << "service #" << i << ": want " << w.service << " " << w.first_ns << ".." << w.last_ns
         << " events=" << w.events << " errors=" << w.errors << "; got " << g.service << " "
         << g.first_ns << ".." << g.last_ns << " events=" << g.events << " errors=" << g.errors;
      return os.str();
    }
  }
  // Span invariants first: they name the broken rule.
  std::map<std::string, size_t> span_of_event_count;
  std::vector<int> owner(got.events.size(), -1);
  for (size_t s = 0; s < got.spans.size(); ++s) {
    const TraceSpan& span = got.spans[s];
    for (size_t i : span.events) {
      if (i >= got.events.size()) return "span " + span.span_id + " names a bad event index";
      if (owner[i] != -1) return "event #" + std::to_string(i) + " is in two spans";
      owner[i] = static_cast<int>(s);
      if (got.events[i].span_id != span.span_id) {
        return "span " + span.span_id + " holds event of span " + got.events[i].span_id;
      }
    }
    if (span.depth > 0) {
      // Depth-first: the nearest earlier span one level up is the parent.
      int parent = -1;
      for (size_t j = s; j-- > 0;) {
        if (got.spans[j].depth + 1 == span.depth) {
          parent = static_cast<int>(j);
          break;
        }
        if (got.spans[j].depth < span.depth) break;
      }
      if (parent < 0 || got.spans[static_cast<size_t>(parent)].span_id != span.parent_span_id) {
        return "span " + span.span_id + " at depth " + std::to_string(span.depth) +
               " does not follow its parent " + span.parent_span_id + " in depth-first order";
      }
    }
  }
  for (size_t i = 0; i < got.events.size(); ++i) {
    if (!got.events[i].span_id.empty() && owner[i] == -1) {
      return "event #" + std::to_string(i) + " with span_id " + got.events[i].span_id +
             " is in no span";
    }
  }
  // The exact tree: roots and children by start time, depth-first.
  struct Span {
    std::string id, parent, service;
    int64_t start = 0, end = 0;
    std::vector<size_t> events;
  };
  std::map<std::string, Span> spans;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.span_id.empty()) continue;
    auto [it, fresh] = spans.try_emplace(e.span_id);
    Span& s = it->second;
    if (fresh) {
      s.id = e.span_id;
      s.parent = e.parent_span_id;
      s.service = e.service;
      s.start = e.time_ns;
    }
    s.end = e.time_ns;
    s.events.push_back(i);
  }
  std::map<std::string, std::vector<const Span*>> children;
  std::vector<const Span*> roots;
  for (const auto& [sid, s] : spans) {
    if (s.parent != s.id && spans.count(s.parent)) {
      children[s.parent].push_back(&s);
    } else {
      roots.push_back(&s);
    }
  }
  auto by_start = [](const Span* a, const Span* b) { return a->start < b->start; };
  std::sort(roots.begin(), roots.end(), by_start);
  for (auto& [p, c] : children) std::sort(c.begin(), c.end(), by_start);
  std::vector<TraceSpan> want;
  std::function<void(const Span*, uint32_t)> visit = [&](const Span* s, uint32_t depth) {
    want.push_back({s->id, s->parent, s->service, s->start, s->end, depth, s->events});
    for (const Span* c : children[s->id]) visit(c, depth + 1);
  };
  for (const Span* r : roots) visit(r, 0);
  if (want.size() != got.spans.size()) {
    os << "want " << want.size() << " spans, got " << got.spans.size();
    return os.str();
  }
  for (size_t i = 0; i < want.size(); ++i) {
    const TraceSpan& w = want[i];
    TraceSpan g = got.spans[i];
    std::sort(g.events.begin(), g.events.end());
    if (w.span_id != g.span_id || w.parent_span_id != g.parent_span_id || w.service != g.service ||
        w.start_ns != g.start_ns || w.end_ns != g.end_ns || w.depth != g.depth ||
        w.events != g.events) {
      os << "span #" << i << ": want " << w.span_id << " parent=" << w.parent_span_id
         << " service=" << w.service << " " << w.start_ns << ".." << w.end_ns
         << " depth=" << w.depth << " events=" << w.events.size() << "; got " << g.span_id
         << " parent=" << g.parent_span_id << " service=" << g.service << " " << g.start_ns << ".."
         << g.end_ns << " depth=" << g.depth << " events=" << g.events.size();
      return os.str();
    }
  }
  return "";
}

}  // namespace trove::query::testing
