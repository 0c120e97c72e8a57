#include "bench/compare/sqlite_peer.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "bench/compare/trove_system.h"
#include "tools/json_lines.h"
#include "tools/line_reader.h"

namespace trove::bench::compare {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kRowsPerTransaction = 500'000;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Status Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return Status::IOError("sqlite: " + sql.substr(0, 80) + ": " + message);
  }
  return Status::OK();
}

// A prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      error_ = std::string("sqlite: prepare ") + sql.substr(0, 80) + ": " + sqlite3_errmsg(db);
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  Status status() const { return error_.empty() ? Status::OK() : Status::IOError(error_); }
  std::string Error(const char* what) const {
    return std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string error_;
};

// Binds text, or NULL for an empty string (the JSON lines leave empty fields out, so for
// DuckDB they are NULL too).
void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  if (v.empty()) {
    sqlite3_bind_null(s, i);
  } else {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
}

std::string Quote(const std::string& s) {  // an SQL string literal
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string FtsString(const std::string& s) {  // an FTS5 string: a phrase of its tokens
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

}  // namespace

Result<std::unique_ptr<SqlitePeer>> SqlitePeer::Load(const std::string& db_path,
                                                     const Dataset& data, SqliteLoadFigures* f) {
  std::error_code ec;
  std::filesystem::remove(db_path, ec);
  std::filesystem::remove(db_path + "-wal", ec);
  std::filesystem::remove(db_path + "-shm", ec);
  std::filesystem::remove(db_path + "-journal", ec);
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("sqlite: cannot open " + db_path + ": " + message);
  }
  std::unique_ptr<SqlitePeer> peer(new SqlitePeer(db));
  const auto start = Clock::now();
  TROVE_RETURN_IF_ERROR(Exec(db,
                             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                             "PRAGMA cache_size=-262144; PRAGMA locking_mode=EXCLUSIVE;"));
  TROVE_RETURN_IF_ERROR(
      Exec(db,
           "CREATE TABLE logs(time_ns INTEGER, service TEXT, level TEXT, host TEXT, msg TEXT, "
           "trace_id TEXT, span_id TEXT, parent_span_id TEXT, user_id TEXT, client_ip TEXT, "
           "route TEXT, status INTEGER, latency_ms DOUBLE);"
           "CREATE VIRTUAL TABLE logs_fts USING fts5(msg, content='logs', content_rowid='rowid', "
           "tokenize=\"unicode61 tokenchars '_'\");"));

  auto reader_or = ingest::LineReader::Open(data.jsonl_path, 16 << 20);
  if (!reader_or.ok()) return reader_or.status();
  std::unique_ptr<ingest::LineReader> reader = std::move(reader_or).value();
  ingest::JsonLineParser parser;
  Event e;
  Statement insert(db, "INSERT INTO logs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
  TROVE_RETURN_IF_ERROR(insert.status());
  sqlite3_stmt* s = insert.get();
  TROVE_RETURN_IF_ERROR(Exec(db, "BEGIN"));
  ingest::InputLine line;
  const std::string level_names[kNumLevels] = {"UNKNOWN", "TRACE", "DEBUG", "INFO",
                                               "WARN",    "ERROR", "FATAL"};
  while (reader->Next(&line)) {
    if (line.too_long || !parser.Parse(line.text, &e).ok()) {
      ++f->parse_errors;
      continue;
    }
    sqlite3_bind_int64(s, 1, e.time_ns);
    BindText(s, 2, e.service);
    if (e.level == Level::kUnknown) {
      sqlite3_bind_null(s, 3);
    } else {
      BindText(s, 3, level_names[static_cast<int>(e.level)]);
    }
    BindText(s, 4, e.host);
    BindText(s, 5, e.message);
    BindText(s, 6, e.trace_id);
    BindText(s, 7, e.span_id);
    BindText(s, 8, e.parent_span_id);
    for (int i = 9; i <= 13; ++i) sqlite3_bind_null(s, i);
    for (const Attribute& a : e.attributes) {
      int column = 0;
      if (a.key == "user.id")
        column = 9;
      else if (a.key == "client.ip")
        column = 10;
      else if (a.key == "http.route")
        column = 11;
      else if (a.key == "http.status")
        column = 12;
      else if (a.key == "latency_ms")
        column = 13;
      if (column == 0) continue;
      switch (TypeOf(a.value)) {
        case ValueType::kString: {
          const std::string& v = std::get<std::string>(a.value);
          sqlite3_bind_text(s, column, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
          break;
        }
        case ValueType::kInt64:
          if (column == 13) {
            sqlite3_bind_double(s, column, static_cast<double>(std::get<int64_t>(a.value)));
          } else {
            sqlite3_bind_int64(s, column, std::get<int64_t>(a.value));
          }
          break;
        case ValueType::kDouble:
          sqlite3_bind_double(s, column, std::get<double>(a.value));
          break;
        case ValueType::kBool:
          sqlite3_bind_int(s, column, std::get<bool>(a.value) ? 1 : 0);
          break;
      }
    }
    if (sqlite3_step(s) != SQLITE_DONE) return Status::IOError(insert.Error("insert"));
    sqlite3_reset(s);
    if (++f->rows % kRowsPerTransaction == 0) {
      TROVE_RETURN_IF_ERROR(Exec(db, "COMMIT; BEGIN"));
    }
  }
  if (!reader->status().ok()) return reader->status();
  TROVE_RETURN_IF_ERROR(Exec(db, "COMMIT"));
  f->insert_s = Since(start);

  const auto fts_start = Clock::now();
  TROVE_RETURN_IF_ERROR(Exec(db, "INSERT INTO logs_fts(logs_fts) VALUES('rebuild')"));
  TROVE_RETURN_IF_ERROR(Exec(db, "INSERT INTO logs_fts(logs_fts) VALUES('optimize')"));
  f->fts_s = Since(fts_start);
  const auto index_start = Clock::now();
  TROVE_RETURN_IF_ERROR(Exec(db, "CREATE INDEX logs_trace_id ON logs(trace_id)"));
  f->index_s = Since(index_start);
  f->load_s = Since(start);
  struct stat st;
  if (stat(db_path.c_str(), &st) == 0) f->db_bytes = static_cast<uint64_t>(st.st_size);
  return peer;
}

SqlitePeer::~SqlitePeer() { sqlite3_close(db_); }

std::string SqlitePeer::Sql(const Workload& w) {
  const std::string fts_count = "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH ";
  switch (w.id) {
    case WorkloadId::kRareTerm:
      return fts_count + "'\"<needle>\"'";
    case WorkloadId::kFrequentTerm:
      return fts_count + Quote(FtsString(kFrequentWord));
    case WorkloadId::kPhrase:
      return fts_count + Quote(FtsString(kPhrase));
    case WorkloadId::kFieldTerm:
      return "SELECT count(*) FROM logs WHERE service = " + Quote(kFieldService) +
             " AND rowid IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH " +
             Quote(FtsString(kFieldWord)) + ")";
    case WorkloadId::kBoolean:
      return "SELECT count(*) FROM logs WHERE level IN ('ERROR', 'WARN') AND (service IS NULL "
             "OR service <> " +
             Quote(kExcludedService) + ")";
    case WorkloadId::kTraceLookup:
      // The events themselves, as GetTrace returns them (Run reads every column of each row).
      return "SELECT * FROM logs WHERE trace_id = ? ORDER BY time_ns";
    case WorkloadId::kCountByService:
      return "SELECT service, count(*) FROM logs GROUP BY service";
    case WorkloadId::kCountByMinute:
      return "SELECT time_ns / 60000000000 * 60000000000 AS minute, count(*) FROM logs "
             "GROUP BY minute";
    case WorkloadId::kP99ByRoute:
      // The value at rank floor(0.99 (n - 1)) of each route's values (integer arithmetic).
      return "SELECT route, latency_ms FROM (SELECT route, latency_ms, row_number() OVER "
             "(PARTITION BY route ORDER BY latency_ms) - 1 AS rk, count(*) OVER (PARTITION BY "
             "route) AS n FROM logs WHERE latency_ms IS NOT NULL) WHERE rk = (n - 1) * 99 / 100";
    case WorkloadId::kDistinctUsers:
      return "SELECT count(DISTINCT user_id) FROM logs";
  }
  return "";
}

Status SqlitePeer::Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer) {
  std::string sql = Sql(w);
  std::string key;
  std::string bound;
  if (w.id == WorkloadId::kRareTerm) {
    key = NeedleFor(data, variant);
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    sql = "SELECT count(*) FROM logs_fts WHERE logs_fts MATCH " + Quote(FtsString(lower));
  } else if (w.id == WorkloadId::kTraceLookup) {
    key = TraceFor(data, variant);
    bound = key;
  }
  Statement stmt(db_, sql);
  TROVE_RETURN_IF_ERROR(stmt.status());
  sqlite3_stmt* s = stmt.get();
  if (!bound.empty()) {
    sqlite3_bind_text(s, 1, bound.data(), static_cast<int>(bound.size()), SQLITE_STATIC);
  }
  int rc;
  if (w.id == WorkloadId::kTraceLookup) {
    size_t rows = 0, bytes = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      ++rows;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        if (sqlite3_column_text(s, i) != nullptr) bytes += sqlite3_column_bytes(s, i);
      }
    }
    if (rc != SQLITE_DONE) return Status::IOError(stmt.Error("query"));
    if (rows > 0 && bytes == 0) return Status::IOError("trace rows without any column");
    (*answer)[key] = static_cast<double>(rows);
    return Status::OK();
  }
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const int n = sqlite3_column_count(s);
    std::string k = key;
    for (int i = 0; i + 1 < n; ++i) {
      if (i > 0) k += "\x1f";
      const unsigned char* text = sqlite3_column_text(s, i);
      k += text != nullptr ? reinterpret_cast<const char*>(text) : "null";
    }
    if (sqlite3_column_type(s, n - 1) == SQLITE_NULL) {
      (*answer)[k] = std::nullopt;
    } else {
      (*answer)[k] = sqlite3_column_double(s, n - 1);
    }
  }
  if (rc != SQLITE_DONE) return Status::IOError(stmt.Error("query"));
  return Status::OK();
}

}  // namespace trove::bench::compare
