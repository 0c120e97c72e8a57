#include "query/engine.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>
#include <tuple>
#include <thread>

#include "query/aggregator.h"
#include "query/matcher.h"
#include "query/pipes.h"
#include "query/segment_search.h"
#include "query/sorted_rows.h"
#include "query/thread_pool.h"
#include "query/trace.h"
#include "storage/store.h"

namespace trove::query {

namespace {

// Events a `sort by` may gather before it fails: sorting needs every match in memory.
constexpr uint64_t kMaxSortedEvents = 1'000'000;

// Adds each of `from` to *to unless already there. The lists are short (the terms of one
// query): a scan costs less than a tree, and nothing is allocated for a repeat.
template <typename Strings>
void AddDistinct(const Strings& from, std::vector<std::string>* to) {
  for (const std::string& s : from) {
    if (std::find(to->begin(), to->end(), s) == to->end()) to->push_back(s);
  }
}

// Explain counters of one query, merged from its tasks under mu. Cheap per segment (a query
// over ~200 segments adds ~200 times); sorting and formatting wait for Finish.
struct ExplainCollector {
  std::mutex mu;
  ExplainStats stats;
  std::vector<IndexTerm> terms;
  std::vector<std::string> columns;
  std::vector<std::tuple<int64_t, uint64_t, Tier>> segments;  // (max_time, id, tier)

  void Add(const SegmentSearcher& s) {
    std::lock_guard<std::mutex> lock(mu);
    AddSegmentLocked(*s.segment());
    stats.candidate_rows += s.candidates();
    stats.verified_rows += s.verified_rows();
    stats.blocks_pruned += s.blocks_pruned();
    for (const IndexTerm& t : s.terms()) {
      if (std::find(terms.begin(), terms.end(), t) == terms.end()) terms.push_back(t);
    }
    AddDistinct(s.columns_read(), &columns);
  }
  void AddPrunedByIndex(const SegmentSearcher& s) {
    Add(s);
    std::lock_guard<std::mutex> lock(mu);
    ++stats.segments_pruned_index;
  }
  void AddSearched(const SegmentSearcher& s, uint64_t matched) {
    Add(s);
    std::lock_guard<std::mutex> lock(mu);
    ++stats.segments_searched;
    stats.matched_rows += matched;
  }
  void AddSegmentLocked(const SegmentReader& segment) {
    ++(segment.tier() == Tier::kCold ? stats.segments_cold : stats.segments_hot);
    segments.emplace_back(segment.meta().max_time, segment.id(), segment.tier());
  }
  ExplainStats Finish() {
    // Newest first: (max_time, id) descending; a segment counted twice is listed once.
    std::sort(segments.begin(), segments.end(), std::greater<>());
    segments.erase(std::unique(segments.begin(), segments.end()), segments.end());
    for (const auto& [max_time, id, tier] : segments) stats.segments_read.push_back({id, tier});
    std::vector<std::string> texts;
    for (const IndexTerm& t : terms) texts.push_back(t.ToString());
    std::sort(texts.begin(), texts.end());
    texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
    std::sort(columns.begin(), columns.end());
    stats.terms = std::move(texts);
    stats.columns_read = std::move(columns);
    return stats;
  }
};

// Segments that may hold events of the filter's time range and, by their term filters, every
// term it needs, newest first. The snapshot keeps them open: plain pointers spare two atomic
// counts a segment per query.
std::vector<const SegmentReader*> SegmentsNewestFirst(const Snapshot& snapshot,
                                                      const CompiledFilter& filter,
                                                      ExplainStats* stats) {
  std::vector<const SegmentReader*> out;
  stats->segments_total = snapshot.segments().size();
  out.reserve(snapshot.segments().size());
  const TermPruner terms(filter);
  for (const auto& s : snapshot.segments()) {
    if (s->meta().max_time < filter.min_time_ns() || s->meta().min_time >= filter.max_time_ns()) {
      ++stats->segments_pruned_time;
      continue;
    }
    if (!terms.MayMatch(*s)) {
      ++stats->segments_pruned_filter;
      continue;
    }
    out.push_back(s.get());
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->meta().max_time > b->meta().max_time;
  });
  return out;
}

bool BatchMayMatch(const RecentBatch& batch, const CompiledFilter& filter) {
  return !(batch.max_time < filter.min_time_ns() || batch.min_time >= filter.max_time_ns());
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

}  // namespace

// The newest `limit` events matching filter, newest first; with `order`, the first `limit` in
// the order of `sort by (order)` instead (every match is visited, a bounded top-k kept).
static Result<std::vector<Event>> CollectNewest(ThreadPool* pool, const Snapshot& snapshot,
                                                const CompiledFilter& filter, uint64_t limit,
                                                const QueryContext& ctx, ExplainCollector* explain,
                                                const std::vector<SortKey>* order = nullptr) {
  std::mutex mu;
  std::vector<Event> found;
  int64_t kth_time = std::numeric_limits<int64_t>::min();  // valid once found.size() >= limit
  auto add = [&](std::vector<Event>&& events) {
    std::lock_guard<std::mutex> lock(mu);
    for (Event& e : events) found.push_back(std::move(e));
    if (order) {
      // Trim at twice the limit so trimming costs O(1) amortised per event.
      if (found.size() > 2 * limit) KeepFirstSorted(*order, limit, &found);
      return;
    }
    if (found.size() >= limit && limit > 0) {
      auto newer = [](const Event& a, const Event& b) { return a.time_ns > b.time_ns; };
      std::nth_element(found.begin(), found.begin() + (limit - 1), found.end(), newer);
      found.resize(limit);
      kth_time = found[limit - 1].time_ns;
      for (const Event& e : found) kth_time = std::min(kth_time, e.time_ns);
    }
  };
  if (limit == 0) return found;

  uint64_t recent = 0, recent_matched = 0;
  for (const auto& batch : snapshot.recent()) {
    if (!BatchMayMatch(*batch, filter)) continue;
    std::vector<Event> matched;
    for (const Event& e : batch->events) {
      if ((++recent & 0xfff) == 0) TROVE_RETURN_IF_ERROR(ctx.Check());
      if (filter.Matches(e)) matched.push_back(e);
    }
    recent_matched += matched.size();
    add(std::move(matched));
  }

  auto segments = SegmentsNewestFirst(snapshot, filter, &explain->stats);
  explain->stats.recent_events = recent;
  explain->stats.matched_rows += recent_matched;
  FirstError error;
  pool->ParallelFor(segments.size(), [&](size_t i) {
    if (error.Failed()) return;
    const SegmentReader& segment = *segments[i];
    Status s = ctx.Check();
    if (!s.ok()) return error.Set(s);
    if (!order) {
      std::lock_guard<std::mutex> lock(mu);
      if (found.size() >= limit && segment.meta().max_time < kth_time) {
        std::lock_guard<std::mutex> l(explain->mu);
        ++explain->stats.segments_skipped_limit;
        return;
      }
    }
    SegmentSearcher searcher(&segment, &filter, &ctx);
    s = searcher.Plan();
    if (!s.ok()) return error.Set(s);
    if (searcher.candidates() == 0) return explain->AddPrunedByIndex(searcher);
    auto rows = searcher.MatchingRows(order ? UINT64_MAX : limit);
    if (!rows.ok()) return error.Set(rows.status());
    explain->AddSearched(searcher, rows->cardinality());
    Roaring chosen = *rows;
    if (order) {
      // Only the segment's first `limit` in sort order, chosen from the key columns alone.
      auto first = FirstSortedRows(segment, *rows, *order, limit, ctx);
      if (!first.ok()) return error.Set(first.status());
      chosen = std::move(*first);
    }
    auto events = segment.ReadEvents(chosen);
    if (!events.ok()) return error.Set(events.status());
    add(std::move(*events));
  });
  if (error.failed) return error.status;
  if (order) {
    KeepFirstSorted(*order, limit, &found);
    return found;
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Event& a, const Event& b) { return a.time_ns > b.time_ns; });
  if (found.size() > limit) found.resize(limit);
  return found;
}

static Status AggregateColumnar(ThreadPool* pool, const Snapshot& snapshot,
                                const CompiledFilter& filter, const QueryContext& ctx,
                                StatsAccumulator* acc, ExplainCollector* explain) {
  uint64_t recent = 0;
  for (const auto& batch : snapshot.recent()) {
    if (!BatchMayMatch(*batch, filter)) continue;
    for (const Event& e : batch->events) {
      if ((++recent & 0xfff) == 0) TROVE_RETURN_IF_ERROR(ctx.Check());
      if (!filter.Matches(e)) continue;
      ++explain->stats.matched_rows;
      TROVE_RETURN_IF_ERROR(acc->AddEvent(e));
    }
  }
  explain->stats.recent_events = recent;
  auto segments = SegmentsNewestFirst(snapshot, filter, &explain->stats);
  std::mutex acc_mu;
  FirstError error;
  pool->ParallelFor(segments.size(), [&](size_t i) {
    if (error.Failed()) return;
    Status s = ctx.Check();
    if (!s.ok()) return error.Set(s);
    const SegmentReader& segment = *segments[i];
    SegmentSearcher searcher(&segment, &filter, &ctx);
    s = searcher.Plan();
    if (!s.ok()) return error.Set(s);
    if (searcher.candidates() == 0) return explain->AddPrunedByIndex(searcher);
    auto rows = searcher.MatchingRows();
    if (!rows.ok()) return error.Set(rows.status());
    auto local = acc->CloneEmpty();
    s = local.AddSegmentRows(segment, *rows, ctx);
    if (!s.ok()) return error.Set(s);
    explain->AddSearched(searcher, rows->cardinality());
    std::lock_guard<std::mutex> lock(acc_mu);
    s = acc->Merge(std::move(local));
    if (!s.ok()) error.Set(s);
  });
  if (error.failed) return error.status;
  std::lock_guard<std::mutex> l(explain->mu);
  AddDistinct(acc->Fields(), &explain->columns);
  return Status::OK();
}

QueryEngine::QueryEngine(const QueryEngineOptions& options) {
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  // The calling thread works too, so one fewer worker keeps all cores busy.
  pool_ = std::make_unique<ThreadPool>(std::max(1u, threads > 1 ? threads - 1 : 1));
}

QueryEngine::~QueryEngine() = default;

Result<QueryResult> QueryEngine::Run(const Snapshot& snapshot, const Query& query,
                                     const QueryOptions& options) const {
  QueryContext ctx{&options};
  TROVE_RETURN_IF_ERROR(ctx.Check());
  QueryResult result;
  size_t stats_at = query.pipes.size();
  for (size_t i = 0; i < query.pipes.size(); ++i) {
    const Pipe::Kind k = query.pipes[i].kind;
    if (k == Pipe::Kind::kStats || k == Pipe::Kind::kTop) {
      if (stats_at != query.pipes.size()) {
        return Status::InvalidArgument("only one stats or top pipe per query");
      }
      stats_at = i;
    }
  }
  const std::vector<Pipe> before(query.pipes.begin(), query.pipes.begin() + stats_at);
  Filter filter = query.filter;
  Pipe stats;
  if (stats_at < query.pipes.size()) {
    stats = query.pipes[stats_at];
    if (stats.kind == Pipe::Kind::kTop) {
      // top N by (k…) = stats by (k…) count() over events having a key, by count desc.
      Filter any_key;
      any_key.op = Filter::Op::kOr;
      for (const GroupKey& k : stats.by) {
        Filter exists;
        exists.op = Filter::Op::kLeaf;
        exists.leaf.kind = Predicate::Kind::kExists;
        exists.leaf.field = k.bucket_ns ? std::string(kFieldTime) : k.field;
        any_key.children.push_back(exists);
      }
      if (any_key.children.size() == 1) any_key = any_key.children[0];
      if (!any_key.children.empty() || any_key.op == Filter::Op::kLeaf) {
        Filter both;
        both.op = Filter::Op::kAnd;
        both.children = {filter, any_key};
        filter = filter.op == Filter::Op::kAll ? any_key : both;
      }
      Aggregate count;
      count.fn = Aggregate::Fn::kCount;
      count.name = "count";
      stats.aggregates = {count};
    }
  }
  TROVE_ASSIGN_OR_RETURN(CompiledFilter compiled,
                         CompiledFilter::Compile(filter, options.from_ns, options.to_ns));
  ExplainCollector explain;

  // How many of the newest matches the pipes before stats can use: limits before the first
  // sort bound it; a sort needs every match.
  uint64_t fetch = UINT64_MAX;
  bool sorted = false;
  for (const Pipe& p : before) {
    if (p.kind == Pipe::Kind::kSortBy) {
      sorted = true;
      break;
    }
    if (p.kind == Pipe::Kind::kLimit) fetch = std::min(fetch, p.limit);
  }
  const bool search = stats_at == query.pipes.size();
  if (search && !sorted) fetch = SaturatingAdd(std::min(fetch, options.max_result_rows), 1);

  if (!search && before.empty()) {
    TROVE_ASSIGN_OR_RETURN(StatsAccumulator acc,
                           StatsAccumulator::Create(stats, options.max_groups));
    TROVE_RETURN_IF_ERROR(AggregateColumnar(pool_.get(), snapshot, compiled, ctx, &acc, &explain));
    result.table = acc.Finish();
  } else {
    // A sort that reaches the answer only through a limit (or the result cap) needs just the
    // first `top` events in sort order: limits after the first sort, before any other sort.
    // The result cap counts too when no other sort follows.
    const std::vector<SortKey>* order = nullptr;
    uint64_t top = UINT64_MAX;
    if (sorted && fetch == UINT64_MAX) {
      bool resorted = false;
      for (const Pipe& p : before) {
        if (p.kind == Pipe::Kind::kSortBy) {
          if (order) {
            resorted = true;
            break;
          }
          order = &p.sort;
        } else if (p.kind == Pipe::Kind::kLimit && order) {
          top = std::min(top, p.limit);
        }
      }
      if (search && !resorted) top = std::min(top, options.max_result_rows);
      if (top == UINT64_MAX) order = nullptr;
    }
    const uint64_t limit = order                            ? SaturatingAdd(top, 1)
                           : sorted && fetch == UINT64_MAX ? kMaxSortedEvents + 1
                                                           : fetch;
    TROVE_ASSIGN_OR_RETURN(
        std::vector<Event> events,
        CollectNewest(pool_.get(), snapshot, compiled, limit, ctx, &explain, order));
    if (!order && sorted && fetch == UINT64_MAX && events.size() > kMaxSortedEvents) {
      return Status::ResourceExhausted("sort by over more than " +
                                       std::to_string(kMaxSortedEvents) +
                                       " events; narrow the query or the time range");
    }
    bool cut = false;
    TROVE_RETURN_IF_ERROR(ApplyEventPipes(before, &events, &result.fields, &cut));
    if (search) {
      if (events.size() > options.max_result_rows) {
        events.resize(options.max_result_rows);
        cut = true;
      }
      result.truncated = cut;
      result.events = std::move(events);
    } else {
      TROVE_ASSIGN_OR_RETURN(StatsAccumulator acc,
                             StatsAccumulator::Create(stats, options.max_groups));
      for (const Event& e : events) TROVE_RETURN_IF_ERROR(acc.AddEvent(e));
      result.table = acc.Finish();
    }
  }
  if (!search) {
    result.is_table = true;
    if (query.pipes[stats_at].kind == Pipe::Kind::kTop) {
      std::stable_sort(result.table.rows.begin(), result.table.rows.end(),
                       [](const auto& a, const auto& b) {
                         return std::get<int64_t>(a.back()) > std::get<int64_t>(b.back());
                       });
      uint64_t n = query.pipes[stats_at].limit;
      if (result.table.rows.size() > n) result.table.rows.resize(n);
    }
    const std::vector<Pipe> after(query.pipes.begin() + stats_at + 1, query.pipes.end());
    TROVE_RETURN_IF_ERROR(ApplyTablePipes(after, &result.table));
  }
  result.explain = explain.Finish();
  result.explain.plan = ToString(filter);
  return result;
}

Result<Trace> QueryEngine::GetTrace(const Snapshot& snapshot, std::string_view id,
                                    const QueryOptions& options) const {
  return CollectTrace(snapshot, id, options, pool_.get());
}

std::string SegmentReadName(const ExplainStats::SegmentRead& s) {
  return SegmentFileName(s.id) + " (" + TierName(s.tier) + ")";
}

std::string ExplainStats::ToString() const {
  std::string out;
  auto line = [&](const char* name, uint64_t v) {
    out += std::string(name) + ": " + std::to_string(v) + "\n";
  };
  out += "plan: " + plan + "\n";
  line("segments total", segments_total);
  line("segments pruned by time", segments_pruned_time);
  line("segments pruned by term filter", segments_pruned_filter);
  line("segments pruned by index", segments_pruned_index);
  line("segments skipped (limit reached)", segments_skipped_limit);
  line("segments searched", segments_searched);
  line("blocks pruned by min/max", blocks_pruned);
  line("candidate rows", candidate_rows);
  line("verified rows", verified_rows);
  line("matched rows", matched_rows);
  line("buffered events scanned", recent_events);
  out += "segments read by tier: " + std::to_string(segments_hot) + " hot, " +
         std::to_string(segments_cold) + " cold\n";
  std::string r;
  for (const auto& seg : segments_read) r += (r.empty() ? "" : ", ") + SegmentReadName(seg);
  out += "segments read: " + r + "\n";
  std::string t;
  for (const auto& term : terms) t += (t.empty() ? "" : ", ") + term;
  out += "index terms: " + t + "\n";
  std::string c;
  for (const auto& col : columns_read) c += (c.empty() ? "" : ", ") + col;
  out += "columns verified/read: " + c + "\n";
  return out;
}

}  // namespace trove::query
