// SQLite FTS5 as a peer, in-process through the C API: the JSON lines parsed (simdjson, through
// tools/json_lines.h, the parser Trove's client uses) into the table
//
//   logs(time_ns INTEGER, service TEXT, level TEXT, host TEXT, msg TEXT, trace_id TEXT,
//        span_id TEXT, parent_span_id TEXT, user_id TEXT, client_ip TEXT, route TEXT,
//        status INTEGER, latency_ms DOUBLE)
//
// (the schema DuckDB uses too) by one prepared INSERT in transactions of 500,000 rows, then an
// external-content FTS5 index over msg (tokenize "unicode61 tokenchars '_'": tokens are runs of
// letters, digits and '_', folded to lower case, as Trove's for ASCII text) built in one
// 'rebuild' and merged by 'optimize', and an index on trace_id (Trove has a trace index).
// Load settings: journal_mode=OFF, synchronous=OFF, a 256 MiB page cache (a bulk load into a
// fresh file that is rebuilt when it fails).
//
// Search rows are FTS5 MATCH counts; aggregations are SQL over logs; the p99 row takes the value
// at rank floor(0.99·(n−1)) of each route with window functions (Trove's definition).
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench/compare/dataset.h"
#include "bench/compare/workload.h"
#include "storage/status.h"

struct sqlite3;

namespace trove::bench::compare {

struct SqliteLoadFigures {
  double load_s = 0;    // everything below
  double insert_s = 0;  // parse + INSERT
  double fts_s = 0;     // FTS5 rebuild + optimize
  double index_s = 0;   // CREATE INDEX on trace_id
  uint64_t rows = 0;
  uint64_t parse_errors = 0;
  uint64_t db_bytes = 0;
};

class SqlitePeer {
 public:
  // Creates db_path afresh and loads the data set into it.
  static Result<std::unique_ptr<SqlitePeer>> Load(const std::string& db_path, const Dataset& data,
                                                  SqliteLoadFigures* figures);
  ~SqlitePeer();
  SqlitePeer(const SqlitePeer&) = delete;
  SqlitePeer& operator=(const SqlitePeer&) = delete;

  // One run of a workload into *answer (keys as TroveSystem::Run makes them).
  Status Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer);

  // The SQL a workload runs (for the report).
  static std::string Sql(const Workload& w);

 private:
  explicit SqlitePeer(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace trove::bench::compare
