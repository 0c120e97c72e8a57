// DuckDB as a peer, through bench/compare/duckdb_peer.mjs (Node, @duckdb/node-api; contract in
// bench/compare/README.md): one node process loads the JSON lines into a fresh database (table
// `logs`, the schema SQLite uses) and runs every workload's SQL, each once unmeasured and then
// timed inside node. Search rows match words with regexp_matches(msg, '(?i)\bWORD\b') (RE2's
// \b is an ASCII word boundary: Trove's token boundary for ASCII text) behind an ILIKE
// prefilter; the p99 row takes the value at rank floor(0.99·(n−1)) of each route from its
// sorted list (quantile_disc uses another rank, ceil(0.99·n)−1).
#pragma once

#include <map>
#include <string>

#include "bench/compare/dataset.h"
#include "bench/compare/workload.h"
#include "storage/status.h"

namespace trove::bench::compare {

struct DuckdbOptions {
  std::string node = "node";
  std::string script;  // duckdb_peer.mjs
  std::string db_path;
  size_t runs = 10;  // measured runs per workload (variant rows: one query per variant)
};

struct DuckdbFigures {
  double load_s = 0;
  uint64_t db_bytes = 0;
  uint64_t rows_loaded = 0;
  std::string version;
  double wall_s = 0;  // the whole node process
};

// The SQL of a workload (the needle / trace ID of `variant` filled in).
std::string DuckdbSql(const Workload& w, const Dataset& data, size_t variant);

// Loads and runs every workload; fills *results by workload key. IOError when node fails or
// its output is not the contract's JSON; a failing query is that workload's error only.
Status RunDuckdb(const DuckdbOptions& options, const Dataset& data, DuckdbFigures* figures,
                 std::map<std::string, Measured>* results);

}  // namespace trove::bench::compare
