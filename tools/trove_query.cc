// trove-query: runs a query or a trace lookup on a store directory directly, without the
// server, for maintenance and debugging (the `trove` CLI goes through troved over gRPC).
//
//   trove-query [--explain] [--limit N] DIR QUERY      search or stats (DESIGN.md §2–§3)
//   trove-query trace DIR ID                          every event of a correlation ID
//
// Exit status: 0 on success, 2 for usage and query errors (the message names the position),
// 1 for storage errors.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "query/engine.h"
#include "query/parser.h"
#include "storage/store.h"

namespace {

using trove::Event;
using trove::query::FormatTime;

int Usage(const std::string& problem) {
  if (!problem.empty()) fprintf(stderr, "trove-query: %s\n", problem.c_str());
  fprintf(stderr,
          "usage: trove-query [--explain] [--limit N] DIR QUERY\n"
          "       trove-query trace DIR ID\n");
  return 2;
}

void PrintEvent(const Event& e, const std::vector<std::string>& fields, int indent = 0) {
  std::string line(static_cast<size_t>(indent), ' ');
  line += FormatTime(e.time_ns);
  auto show = [&](std::string_view name) {
    return fields.empty() || std::find(fields.begin(), fields.end(), name) != fields.end();
  };
  if (show("service") && !e.service.empty()) line += "  " + e.service;
  if (show("level")) line += "  " + std::string(trove::LevelName(e.level));
  if (show("host") && !e.host.empty()) line += "  host=" + e.host;
  if (show("trace_id") && !e.trace_id.empty()) line += "  trace_id=" + e.trace_id;
  if (show("span_id") && !e.span_id.empty()) line += "  span_id=" + e.span_id;
  for (const auto& a : e.attributes) line += "  " + a.key + "=" + trove::ValueToString(a.value);
  if (show("_msg")) line += "  " + e.message;
  printf("%s\n", line.c_str());
}

std::unique_ptr<trove::Store> OpenStore(const std::string& dir) {
  trove::StoreOptions options;
  options.background = false;  // a reader: no flushes or merges from this process
  options.cold_tier = trove::ColdTierForTools(dir);
  auto store = trove::Store::Open(options, dir);
  if (!store.ok()) {
    fprintf(stderr, "trove-query: %s\n", store.status().ToString().c_str());
    exit(1);
  }
  return std::move(store).value();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "trace") {
    if (args.size() != 3) return Usage("trace takes a store directory and an ID");
    auto store = OpenStore(args[1]);
    trove::query::QueryEngine engine;
    auto trace = engine.GetTrace(*store->GetSnapshot(), args[2]);
    if (!trace.ok()) {
      fprintf(stderr, "trove-query: %s\n", trace.status().ToString().c_str());
      return trace.status().IsInvalidArgument() ? 2 : 1;
    }
    if (trace->events.empty()) {
      printf("no events with trace_id %s\n", args[2].c_str());
      return 0;
    }
    printf("trace %s: %zu events, %zu services, %.3f ms\n", args[2].c_str(),
           trace->events.size(), trace->services.size(),
           static_cast<double>(trace->duration_ns()) / 1e6);
    for (const auto& s : trace->services) {
      printf("  %-16s %4llu events %3llu errors  +%.3f ms .. +%.3f ms\n", s.service.c_str(),
             static_cast<unsigned long long>(s.events), static_cast<unsigned long long>(s.errors),
             static_cast<double>(s.first_ns - trace->start_ns) / 1e6,
             static_cast<double>(s.last_ns - trace->start_ns) / 1e6);
    }
    printf("spans:\n");
    for (const auto& span : trace->spans) {
      printf("  %s%s %s +%.3f ms (%.3f ms)\n", std::string(2 * span.depth, ' ').c_str(),
             span.service.c_str(), span.span_id.c_str(),
             static_cast<double>(span.start_ns - trace->start_ns) / 1e6,
             static_cast<double>(span.end_ns - span.start_ns) / 1e6);
    }
    printf("events:\n");
    for (const Event& e : trace->events) PrintEvent(e, {}, 2);
    return 0;
  }
  bool explain = false;
  trove::query::QueryOptions options;
  options.max_result_rows = 100;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--explain") {
      explain = true;
    } else if (args[i] == "--limit") {
      if (i + 1 >= args.size()) return Usage("--limit needs a number");
      char* end = nullptr;
      options.max_result_rows = strtoull(args[++i].c_str(), &end, 10);
      if (*end != '\0' || args[i].empty()) return Usage("--limit wants a number");
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != 2) return Usage("expected a store directory and a query");
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto query = trove::query::ParseQuery(positional[1], now);
  if (!query.ok()) {
    fprintf(stderr, "trove-query: %s\n", query.status().message().c_str());
    return 2;
  }
  auto store = OpenStore(positional[0]);
  trove::query::QueryEngine engine;
  auto t0 = std::chrono::steady_clock::now();
  auto result = engine.Run(*store->GetSnapshot(), *query, options);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!result.ok()) {
    fprintf(stderr, "trove-query: %s\n", result.status().ToString().c_str());
    return result.status().IsInvalidArgument() ? 2 : 1;
  }
  if (result->is_table) {
    const auto& t = result->table;
    std::vector<size_t> width(t.columns.size());
    for (size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].size();
    for (const auto& row : t.rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        width[c] = std::max(width[c], trove::query::CellToString(row[c]).size());
      }
    }
    auto print_row = [&](const std::vector<std::string>& cells) {
      std::string line;
      for (size_t c = 0; c < cells.size(); ++c) {
        line += cells[c] + std::string(width[c] - cells[c].size() + 2, ' ');
      }
      printf("%s\n", line.c_str());
    };
    print_row(t.columns);
    for (const auto& row : t.rows) {
      std::vector<std::string> cells;
      for (const auto& cell : row) cells.push_back(trove::query::CellToString(cell));
      print_row(cells);
    }
  } else {
    for (const Event& e : result->events) PrintEvent(e, result->fields);
    if (result->truncated) printf("(more events match; raise --limit or narrow the query)\n");
  }
  fprintf(stderr, "%.1f ms\n", ms);
  if (explain) fprintf(stderr, "%s", result->explain.ToString().c_str());
  return 0;
}
