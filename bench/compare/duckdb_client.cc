#include "bench/compare/duckdb_client.h"

#include <simdjson.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "bench/compare/subprocess.h"
#include "bench/compare/trove_system.h"
#include "tools/event_json.h"

namespace trove::bench::compare {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// RE2 syntax for a literal.
std::string RegexLiteral(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (strchr("\\.+*?()|[]{}^$", c) != nullptr) out += '\\';
    out += c;
  }
  return out;
}

// msg holds text as a whole word / phrase, case-insensitively.
std::string WordFilter(const std::string& column, const std::string& text) {
  std::string like;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c;
  }
  return column + " ILIKE " + Quote("%" + like + "%") + " ESCAPE '\\' AND regexp_matches(" +
         column + ", " + Quote("(?i)\\b" + RegexLiteral(text) + "\\b") + ")";
}

std::string QueryName(const Workload& w, size_t variant) {
  return w.variant == Variant::kNone ? std::string(w.key)
                                     : std::string(w.key) + "#" + std::to_string(variant);
}

// A JSON cell as an answer key.
std::string KeyText(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(std::string_view(e.get_string().value()));
    case simdjson::dom::element_type::INT64:
      return std::to_string(int64_t(e.get_int64().value()));
    case simdjson::dom::element_type::UINT64:
      return std::to_string(uint64_t(e.get_uint64().value()));
    case simdjson::dom::element_type::DOUBLE: {
      const double d = e.get_double().value();
      char buf[40];
      if (d == std::floor(d) && std::fabs(d) < 9e15) {
        snprintf(buf, sizeof buf, "%.0f", d);
      } else {
        snprintf(buf, sizeof buf, "%.17g", d);
      }
      return buf;
    }
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    default:
      return simdjson::to_string(e);
  }
}

std::optional<double> CellNumber(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::INT64:
      return static_cast<double>(int64_t(e.get_int64().value()));
    case simdjson::dom::element_type::UINT64:
      return static_cast<double>(uint64_t(e.get_uint64().value()));
    case simdjson::dom::element_type::DOUBLE:
      return e.get_double().value();
    case simdjson::dom::element_type::STRING:
      return strtod(std::string(std::string_view(e.get_string().value())).c_str(), nullptr);
    default:
      return std::nullopt;
  }
}

std::optional<double> NumberField(simdjson::dom::element object, const char* key) {
  simdjson::dom::element e;
  if (object[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  return CellNumber(e);
}

}  // namespace

std::string DuckdbSql(const Workload& w, const Dataset& data, size_t variant) {
  const std::string count = "SELECT CAST(count(*) AS DOUBLE) FROM logs WHERE ";
  switch (w.id) {
    case WorkloadId::kRareTerm:
      return count + WordFilter("msg", Lower(NeedleFor(data, variant)));
    case WorkloadId::kFrequentTerm:
      return count + WordFilter("msg", kFrequentWord);
    case WorkloadId::kPhrase:
      return count + WordFilter("msg", kPhrase);
    case WorkloadId::kFieldTerm:
      return count + "service = " + Quote(kFieldService) + " AND " + WordFilter("msg", kFieldWord);
    case WorkloadId::kBoolean:
      return count + "level IN ('ERROR', 'WARN') AND coalesce(service, '') <> " +
             Quote(kExcludedService);
    case WorkloadId::kTraceLookup:
      return count + "trace_id = " + Quote(TraceFor(data, variant));
    case WorkloadId::kCountByService:
      return "SELECT service, CAST(count(*) AS DOUBLE) FROM logs GROUP BY service";
    case WorkloadId::kCountByMinute:
      return "SELECT CAST(time_ns // 60000000000 * 60000000000 AS VARCHAR) AS minute, "
             "CAST(count(*) AS DOUBLE) FROM logs GROUP BY minute";
    case WorkloadId::kP99ByRoute:
      return "SELECT route, list_sort(list(latency_ms))[(count(*) - 1) * 99 // 100 + 1] FROM "
             "logs WHERE latency_ms IS NOT NULL GROUP BY route";
    case WorkloadId::kDistinctUsers:
      return "SELECT CAST(count(DISTINCT user_id) AS DOUBLE) FROM logs";
  }
  return "";
}

Status RunDuckdb(const DuckdbOptions& options, const Dataset& data, DuckdbFigures* figures,
                 std::map<std::string, Measured>* results) {
  // The request: variant rows as one single-run query per needle / trace ID (run r takes
  // variant r, as for Trove), the others as one query with `runs` runs.
  std::string request = "{\"load\":true,\"queries\":[";
  bool first = true;
  auto add = [&](const std::string& name, const std::string& sql, size_t runs) {
    if (!first) request += ",";
    first = false;
    request += "{\"name\":";
    ingest::AppendJsonString(name, &request);
    request += ",\"sql\":";
    ingest::AppendJsonString(sql, &request);
    request += ",\"runs\":" + std::to_string(runs) + "}";
  };
  for (const Workload& w : Workloads()) {
    if (w.variant == Variant::kNone) {
      add(QueryName(w, 0), DuckdbSql(w, data, 0), options.runs);
    } else {
      for (size_t r = 1; r <= options.runs; ++r) add(QueryName(w, r), DuckdbSql(w, data, r), 1);
    }
  }
  request += "]}";

  auto run = RunProcess(
      {options.node, options.script, "--db", options.db_path, "--data", data.jsonl_path}, request);
  if (!run.ok()) return run.status();
  figures->wall_s = run->wall_ms / 1000;
  if (run->exit_code != 0) {
    return Status::IOError("duckdb_peer.mjs exited with status " + std::to_string(run->exit_code));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(run->out).get(doc) != simdjson::SUCCESS) {
    return Status::IOError("duckdb_peer.mjs printed no JSON object: " + run->out.substr(0, 200));
  }
  if (auto v = NumberField(doc, "load_s"); v) figures->load_s = *v;
  if (auto v = NumberField(doc, "db_bytes"); v) figures->db_bytes = static_cast<uint64_t>(*v);
  if (auto v = NumberField(doc, "rows_loaded"); v) {
    figures->rows_loaded = static_cast<uint64_t>(*v);
  }
  std::string_view version;
  if (doc["duckdb_version"].get(version) == simdjson::SUCCESS) figures->version = version;

  simdjson::dom::array list;
  if (doc["results"].get(list) != simdjson::SUCCESS) {
    return Status::IOError("duckdb_peer.mjs output has no results");
  }
  std::map<std::string, simdjson::dom::element> by_name;
  for (simdjson::dom::element r : list) {
    std::string_view name;
    if (r["name"].get(name) == simdjson::SUCCESS) by_name[std::string(name)] = r;
  }
  for (const Workload& w : Workloads()) {
    Measured& m = (*results)[w.key];
    // Variant rows: run r takes variant r (1-based; variant 0 is the others' warm-up).
    const size_t first = w.variant == Variant::kNone ? 0 : 1;
    const size_t last = w.variant == Variant::kNone ? 0 : options.runs;
    for (size_t q = first; q <= last; ++q) {
      auto it = by_name.find(QueryName(w, q));
      if (it == by_name.end()) {
        m.error = "no result for " + QueryName(w, q);
        break;
      }
      simdjson::dom::element r = it->second;
      std::string_view error;
      if (r["error"].get(error) == simdjson::SUCCESS) {
        m.error = std::string(error);
        break;
      }
      simdjson::dom::array times, rows;
      if (r["times_ms"].get(times) == simdjson::SUCCESS) {
        for (simdjson::dom::element t : times) {
          if (auto v = CellNumber(t); v) m.ms.push_back(*v);
        }
      }
      std::string variant_key;
      if (w.variant == Variant::kNeedle) variant_key = NeedleFor(data, q);
      if (w.variant == Variant::kTrace) variant_key = TraceFor(data, q);
      if (r["rows"].get(rows) == simdjson::SUCCESS) {
        for (simdjson::dom::element row : rows) {
          simdjson::dom::array cells;
          if (row.get(cells) != simdjson::SUCCESS || cells.size() == 0) continue;
          std::string k = variant_key;
          const size_t n = cells.size();
          size_t i = 0;
          std::optional<double> value;
          for (simdjson::dom::element c : cells) {
            if (i + 1 < n) {
              if (i > 0) k += "\x1f";
              k += KeyText(c);
            } else {
              value = CellNumber(c);
            }
            ++i;
          }
          m.answer[k] = value;
        }
      }
    }
    m.ran = m.error.empty();
  }
  return Status::OK();
}

}  // namespace trove::bench::compare
