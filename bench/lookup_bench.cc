// trove-bench-lookup: cold point lookups on an existing store, for profiling the trace row of
// the side-by-side benchmark (DESIGN.md §6) without its ingest.
//
//   trove-bench-lookup DIR IDS_FILE [--runs N]
//
// Opens the store in DIR read-only (no background work), then runs QueryEngine::GetTrace for
// each trace ID of IDS_FILE (one per line), in file order, N times over (default 1). Each ID
// is looked up once per pass, so with IDs spread over the store most lookups find their
// blocks cold, as the benchmark's trace row does. Prints p50 / p99 / min wall time and the
// mean events per trace.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "query/engine.h"
#include "storage/store.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: trove-bench-lookup DIR IDS_FILE [--runs N]\n");
    return 2;
  }
  size_t runs = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--runs") runs = std::strtoull(argv[i + 1], nullptr, 10);
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
  trove::query::QueryEngine engine;
  std::vector<double> ms;
  uint64_t events = 0;
  for (size_t r = 0; r < runs; ++r) {
    for (const std::string& id : ids) {
      const auto snapshot = (*store)->GetSnapshot();
      const auto start = std::chrono::steady_clock::now();
      auto trace = engine.GetTrace(*snapshot, id);
      const auto end = std::chrono::steady_clock::now();
      if (!trace.ok()) {
        fprintf(stderr, "trove-bench-lookup: %s: %s\n", id.c_str(),
                trace.status().ToString().c_str());
        return 1;
      }
      events += trace->events.size();
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  printf("%zu lookups: p50 %.3f ms, p99 %.3f ms, min %.3f ms, %.1f events a trace\n", ms.size(),
         ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.front(),
         static_cast<double>(events) / static_cast<double>(ms.size()));
  return 0;
}
