#include "bench/compare/report.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "tools/event_json.h"

namespace trove::bench::compare {

const char* const kSystemNames[kNumSystems] = {"Trove", "rg", "SQLite FTS5", "DuckDB",
                                                "Trove in-process"};

namespace {

[[gnu::format(printf, 1, 2)]] std::string Fmt(const char* fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return n < 0 ? std::string()
               : std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

std::string Thousands(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Ms(double ms) {
  if (ms < 10) return Fmt("%.2f", ms);
  if (ms < 100) return Fmt("%.1f", ms);
  return Thousands(static_cast<uint64_t>(std::llround(ms)));
}

std::string Bytes(uint64_t b) {  // decimal units, as MB/s of raw JSON
  const double d = static_cast<double>(b);
  if (d >= 1e9) return Fmt("%.2f GB", d / 1e9);
  if (d >= 1e6) return Fmt("%.1f MB", d / 1e6);
  return Fmt("%.1f kB", d / 1e3);
}

std::string MiB(uint64_t b) { return Fmt("%.0f MiB", static_cast<double>(b) / (1 << 20)); }

std::string Ratio(double r) {
  if (!(r > 0) || !std::isfinite(r)) return "–";
  if (r >= 100) return Fmt("%.0f×", r);
  if (r >= 10) return Fmt("%.1f×", r);
  return Fmt("%.2f×", r);
}

std::string Escape(const std::string& s) {  // a Markdown table cell
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

double P50(const Measured& m) { return Percentile(m.ms, 0.5); }

// Whether a system has a usable p50 for the workload.
bool Timed(const Measured& m) { return m.ran && m.error.empty() && !m.ms.empty(); }

std::string AnswerSummary(const Workload& w, const Measured& m) {
  if (!m.ran || m.answer.empty()) return "–";
  if (w.variant == Variant::kNeedle) {
    bool all_one = true;
    for (const auto& [k, v] : m.answer) all_one = all_one && v && *v == 1;
    return all_one ? Fmt("1 each (%zu needles)", m.answer.size())
                   : Fmt("%zu needles, not all 1", m.answer.size());
  }
  if (w.variant == Variant::kTrace) {
    double total = 0;
    for (const auto& [k, v] : m.answer) total += v.value_or(0);
    return Fmt("%.1f events/trace (%zu IDs)", total / static_cast<double>(m.answer.size()),
               m.answer.size());
  }
  if (m.answer.size() == 1 && m.answer.begin()->first.empty()) {
    return ValueText(m.answer.begin()->second);
  }
  return Fmt("%zu groups", m.answer.size());
}

struct DesignRow {
  std::string what, must, aim, measured, status;
  double value = 0;
  bool known = false;
};

DesignRow NewRow(const char* what, const char* must, const char* aim) {
  DesignRow r;
  r.what = what;
  r.must = must;
  r.aim = aim;
  return r;
}

// status from a measured value: bigger_is_better decides the direction.
std::string Judge(bool known, double value, double must, double aim, bool bigger_is_better) {
  if (!known) return "not measured";
  const bool meets_must = bigger_is_better ? value >= must : value <= must;
  const bool meets_aim = bigger_is_better ? value >= aim : value <= aim;
  if (meets_aim) return "met (aim)";
  if (meets_must) return "met (must)";
  return "**NOT MET**";
}

}  // namespace

SystemIndex TroveReferenceFor(const CompareRun& run, SystemIndex peer, const Workload& w) {
  if (peer != kSqlite && peer != kDuckdb) return kTrove;
  const SystemRun& e = run.systems[kTroveEmbedded];
  auto it = e.results.find(w.key);
  return e.enabled && it != e.results.end() && Timed(it->second) ? kTroveEmbedded : kTrove;
}

namespace {

std::vector<DesignRow> DesignRows(const CompareRun& run) {
  std::vector<DesignRow> rows;
  const SystemRun& trove = run.systems[kTrove];
  const double raw = static_cast<double>(run.data.jsonl_bytes);
  auto find = [](const SystemRun& s, const char* key) -> const Measured* {
    auto it = s.results.find(key);
    return it == s.results.end() || !Timed(it->second) ? nullptr : &it->second;
  };

  {
    DesignRow r = NewRow("ingest, gRPC → durable + indexed + columnar", "≥ 30 MB/s", "≥ 100 MB/s");
    r.known = run.trove.flushed_s > 0;
    r.value = r.known ? raw / 1e6 / run.trove.flushed_s : 0;
    r.measured = Fmt("%.1f MB/s", r.value);
    r.status = Judge(r.known, r.value, 30, 100, true);
    rows.push_back(r);
  }
  {
    DesignRow r = NewRow("ingest memory (RSS, steady state)", "≤ 1 GiB", "≤ 200 MiB");
    r.known = run.trove.steady_rss_median > 0;
    r.value = static_cast<double>(run.trove.steady_rss_median) / (1 << 20);
    r.measured = MiB(run.trove.steady_rss_median) + " median of the 2nd half (max " +
                 MiB(run.trove.steady_rss_max) + ", VmHWM " + MiB(run.trove.peak_rss) + ")";
    r.status = Judge(r.known, r.value, 1024, 200, false);
    rows.push_back(r);
  }
  {
    DesignRow r = NewRow("on-disk size (data + every index) / raw, hot", "≤ 1/6", "≤ 1/12");
    r.known = run.trove.dir_bytes > 0;
    const double x = r.known ? raw / static_cast<double>(run.trove.dir_bytes) : 0;
    r.value = x;
    r.measured = Fmt("1/%.1f (%s for %s of JSON)", x, Bytes(run.trove.dir_bytes).c_str(),
                     Bytes(run.data.jsonl_bytes).c_str());
    r.status = Judge(r.known, x, 6, 12, true);
    rows.push_back(r);
  }
  rows.push_back({"on-disk size / raw, cold", "–", "≤ 1/20", "not measured here (no archival)",
                  "not measured"});
  {
    DesignRow r = NewRow("rare-term search, warm, p50 (`NEEDLE | limit 100`)", "≤ 20 ms", "≤ 2 ms");
    r.known = Timed(run.trove_search);
    r.value = r.known ? P50(run.trove_search) : 0;
    r.measured =
        Fmt("%s ms over %s events", Ms(r.value).c_str(), Thousands(run.data.events).c_str());
    if (run.data.events < 10'000'000) r.measured += " (budget is for 10M)";
    r.status = Judge(r.known, r.value, 20, 2, false);
    rows.push_back(r);
  }
  {
    DesignRow r = NewRow("trace lookup by correlation ID, p99", "≤ 20 ms", "≤ 2 ms");
    const Measured* m = find(trove, "trace");
    r.known = m != nullptr;
    r.value = m ? Percentile(m->ms, 0.99) : 0;
    r.measured = Ms(r.value) + " ms";
    r.status = Judge(r.known, r.value, 20, 2, false);
    rows.push_back(r);
  }
  {
    DesignRow r = NewRow("`count() by (service)`, p50", "≤ 200 ms", "≤ 20 ms");
    const Measured* m = find(trove, "by_service");
    r.known = m != nullptr;
    r.value = m ? P50(*m) : 0;
    r.measured =
        Fmt("%s ms over %s events", Ms(r.value).c_str(), Thousands(run.data.events).c_str());
    if (run.data.events < 10'000'000) r.measured += " (budget is for 10M)";
    r.status = Judge(r.known, r.value, 200, 20, false);
    rows.push_back(r);
  }
  {
    DesignRow r =
        NewRow("same rare-term query vs `rg` over the raw file", "≥ 50× faster", "≥ 1000×");
    const Measured* rg = find(run.systems[kRg], "rare");
    r.known = rg != nullptr && Timed(run.trove_search);
    r.value = r.known ? P50(*rg) / P50(run.trove_search) : 0;
    r.measured = r.known ? Fmt("%s (rg %s ms / Trove %s ms)", Ratio(r.value).c_str(),
                               Ms(P50(*rg)).c_str(), Ms(P50(run.trove_search)).c_str())
                         : "rg not run";
    r.status = Judge(r.known, r.value, 50, 1000, true);
    rows.push_back(r);
  }
  {
    DesignRow r = NewRow("vs SQLite FTS5 on the same data (load, query, size)",
                         "faster on all three", "≥ 5× on each");
    const SystemRun& sq = run.systems[kSqlite];
    r.known = sq.enabled && run.sqlite.load_s > 0 && run.trove.flushed_s > 0;
    if (r.known) {
      const double load = run.sqlite.load_s / run.trove.flushed_s;
      const double size = static_cast<double>(run.sqlite.db_bytes) /
                          static_cast<double>(std::max<uint64_t>(1, run.trove.dir_bytes));
      double worst = 0, log_sum = 0;
      int n = 0;
      std::string worst_name;
      for (const Workload& w : Workloads()) {
        const Measured* t = find(run.systems[TroveReferenceFor(run, kSqlite, w)], w.key);
        const Measured* s = find(sq, w.key);
        if (t == nullptr || s == nullptr || P50(*t) <= 0) continue;
        const double ratio = P50(*s) / P50(*t);
        log_sum += std::log(ratio);
        if (n++ == 0 || ratio < worst) {
          worst = ratio;
          worst_name = w.name;
        }
      }
      const double geo = n > 0 ? std::exp(log_sum / n) : 0;
      r.value = std::min({load, size, worst});
      r.measured = Fmt("load %s, size %s, query (against Trove %s): slowest row %s (%s), "
                       "geometric mean %s",
                       Ratio(load).c_str(), Ratio(size).c_str(),
                       run.systems[kTroveEmbedded].enabled ? "in-process" : "over gRPC",
                       Ratio(worst).c_str(), worst_name.c_str(), Ratio(geo).c_str());
      r.known = n > 0;
    } else {
      r.measured = "SQLite not run";
    }
    r.status = Judge(r.known, r.value, 1.0000001, 5, true);
    rows.push_back(r);
  }
  return rows;
}

// ---- JSON ---------------------------------------------------------------------------------

class Json {
 public:
  std::string out;
  void Key(const std::string& k) {
    Sep();
    ingest::AppendJsonString(k, &out);
    out += ':';
    fresh_ = true;
  }
  void Str(const std::string& v) {
    Sep();
    ingest::AppendJsonString(v, &out);
  }
  void Num(double v) {
    Sep();
    out += std::isfinite(v) ? Fmt("%.10g", v) : "null";
  }
  void Int(uint64_t v) {
    Sep();
    out += std::to_string(v);
  }
  void Bool(bool v) {
    Sep();
    out += v ? "true" : "false";
  }
  void Null() {
    Sep();
    out += "null";
  }
  void Open(char c) {
    Sep();
    out += c;
    fresh_ = true;
  }
  void Close(char c) {
    out += c;
    fresh_ = false;
  }

 private:
  void Sep() {
    if (!fresh_ && !out.empty()) out += ',';
    fresh_ = false;
  }
  bool fresh_ = true;
};

void JsonMeasured(Json* j, const Workload* w, const Measured& m) {
  j->Open('{');
  j->Key("ran");
  j->Bool(m.ran);
  if (!m.note.empty()) {
    j->Key("note");
    j->Str(m.note);
  }
  if (!m.error.empty()) {
    j->Key("error");
    j->Str(m.error);
  }
  if (Timed(m)) {
    j->Key("runs");
    j->Int(m.ms.size());
    j->Key("p50_ms");
    j->Num(Percentile(m.ms, 0.5));
    j->Key("p99_ms");
    j->Num(Percentile(m.ms, 0.99));
    j->Key("min_ms");
    j->Num(*std::min_element(m.ms.begin(), m.ms.end()));
    j->Key("times_ms");
    j->Open('[');
    for (double t : m.ms) j->Num(t);
    j->Close(']');
  }
  if (w != nullptr) {
    j->Key("answer_summary");
    j->Str(AnswerSummary(*w, m));
  }
  if (m.answer.size() <= 64) {
    j->Key("answer");
    j->Open('{');
    for (const auto& [k, v] : m.answer) {
      j->Key(k);
      if (v)
        j->Num(*v);
      else
        j->Null();
    }
    j->Close('}');
  }
  j->Key("check");
  j->Str(!m.checked ? "not checked" : m.mismatch.empty() ? "match" : "MISMATCH");
  if (!m.mismatch.empty()) {
    j->Key("mismatch");
    j->Str(m.mismatch);
  }
  j->Close('}');
}

}  // namespace

// ---- Markdown -----------------------------------------------------------------------------

std::string MarkdownReport(const CompareRun& run) {
  std::string md;
  const Dataset& d = run.data;
  const double raw = static_cast<double>(d.jsonl_bytes);
  md += "# Side-by-side benchmark, " + run.size_label + " of generated JSON lines (" + run.date +
        ")\n\n";
  md += "Produced by `scripts/bench-compare.sh " + run.size_label +
        "` (`build/bench/trove-bench-compare`); every figure and verdict below is computed by "
        "the driver.\n\n";
  if (!run.problems.empty()) {
    md += "## ✗ Problems (" + std::to_string(run.problems.size()) + ")\n\n";
    for (const std::string& p : run.problems) md += "- " + p + "\n";
    md += "\n";
  }
  md += "## Machine and data\n\n";
  md += Fmt("- machine: %s, %u cores, %.1f GiB RAM, Linux %s\n", run.cpu.c_str(), run.cores,
            static_cast<double>(run.mem_bytes) / (1 << 30), run.kernel.c_str());
  md += "- started " + run.started_at + ", build type " + run.build_type +
        Fmt(", whole run %.0f s\n", run.total_s);
  md += "- data: " + Thousands(d.events) + " events, " + Bytes(d.jsonl_bytes) + " of JSON lines (" +
        Bytes(d.text_bytes) + " as plain text for rg), seed " + std::to_string(d.seed) +
        ", Loghub message mix " + (d.loghub ? "on" : "off") +
        (d.reused ? ", files reused" : Fmt(", generated in %.0f s", d.generate_s)) + "\n";
  md += "- " + std::to_string(d.needles.size()) + " needle events (`zqxneedle<k>Kq`, one each), " +
        std::to_string(d.traces.size()) + " sampled trace IDs; work directory `" + run.work_dir +
        "`\n";
  std::string flags;
  for (const std::string& f : run.troved_flags) flags += (flags.empty() ? "" : " ") + f;
  md +=
      Fmt("- Trove: `troved %s`, %d concurrent IngestStream clients (JSON parsed client-side, "
          "~1000-event batches, %s)\n",
          flags.c_str(), run.streams,
          run.backfill ? "backfill order: each client reads its own part of the file"
                       : "live order: the clients take batches in turn from one reader");
  md +=
      Fmt("- queries: 1 unmeasured run, then %zu measured (%zu when the unmeasured run took "
          "over %.0f ms); the needle and trace rows take another needle / trace ID each run\n\n",
          run.runs, run.slow_runs, run.slow_ms);

  // Ingest / load.
  md += "## Ingest / load\n\n";
  md +=
      "| system | time | MB/s (raw JSON) | events/s | on disk | size / raw | peak RSS | notes |\n";
  md += "|---|---:|---:|---:|---:|---:|---:|---|\n";
  {
    const IngestFigures& t = run.trove;
    md +=
        Fmt("| Trove | %.1f s | %.1f | %s | %s | 1/%.1f | %s | acked in %.1f s, flushed "
            "(durable + indexed + columnar) at %.1f s; compact %.1f s; steady RSS %s median, "
            "%s max; %" PRIu64
            " backpressure retries; CPU during ingest: troved %.0f s, "
            "clients %.0f s; load average %.1f before, %.1f after; %" PRIu64 " flushes and %" PRIu64
            " merges by the flush, %" PRIu64 " merges after the compaction |\n",
            t.flushed_s, raw / 1e6 / std::max(1e-9, t.flushed_s),
            Thousands(static_cast<uint64_t>(static_cast<double>(t.accepted) /
                                            std::max(1e-9, t.flushed_s)))
                .c_str(),
            Bytes(t.dir_bytes).c_str(),
            raw / static_cast<double>(std::max<uint64_t>(1, t.dir_bytes)), MiB(t.peak_rss).c_str(),
            t.acked_s, t.flushed_s, t.compact_s, MiB(t.steady_rss_median).c_str(),
            MiB(t.steady_rss_max).c_str(), t.backpressure_retries, t.troved_cpu_s, t.client_cpu_s,
            t.load_before, t.load_after, t.flushes, t.merges, t.merges_after_compact);
  }
  if (run.systems[kSqlite].enabled && run.sqlite.load_s > 0) {
    const SqliteLoadFigures& s = run.sqlite;
    md +=
        Fmt("| SQLite FTS5 | %.1f s | %.1f | %s | %s | 1/%.1f | %s | insert %.1f s, FTS5 "
            "rebuild + optimize %.1f s, trace_id index %.1f s; journal_mode=OFF, "
            "synchronous=OFF, 256 MiB cache; RSS is the driver process |\n",
            s.load_s, raw / 1e6 / s.load_s,
            Thousands(static_cast<uint64_t>(static_cast<double>(s.rows) / s.load_s)).c_str(),
            Bytes(s.db_bytes).c_str(), raw / static_cast<double>(std::max<uint64_t>(1, s.db_bytes)),
            run.sqlite_peak_rss ? MiB(run.sqlite_peak_rss).c_str() : "–", s.insert_s, s.fts_s,
            s.index_s);
  } else {
    md += "| SQLite FTS5 | – | – | – | – | – | – | " + Escape(run.systems[kSqlite].note) + " |\n";
  }
  if (run.systems[kDuckdb].enabled && run.duckdb.load_s > 0) {
    const DuckdbFigures& k = run.duckdb;
    md += Fmt(
        "| DuckDB %s | %.1f s | %.1f | %s | %s | 1/%.1f | – | read_ndjson → table + "
        "CHECKPOINT, no indexes |\n",
        k.version.c_str(), k.load_s, raw / 1e6 / k.load_s,
        Thousands(static_cast<uint64_t>(static_cast<double>(k.rows_loaded) / k.load_s)).c_str(),
        Bytes(k.db_bytes).c_str(), raw / static_cast<double>(std::max<uint64_t>(1, k.db_bytes)));
  } else {
    md += "| DuckDB | – | – | – | – | – | – | " + Escape(run.systems[kDuckdb].note) + " |\n";
  }
  md += "| rg | – | – | – | " + Bytes(d.text_bytes) + " (plain text) | " +
        Fmt("1/%.1f", raw / static_cast<double>(std::max<uint64_t>(1, d.text_bytes))) +
        " | – | no load; searches the text export |\n\n";

  // Query table.
  const bool embedded = run.systems[kTroveEmbedded].enabled;
  md += "## Queries (p50 ms; ✓ = same answer as Trove over gRPC; × = peer time / Trove time)\n\n";
  md += "| workload | Trove query | answer | Trove | " +
        std::string(embedded ? "Trove in-process | " : "") +
        "rg | SQLite FTS5 | DuckDB | rg ÷ Trove | SQLite ÷ Trove" +
        (embedded ? " in-process" : "") + " | DuckDB ÷ Trove" + (embedded ? " in-process" : "") +
        " |\n";
  md += std::string("|---|---|---|---:|") + (embedded ? "---:|" : "") +
        "---:|---:|---:|---:|---:|---:|\n";
  auto cell = [](const Measured* m) -> std::string {
    if (m == nullptr) return " n/a |";
    if (!m->error.empty()) return " error |";
    if (!Timed(*m)) return " n/a |";
    return " " + Ms(P50(*m)) + (m->checked ? (m->mismatch.empty() ? " ✓" : " **✗**") : "") + " |";
  };
  for (const Workload& w : Workloads()) {
    const SystemRun& trove = run.systems[kTrove];
    auto tit = trove.results.find(w.key);
    const Measured empty;
    const Measured& t = tit == trove.results.end() ? empty : tit->second;
    std::string query = w.trove_query;
    if (w.search && w.variant != Variant::kTrace) query += " | stats count()";
    md += "| " + std::string(w.name) + " | `" + Escape(query) + "` | " +
          Escape(AnswerSummary(w, t)) + " | " +
          (Timed(t) ? Ms(P50(t)) + (t.checked && !t.mismatch.empty() ? " ✗" : "")
                    : std::string(t.error.empty() ? "–" : "error")) +
          " |";
    auto result = [&](int s) -> const Measured* {
      auto it = run.systems[s].results.find(w.key);
      return run.systems[s].enabled && it != run.systems[s].results.end() ? &it->second : nullptr;
    };
    if (embedded) md += cell(result(kTroveEmbedded));
    std::string ratios;
    for (int s = kRg; s <= kDuckdb; ++s) {
      const Measured* m = result(s);
      md += cell(m);
      const Measured* ref = result(TroveReferenceFor(run, static_cast<SystemIndex>(s), w));
      if (ref == nullptr) ref = &t;
      ratios += m != nullptr && m->error.empty() && Timed(*m) && Timed(*ref)
                    ? " " + Ratio(P50(*m) / P50(*ref)) + " |"
                    : std::string(" – |");
    }
    md += ratios + "\n";
  }
  md += "\nTrove only, the DESIGN §6 rare-term row: `NEEDLE | limit 100` through Search: p50 " +
        Ms(P50(run.trove_search)) + " ms, p99 " + Ms(Percentile(run.trove_search.ms, 0.99)) +
        " ms, min " +
        (run.trove_search.ms.empty()
             ? std::string("–")
             : Ms(*std::min_element(run.trove_search.ms.begin(), run.trove_search.ms.end()))) +
        " ms (" + AnswerSummary(Workloads()[0], run.trove_search) + "); the server's own time " +
        "for it (explain) p50 " + Ms(run.trove_search_server_p50_ms) + " ms. Every Trove figure " +
        "is a gRPC call timed at the client: a call that does nothing (GetTrace of an unknown " +
        "ID) takes " + Ms(run.trove_empty_call_p50_ms) +
        " ms (p50). SQLite runs in the driver's process and DuckDB times itself inside node, so "
        "neither pays a round trip; rg pays a process start. Trove in-process is the same "
        "store opened in the driver after troved stopped, the same query text through the query "
        "engine, with no round trip: SQLite and DuckDB are divided by it.\n\n";

  // DESIGN §6.
  md +=
      "## DESIGN §6 budgets\n\n| what | must reach | aim | measured | verdict |\n"
      "|---|---|---|---|---|\n";
  for (const DesignRow& r : DesignRows(run)) {
    md += "| " + Escape(r.what) + " | " + r.must + " | " + r.aim + " | " + Escape(r.measured) +
          " | " + r.status + " |\n";
  }

  // Every timing.
  md +=
      "\n## All timings\n\n| workload | system | runs | p50 ms | p99 ms | min ms | answer | "
      "check |\n|---|---|---:|---:|---:|---:|---|---|\n";
  for (const Workload& w : Workloads()) {
    for (int s = 0; s < kNumSystems; ++s) {
      auto it = run.systems[s].results.find(w.key);
      if (!run.systems[s].enabled || it == run.systems[s].results.end()) continue;
      const Measured& m = it->second;
      std::string check =
          s == kTrove ? (m.checked ? (m.mismatch.empty() ? "✓ expected" : "✗") : "(reference)")
                      : (m.checked ? (m.mismatch.empty() ? "✓" : "**✗** ") : "–");
      if (!m.mismatch.empty()) check += " " + m.mismatch;
      if (!m.error.empty()) check = "error: " + m.error;
      if (!Timed(m)) {
        md += "| " + std::string(w.name) + " | " + kSystemNames[s] + " | – | – | – | – | – | " +
              Escape(m.error.empty() ? m.note : check) + " |\n";
        continue;
      }
      md += "| " + std::string(w.name) + " | " + kSystemNames[s] + " | " +
            std::to_string(m.ms.size()) + " | " + Ms(P50(m)) + " | " + Ms(Percentile(m.ms, 0.99)) +
            " | " + Ms(*std::min_element(m.ms.begin(), m.ms.end())) + " | " +
            Escape(AnswerSummary(w, m)) + " | " + Escape(check) + " |\n";
    }
  }

  // How each peer ran.
  md += "\n## How the peers ran\n\n";
  for (int s = kRg; s < kNumSystems; ++s) {
    md += "- **" + std::string(kSystemNames[s]) +
          "**: " + (run.systems[s].enabled ? "" : "not run: ") + run.systems[s].note + "\n";
  }
  md += "\nQuery texts per system are in the JSON report beside this file.\n";
  return md;
}

std::string JsonReport(const CompareRun& run) {
  Json j;
  const Dataset& d = run.data;
  j.Open('{');
  j.Key("date");
  j.Str(run.date);
  j.Key("started_at");
  j.Str(run.started_at);
  j.Key("size_label");
  j.Str(run.size_label);
  j.Key("build_type");
  j.Str(run.build_type);
  j.Key("machine");
  j.Open('{');
  j.Key("cpu");
  j.Str(run.cpu);
  j.Key("cores");
  j.Int(run.cores);
  j.Key("mem_bytes");
  j.Int(run.mem_bytes);
  j.Key("kernel");
  j.Str(run.kernel);
  j.Close('}');
  j.Key("settings");
  j.Open('{');
  j.Key("work_dir");
  j.Str(run.work_dir);
  j.Key("runs");
  j.Int(run.runs);
  j.Key("slow_runs");
  j.Int(run.slow_runs);
  j.Key("slow_ms");
  j.Num(run.slow_ms);
  j.Key("ingest_streams");
  j.Int(static_cast<uint64_t>(run.streams));
  j.Key("ingest_order");
  j.Str(run.backfill ? "backfill" : "live");
  j.Key("troved_flags");
  j.Open('[');
  for (const std::string& f : run.troved_flags) j.Str(f);
  j.Close(']');
  j.Close('}');
  j.Key("data");
  j.Open('{');
  j.Key("events");
  j.Int(d.events);
  j.Key("jsonl_bytes");
  j.Int(d.jsonl_bytes);
  j.Key("text_bytes");
  j.Int(d.text_bytes);
  j.Key("seed");
  j.Int(d.seed);
  j.Key("loghub_mix");
  j.Bool(d.loghub);
  j.Key("reused");
  j.Bool(d.reused);
  j.Key("generate_s");
  j.Num(d.generate_s);
  j.Key("needles");
  j.Open('[');
  for (const std::string& n : d.needles) j.Str(n);
  j.Close(']');
  j.Key("trace_samples");
  j.Int(d.traces.size());
  j.Close('}');

  j.Key("ingest");
  j.Open('{');
  j.Key("trove");
  j.Open('{');
  const IngestFigures& t = run.trove;
  j.Key("acked_s");
  j.Num(t.acked_s);
  j.Key("flushed_s");
  j.Num(t.flushed_s);
  j.Key("mb_per_s");
  j.Num(static_cast<double>(d.jsonl_bytes) / 1e6 / std::max(1e-9, t.flushed_s));
  j.Key("events_per_s");
  j.Num(static_cast<double>(t.accepted) / std::max(1e-9, t.flushed_s));
  j.Key("compact_s");
  j.Num(t.compact_s);
  j.Key("accepted");
  j.Int(t.accepted);
  j.Key("rejected");
  j.Int(t.rejected);
  j.Key("parse_errors");
  j.Int(t.parse_errors);
  j.Key("backpressure_retries");
  j.Int(t.backpressure_retries);
  j.Key("peak_rss_bytes");
  j.Int(t.peak_rss);
  j.Key("steady_rss_median_bytes");
  j.Int(t.steady_rss_median);
  j.Key("steady_rss_max_bytes");
  j.Int(t.steady_rss_max);
  j.Key("rss_samples");
  j.Int(t.rss_samples);
  j.Key("troved_cpu_s");
  j.Num(t.troved_cpu_s);
  j.Key("client_cpu_s");
  j.Num(t.client_cpu_s);
  j.Key("load_average_before");
  j.Num(t.load_before);
  j.Key("load_average_after");
  j.Num(t.load_after);
  j.Key("flushes");
  j.Int(t.flushes);
  j.Key("merges");
  j.Int(t.merges);
  j.Key("flushes_after_compact");
  j.Int(t.flushes_after_compact);
  j.Key("merges_after_compact");
  j.Int(t.merges_after_compact);
  j.Key("peak_rss_after_compact_bytes");
  j.Int(t.peak_rss_after_compact);
  j.Key("dir_bytes");
  j.Int(t.dir_bytes);
  j.Key("segment_bytes");
  j.Int(t.segment_bytes);
  j.Key("db_bytes");
  j.Int(t.db_bytes);
  j.Key("segments");
  j.Int(t.segments);
  j.Key("segment_rows");
  j.Int(t.segment_rows);
  j.Close('}');
  j.Key("sqlite");
  j.Open('{');
  j.Key("ran");
  j.Bool(run.systems[kSqlite].enabled && run.sqlite.load_s > 0);
  j.Key("load_s");
  j.Num(run.sqlite.load_s);
  j.Key("insert_s");
  j.Num(run.sqlite.insert_s);
  j.Key("fts_s");
  j.Num(run.sqlite.fts_s);
  j.Key("index_s");
  j.Num(run.sqlite.index_s);
  j.Key("rows");
  j.Int(run.sqlite.rows);
  j.Key("db_bytes");
  j.Int(run.sqlite.db_bytes);
  j.Key("peak_rss_bytes");
  j.Int(run.sqlite_peak_rss);
  j.Key("settings");
  j.Str(
      "journal_mode=OFF, synchronous=OFF, cache_size=256 MiB, 500k rows per transaction, "
      "FTS5 external content rebuilt after the insert, then optimize");
  j.Close('}');
  j.Key("duckdb");
  j.Open('{');
  j.Key("ran");
  j.Bool(run.systems[kDuckdb].enabled && run.duckdb.load_s > 0);
  j.Key("version");
  j.Str(run.duckdb.version);
  j.Key("load_s");
  j.Num(run.duckdb.load_s);
  j.Key("db_bytes");
  j.Int(run.duckdb.db_bytes);
  j.Key("rows_loaded");
  j.Int(run.duckdb.rows_loaded);
  j.Key("process_wall_s");
  j.Num(run.duckdb.wall_s);
  j.Close('}');
  j.Close('}');

  j.Key("queries");
  j.Open('[');
  for (const Workload& w : Workloads()) {
    j.Open('{');
    j.Key("workload");
    j.Str(w.key);
    j.Key("name");
    j.Str(w.name);
    j.Key("trove_query");
    j.Str(w.trove_query);
    j.Key("texts");
    j.Open('{');
    j.Key("sqlite");
    j.Str(SqlitePeer::Sql(w));
    j.Key("duckdb");
    j.Str(DuckdbSql(w, d, 1));
    j.Close('}');
    j.Key("systems");
    j.Open('{');
    for (int s = 0; s < kNumSystems; ++s) {
      auto it = run.systems[s].results.find(w.key);
      if (!run.systems[s].enabled || it == run.systems[s].results.end()) continue;
      j.Key(kSystemNames[s]);
      JsonMeasured(&j, &w, it->second);
    }
    j.Close('}');
    j.Close('}');
  }
  j.Close(']');
  j.Key("trove_rare_search_limit_100");
  JsonMeasured(&j, &Workloads()[0], run.trove_search);
  j.Key("trove_rare_search_server_p50_ms");
  j.Num(run.trove_search_server_p50_ms);
  j.Key("trove_empty_call_p50_ms");
  j.Num(run.trove_empty_call_p50_ms);

  j.Key("design");
  j.Open('[');
  for (const DesignRow& r : DesignRows(run)) {
    j.Open('{');
    j.Key("what");
    j.Str(r.what);
    j.Key("must");
    j.Str(r.must);
    j.Key("aim");
    j.Str(r.aim);
    j.Key("measured");
    j.Str(r.measured);
    j.Key("verdict");
    std::string verdict = r.status;
    verdict.erase(std::remove(verdict.begin(), verdict.end(), '*'), verdict.end());
    j.Str(verdict);
    j.Close('}');
  }
  j.Close(']');
  j.Key("peers");
  j.Open('{');
  for (int s = kRg; s < kNumSystems; ++s) {
    j.Key(kSystemNames[s]);
    j.Open('{');
    j.Key("ran");
    j.Bool(run.systems[s].enabled);
    j.Key("note");
    j.Str(run.systems[s].note);
    j.Close('}');
  }
  j.Close('}');
  j.Key("problems");
  j.Open('[');
  for (const std::string& p : run.problems) j.Str(p);
  j.Close(']');
  j.Key("total_s");
  j.Num(run.total_s);
  j.Close('}');
  return j.out + "\n";
}

}  // namespace trove::bench::compare
