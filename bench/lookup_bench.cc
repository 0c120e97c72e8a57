// trove-bench-lookup: point lookups on an existing store, for profiling the trace and needle
// rows of the side-by-side benchmark (DESIGN.md §6) without its ingest.
//
//   trove-bench-lookup DIR FILE [--runs N] [--queries] [--cold]
//
// Opens the store in DIR (no background work), then runs QueryEngine::GetTrace for each trace
// ID of FILE (one per line), in file order, N times over (default 1); with --queries each line
// is a query text instead (e.g. `zqxneedle3Kq | stats count()`), run through
// QueryEngine::Run. Each ID is looked up once per pass, so with IDs spread over the store most
// lookups find their blocks cold, as the benchmark's trace row does. Prints p50 / p99 / min
// wall time and the mean events (traces) or result rows (queries) per lookup. With --cold the
// shared block caches are emptied before every lookup, so that a few IDs repeated many times
// (for a profile) cost what a first lookup costs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "query/engine.h"
#include "query/parser.h"
#include "storage/block_cache.h"
#include "storage/store.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: trove-bench-lookup DIR FILE [--runs N] [--queries] [--cold]\n");
    return 2;
  }
  size_t runs = 1;
  bool queries = false;
  bool cold = false;
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--runs" && i + 1 < argc) {
      runs = std::strtoull(argv[++i], nullptr, 10);
    } else if (flag == "--queries") {
      queries = true;
    } else if (flag == "--cold") {
      cold = true;
    } else {
      fprintf(stderr, "trove-bench-lookup: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::vector<std::string> ids;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  if (ids.empty()) {
    fprintf(stderr, "trove-bench-lookup: no IDs in %s\n", argv[2]);
    return 2;
  }
  trove::StoreOptions options;
  options.background = false;
  auto store = trove::Store::Open(options, argv[1]);
  if (!store.ok()) {
    fprintf(stderr, "trove-bench-lookup: %s\n", store.status().ToString().c_str());
    return 1;
  }
  using trove::Status;
  trove::query::QueryEngine engine;
  std::vector<double> ms;
  uint64_t events = 0;
  for (size_t r = 0; r < runs; ++r) {
    for (const std::string& id : ids) {
      if (cold) {
        trove::SetCacheBudget(0);
        trove::SetCacheBudget(size_t{256} << 20);  // troved's default
      }
      const auto snapshot = (*store)->GetSnapshot();
      const auto start = std::chrono::steady_clock::now();
      Status s;
      if (queries) {
        const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();  // for relative times such as `_time:1h`
        auto parsed = trove::query::ParseQuery(id, now);
        s = parsed.status();
        if (parsed.ok()) {
          auto result = engine.Run(*snapshot, *parsed);
          s = result.status();
          if (result.ok()) {
            events += result->is_table ? result->table.rows.size() : result->events.size();
          }
        }
      } else {
        auto trace = engine.GetTrace(*snapshot, id);
        s = trace.status();
        if (trace.ok()) events += trace->events.size();
      }
      const auto end = std::chrono::steady_clock::now();
      if (!s.ok()) {
        fprintf(stderr, "trove-bench-lookup: %s: %s\n", id.c_str(), s.ToString().c_str());
        return 1;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  printf("%zu lookups: p50 %.3f ms, p99 %.3f ms, min %.3f ms, %.1f per lookup\n", ms.size(),
         ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.front(),
         static_cast<double>(events) / static_cast<double>(ms.size()));
  return 0;
}
