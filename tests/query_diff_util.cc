// Rendering and comparison for the query differential test (query_diff_util.h).
#include "tests/query_diff_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "query/sketch.h"

namespace trove::query::testing {

// ---------------------------------------------------------------------------------------------
// Rendering for failure messages.

namespace {

std::string ValueDebug(const AttrValue& v) {
  switch (TypeOf(v)) {
    case ValueType::kString:
      return "s:" + Quoted(std::get<std::string>(v));
    case ValueType::kInt64:
      return "i:" + std::to_string(std::get<int64_t>(v));
    case ValueType::kDouble: {
      char buf[40];
      snprintf(buf, sizeof buf, "d:%.17g", std::get<double>(v));
      return buf;
    }
    case ValueType::kBool:
      return std::get<bool>(v) ? "b:true" : "b:false";
  }
  return "?";
}

std::string CellDebug(const Cell& c) {
  if (std::holds_alternative<std::monostate>(c)) return "null";
  if (auto* s = std::get_if<std::string>(&c)) return Quoted(*s);
  if (auto* i = std::get_if<int64_t>(&c)) return "i:" + std::to_string(*i);
  if (auto* d = std::get_if<double>(&c)) {
    char buf[40];
    snprintf(buf, sizeof buf, "d:%.17g", *d);
    return buf;
  }
  return "t:" + std::to_string(std::get<TimeValue>(c).ns);
}

std::string NumberText(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[40];
  snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string DumpFilter(const Filter& f) {
  auto join = [&](const char* name) {
    std::string s = std::string(name) + "(";
    for (size_t i = 0; i < f.children.size(); ++i) {
      if (i) s += ", ";
      s += DumpFilter(f.children[i]);
    }
    return s + ")";
  };
  switch (f.op) {
    case Filter::Op::kAll:
      return "*";
    case Filter::Op::kAnd:
      return join("AND");
    case Filter::Op::kOr:
      return join("OR");
    case Filter::Op::kNot:
      return join("NOT");
    case Filter::Op::kLeaf:
      break;
  }
  const Predicate& p = f.leaf;
  switch (p.kind) {
    case Predicate::Kind::kPhrase:
      return "phrase(" + p.field + ", " + Quoted(p.text) + ")";
    case Predicate::Kind::kPrefix:
      return "prefix(" + p.field + ", " + Quoted(p.text) + ")";
    case Predicate::Kind::kExact:
      return "exact(" + p.field + ", " + Quoted(p.text) + ")";
    case Predicate::Kind::kRegex:
      return "regex(" + p.field + ", " + Quoted(p.text) + ")";
    case Predicate::Kind::kExists:
      return "exists(" + p.field + ")";
    case Predicate::Kind::kRange:
      return "range(" + p.field + ", " + (p.lo_inclusive ? "[" : "(") + NumberText(p.lo) + ", " +
             NumberText(p.hi) + (p.hi_inclusive ? "]" : ")") + ")";
    case Predicate::Kind::kTimeRange:
      return "time([" + std::to_string(p.from_ns) + ", " + std::to_string(p.to_ns) + "))";
  }
  return "?";
}

std::string DumpPipes(const std::vector<Pipe>& pipes) {
  std::string s;
  for (const Pipe& p : pipes) {
    s += " | ";
    switch (p.kind) {
      case Pipe::Kind::kFields:
        s += "fields";
        break;
      case Pipe::Kind::kLimit:
        s += "limit " + std::to_string(p.limit);
        break;
      case Pipe::Kind::kSortBy:
        s += "sort";
        break;
      case Pipe::Kind::kStats:
        s += "stats";
        break;
      case Pipe::Kind::kTop:
        s += "top " + std::to_string(p.limit);
        break;
    }
    for (const std::string& f : p.fields) s += " " + f;
    for (const SortKey& k : p.sort) s += " " + k.field + (k.desc ? " desc" : " asc");
    if (!p.by.empty()) {
      s += " by(";
      for (const GroupKey& k : p.by) {
        s += k.field + (k.bucket_ns ? ":" + std::to_string(k.bucket_ns) + "ns" : "") + "->" +
             k.name + " ";
      }
      s += ")";
    }
    for (const Aggregate& a : p.aggregates) {
      s += " agg" + std::to_string(static_cast<int>(a.fn)) + "(" + a.field +
           ", q=" + NumberText(a.q) + ")->" + Quoted(a.name);
    }
  }
  return s;
}

}  // namespace

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Describe(const Event& e) {
  std::string s = "{_time=" + std::to_string(e.time_ns);
  if (!e.service.empty()) s += " service=" + Quoted(e.service);
  s += " level=" + std::string(LevelName(e.level));
  if (!e.host.empty()) s += " host=" + Quoted(e.host);
  s += " _msg=" + Quoted(e.message);
  if (!e.trace_id.empty()) s += " trace_id=" + Quoted(e.trace_id);
  if (!e.span_id.empty()) s += " span_id=" + Quoted(e.span_id);
  if (!e.parent_span_id.empty()) s += " parent_span_id=" + Quoted(e.parent_span_id);
  for (const Attribute& a : e.attributes) s += " " + a.key + "=" + ValueDebug(a.value);
  return s + "}";
}

std::string DumpQuery(const Query& q) { return DumpFilter(q.filter) + DumpPipes(q.pipes); }

// ---------------------------------------------------------------------------------------------
// Comparison: "" when the engine's answer meets the contract, else the first difference.

namespace {

bool CellMatches(const ExpCell& want, const Cell& got) {
  if (want.value.index() != got.index()) return false;
  const double* w = std::get_if<double>(&want.value);
  if (!w) return want.value == got;
  double g = std::get<double>(got);
  switch (want.tol) {
    case ExpCell::Tol::kExact:
      return *w == g;
    case ExpCell::Tol::kSum:
      return std::fabs(*w - g) <= 1e-9 * std::max({want.scale, std::fabs(*w), 1e-300});
    case ExpCell::Tol::kQuantile:
      return std::fabs(*w - g) <= QuantileSketch::kRelativeAccuracy * std::fabs(*w) + 1e-12;
  }
  return false;
}

std::string RowDebug(const std::vector<Cell>& row) {
  std::string s = "(";
  for (size_t i = 0; i < row.size(); ++i) s += (i ? ", " : "") + CellDebug(row[i]);
  return s + ")";
}

std::string ExpRowDebug(const std::vector<ExpCell>& row) {
  std::vector<Cell> cells;
  for (const ExpCell& c : row) cells.push_back(c.value);
  return RowDebug(cells);
}

std::string JoinNames(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

// Compares only what the `fields` projection keeps, and reports fields kept beyond it.
std::string EventDiff(const Event& want, const Event& got, const std::vector<std::string>& fields) {
  if (fields.empty()) {
    if (want == got) return "";
    return "want " + Describe(want) + "\n      got  " + Describe(got);
  }
  std::string why;
  if (want.time_ns != got.time_ns) why += " _time";
  std::set<std::string> kept(fields.begin(), fields.end());
  for (std::string_view f : {"_msg", "service", "host", "trace_id", "span_id", "parent_span_id"}) {
    const std::string& w = *StringBuiltin(want, f);
    const std::string& g = *StringBuiltin(got, f);
    if (kept.count(std::string(f)) ? w != g : !g.empty()) why += " " + std::string(f);
  }
  if (kept.count("level") && want.level != got.level) why += " level";
  for (const std::string& f : fields) {
    if (f == "_time" || f == "level" || IsStringBuiltin(f)) continue;
    const AttrValue* w = FindAttr(want, f);
    const AttrValue* g = FindAttr(got, f);
    if ((w == nullptr) != (g == nullptr) || (w && !(*w == *g))) why += " " + f;
  }
  for (const Attribute& a : got.attributes) {
    if (!kept.count(a.key)) why += " extra:" + a.key;
  }
  if (why.empty()) return "";
  return "fields differ:" + why + "\n      want " + Describe(want) + "\n      got  " +
         Describe(got);
}

}  // namespace

std::string DiffResults(const Expected& want, const QueryResult& got, uint64_t max_rows) {
  std::ostringstream os;
  if (want.is_table != got.is_table) {
    os << "is_table: want " << want.is_table << " got " << got.is_table;
    return os.str();
  }
  if (!want.is_table) {
    size_t n = std::min<size_t>(want.events.size(), max_rows);
    bool want_truncated = want.events.size() > max_rows;
    for (size_t i = 0; i < std::min(n, got.events.size()); ++i) {
      std::string d = EventDiff(want.events[i], got.events[i], want.fields);
      if (!d.empty()) {
        os << "event #" << i << " of " << n << " (got " << got.events.size() << "): " << d;
        return os.str();
      }
    }
    if (got.events.size() != n) {
      os << "want " << n << " events, got " << got.events.size();
      if (got.events.size() > n) os << "; first extra: " << Describe(got.events[n]);
      if (got.events.size() < n)
        os << "; first missing: " << Describe(want.events[got.events.size()]);
      return os.str();
    }
    if (want_truncated && !got.truncated) return "truncated: want true, got false";
    if (!want_truncated && !want.has_limit && got.truncated)
      return "truncated: want false, got true";
    std::set<std::string> allowed(want.fields.begin(), want.fields.end());
    allowed.insert("_time");
    std::set<std::string> listed(got.fields.begin(), got.fields.end());
    bool fields_ok = true;
    for (const std::string& f : want.fields) fields_ok &= listed.count(f) > 0;
    for (const std::string& f : got.fields) fields_ok &= allowed.count(f) > 0;
    if (want.fields.empty()) fields_ok = got.fields.empty();
    if (!fields_ok) {
      return "QueryResult::fields: want " + JoinNames(want.fields) + " got " +
             JoinNames(got.fields);
    }
    return "";
  }
  const Table& t = got.table;
  std::vector<int> map;  // want column → got column
  if (want.column_order_fixed) {
    if (t.columns != want.columns) {
      return "columns: want " + JoinNames(want.columns) + " got " + JoinNames(t.columns);
    }
    for (size_t i = 0; i < want.columns.size(); ++i) map.push_back(static_cast<int>(i));
  } else {
    std::vector<std::string> a = want.columns, b = t.columns;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) return "columns: want " + JoinNames(want.columns) + " got " + JoinNames(t.columns);
    for (const std::string& c : want.columns) {
      map.push_back(
          static_cast<int>(std::find(t.columns.begin(), t.columns.end(), c) - t.columns.begin()));
    }
  }
  for (size_t r = 0; r < std::min(want.rows.size(), t.rows.size()); ++r) {
    const auto& w = want.rows[r];
    const auto& g = t.rows[r];
    if (g.size() != t.columns.size()) {
      os << "row #" << r << " has " << g.size() << " cells for " << t.columns.size() << " columns";
      return os.str();
    }
    for (size_t c = 0; c < w.size(); ++c) {
      if (!CellMatches(w[c], g[map[c]])) {
        os << "row #" << r << " of " << want.rows.size() << ", column " << want.columns[c]
           << ": want " << CellDebug(w[c].value) << " got " << CellDebug(g[map[c]])
           << "\n      want row " << ExpRowDebug(w) << "\n      got row  " << RowDebug(g);
        return os.str();
      }
    }
  }
  if (want.rows.size() != t.rows.size()) {
    os << "want " << want.rows.size() << " rows, got " << t.rows.size();
    if (t.rows.size() > want.rows.size())
      os << "; first extra " << RowDebug(t.rows[want.rows.size()]);
    if (t.rows.size() < want.rows.size()) {
      os << "; first missing " << ExpRowDebug(want.rows[t.rows.size()]);
    }
    return os.str();
  }
  return "";
}

QueryResult AsResult(const Expected& e) {
  QueryResult r;
  r.events = e.events;
  r.fields = e.fields;
  r.is_table = e.is_table;
  r.table.columns = e.columns;
  for (const auto& row : e.rows) {
    std::vector<Cell> cells;
    for (const ExpCell& c : row) cells.push_back(c.value);
    r.table.rows.push_back(std::move(cells));
  }
  return r;
}

}  // namespace trove::query::testing
