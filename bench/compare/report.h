// The side-by-side benchmark's report: everything one run measured, written as Markdown (for
// people) and JSON (for scripts), with the DESIGN.md §6 budget rows computed from the figures.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bench/compare/dataset.h"
#include "bench/compare/duckdb_client.h"
#include "bench/compare/sqlite_peer.h"
#include "bench/compare/trove_system.h"
#include "bench/compare/workload.h"

namespace trove::bench::compare {

// The systems. kTrove is troved over gRPC, the reference every answer is checked against;
// kTroveEmbedded is the same store queried in the driver's process (bench/compare/
// trove_embedded.h), the like-for-like peer of the in-process SQLite and DuckDB.
enum SystemIndex {
  kTrove = 0,
  kRg = 1,
  kSqlite = 2,
  kDuckdb = 3,
  kTroveEmbedded = 4,
  kNumSystems = 5
};
extern const char* const kSystemNames[kNumSystems];
// The Trove figure a peer's time is divided by: rg (a process per query) against troved over
// gRPC; SQLite and DuckDB (no round trip) against Trove in-process when it ran for w.
SystemIndex TroveReferenceFor(const struct CompareRun& run, SystemIndex peer, const Workload& w);

struct SystemRun {
  bool enabled = false;
  std::string note;                         // why skipped, or how it ran
  std::map<std::string, Measured> results;  // by Workload::key
};

struct CompareRun {
  // Machine and build.
  std::string date;        // YYYY-MM-DD
  std::string started_at;  // RFC 3339, UTC
  std::string cpu;
  unsigned cores = 0;
  uint64_t mem_bytes = 0;
  std::string kernel;
  std::string build_type;
  // Settings.
  std::string size_label;
  std::string work_dir;
  size_t runs = 0, slow_runs = 0;
  double slow_ms = 0;
  int streams = 0;
  bool backfill = false;  // ingest order: each client its own part of the file
  std::vector<std::string> troved_flags;
  Dataset data;

  SystemRun systems[kNumSystems];
  IngestFigures trove;
  Measured trove_search;                  // the rare-term `| limit 100` Search (Trove only)
  double trove_search_server_p50_ms = 0;  // the same, as the server's explain times it
  double trove_empty_call_p50_ms = 0;     // GetTrace of an unknown ID: the RPC floor
  SqliteLoadFigures sqlite;
  uint64_t sqlite_peak_rss = 0;  // the driver process during the load (SQLite in-process)
  DuckdbFigures duckdb;
  std::string rg_version;

  // Everything that went wrong (mismatches, failures); printed loudly and listed first.
  std::vector<std::string> problems;
  double total_s = 0;
};

std::string MarkdownReport(const CompareRun& run);
std::string JsonReport(const CompareRun& run);

}  // namespace trove::bench::compare
