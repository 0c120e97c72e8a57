// The brute-force model of a field, a filter, sort orders, stats/top and the pipes
// (query_model.h).
#include "tests/query_model.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "index/tokenizer.h"
#include "query/sketch.h"
#include "tests/query_diff_util.h"

namespace trove::query::testing {

bool IsStringBuiltin(std::string_view f) {
  return f == "_msg" || f == "service" || f == "host" || f == "trace_id" || f == "span_id" ||
         f == "parent_span_id";
}

const std::string* StringBuiltin(const Event& e, std::string_view f) {
  if (f == "_msg") return &e.message;
  if (f == "service") return &e.service;
  if (f == "host") return &e.host;
  if (f == "trace_id") return &e.trace_id;
  if (f == "span_id") return &e.span_id;
  if (f == "parent_span_id") return &e.parent_span_id;
  return nullptr;
}

const AttrValue* FindAttr(const Event& e, std::string_view key) {
  for (const Attribute& a : e.attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

std::optional<std::string> TextForm(const Event& e, std::string_view field) {
  if (const std::string* s = StringBuiltin(e, field)) {
    if (s->empty()) return std::nullopt;
    return *s;
  }
  if (field == "level") return std::string(LevelName(e.level));
  if (field == "_time") return std::nullopt;
  if (const AttrValue* v = FindAttr(e, field)) return ValueToString(*v);
  return std::nullopt;
}

std::optional<double> RangeNumber(const Event& e, std::string_view field) {
  if (field == "level") return static_cast<double>(static_cast<int>(e.level));
  if (field == "_time" || IsStringBuiltin(field)) return std::nullopt;
  const AttrValue* v = FindAttr(e, field);
  if (!v) return std::nullopt;
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(v)) return *d;
  return std::nullopt;
}

namespace {

// The numeric value stats aggregates see: RangeNumber plus _time (ns).
std::optional<double> StatsNumber(const Event& e, std::string_view field) {
  if (field == "_time") return static_cast<double>(e.time_ns);
  return RangeNumber(e, field);
}

// `foo*`, and with separators `blk_-87*` (query/ast.h kPrefix).
bool ModelPrefix(std::string_view text, std::string_view prefix) {
  bool separators = false;
  for (char c : prefix) separators |= !index::IsTokenByte(static_cast<unsigned char>(c));
  if (!separators) return index::MatchesTokenPrefix(text, prefix);
  if (prefix.size() > text.size()) return false;
  for (size_t i = 0; i + prefix.size() <= text.size(); ++i) {
    if (i > 0 && index::IsTokenByte(static_cast<unsigned char>(text[i - 1])) &&
        index::IsTokenByte(static_cast<unsigned char>(text[i]))) {
      continue;  // would start inside a token
    }
    bool equal = true;
    for (size_t k = 0; k < prefix.size() && equal; ++k) {
      equal = index::AsciiLower(text[i + k]) == index::AsciiLower(prefix[k]);
    }
    if (equal) return true;
  }
  return false;
}

// Brute-force filter evaluation. Regexes are compiled once per evaluator.
class FilterModel {
 public:
  // False (and *error) when the filter cannot run: an invalid regex.
  bool Prepare(const Filter& f, std::string* error) {
    if (f.op == Filter::Op::kLeaf && f.leaf.kind == Predicate::Kind::kRegex) {
      auto& re = regexes_[f.leaf.text];
      if (!re) {
        RE2::Options opts;
        opts.set_log_errors(false);
        re = std::make_unique<RE2>(f.leaf.text, opts);
      }
      if (!re->ok()) {
        *error = "invalid regex " + Quoted(f.leaf.text) + ": " + re->error();
        return false;
      }
    }
    for (const Filter& c : f.children) {
      if (!Prepare(c, error)) return false;
    }
    return true;
  }

  bool Matches(const Filter& f, const Event& e) const {
    switch (f.op) {
      case Filter::Op::kAll:
        return true;
      case Filter::Op::kAnd:
        for (const Filter& c : f.children) {
          if (!Matches(c, e)) return false;
        }
        return true;
      case Filter::Op::kOr:
        for (const Filter& c : f.children) {
          if (Matches(c, e)) return true;
        }
        return false;
      case Filter::Op::kNot:
        return !Matches(f.children.at(0), e);
      case Filter::Op::kLeaf:
        return MatchesLeaf(f.leaf, e);
    }
    return false;
  }

 private:
  bool MatchesLeaf(const Predicate& p, const Event& e) const {
    using K = Predicate::Kind;
    if (p.kind == K::kTimeRange) return p.from_ns <= e.time_ns && e.time_ns < p.to_ns;
    if (p.kind == K::kRange) {
      std::optional<double> v = RangeNumber(e, p.field);
      if (!v) return false;
      bool lo_ok = p.lo_inclusive ? *v >= p.lo : *v > p.lo;
      bool hi_ok = p.hi_inclusive ? *v <= p.hi : *v < p.hi;
      return lo_ok && hi_ok;
    }
    std::optional<std::string> text = TextForm(e, p.field);
    if (!text) return false;
    switch (p.kind) {
      case K::kPhrase:
        return index::MatchesPhrase(*text, p.text);
      case K::kPrefix:
        return ModelPrefix(*text, p.text);
      case K::kExact:
        return *text == p.text;
      case K::kRegex:
        return RE2::PartialMatch(*text, *regexes_.at(p.text));
      case K::kExists:
        return true;
      default:
        return false;
    }
  }

  std::map<std::string, std::unique_ptr<RE2>> regexes_;
};

// ---------------------------------------------------------------------------------------------
// Orders (query/engine.h): events by sort values, stats rows by cells.

struct SortValue {
  int rank = 0;  // 0 absent, 1 number, 2 string
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

SortValue EventSortValue(const Event& e, const std::string& field) {
  SortValue v;
  auto number = [&](int64_t i) {
    v.rank = 1;
    v.is_int = true;
    v.i = i;
  };
  if (field == "_time") {
    number(e.time_ns);
  } else if (field == "level") {
    number(static_cast<int>(e.level));
  } else if (const std::string* s = StringBuiltin(e, field)) {
    if (!s->empty()) {
      v.rank = 2;
      v.s = *s;
    }
  } else if (const AttrValue* a = FindAttr(e, field)) {
    if (auto* i = std::get_if<int64_t>(a)) {
      number(*i);
    } else if (auto* d = std::get_if<double>(a)) {
      v.rank = 1;
      v.d = *d;
    } else {
      v.rank = 2;
      v.s = ValueToString(*a);
    }
  }
  return v;
}

int Sign(bool less, bool greater) { return less ? -1 : (greater ? 1 : 0); }

int CompareSortValues(const SortValue& a, const SortValue& b) {
  if (a.rank != b.rank) return a.rank < b.rank ? -1 : 1;
  if (a.rank == 2) return Sign(a.s < b.s, b.s < a.s);
  if (a.rank == 1) {
    if (a.is_int && b.is_int) return Sign(a.i < b.i, b.i < a.i);
    double x = a.is_int ? static_cast<double>(a.i) : a.d;
    double y = b.is_int ? static_cast<double>(b.i) : b.d;
    return Sign(x < y, y < x);
  }
  return 0;
}

int CompareCells(const Cell& a, const Cell& b) {
  auto rank = [](const Cell& c) {
    if (std::holds_alternative<std::monostate>(c)) return 0;
    if (std::holds_alternative<std::string>(c)) return 2;
    return 1;
  };
  int ra = rank(a), rb = rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 0) return 0;
  if (ra == 2) {
    const auto& x = std::get<std::string>(a);
    const auto& y = std::get<std::string>(b);
    return Sign(x < y, y < x);
  }
  auto as_int = [](const Cell& c) -> std::optional<int64_t> {
    if (auto* i = std::get_if<int64_t>(&c)) return *i;
    if (auto* t = std::get_if<TimeValue>(&c)) return t->ns;
    return std::nullopt;
  };
  auto xi = as_int(a), yi = as_int(b);
  if (xi && yi) return Sign(*xi < *yi, *yi < *xi);
  double x = xi ? static_cast<double>(*xi) : std::get<double>(a);
  double y = yi ? static_cast<double>(*yi) : std::get<double>(b);
  return Sign(x < y, y < x);
}

// ---------------------------------------------------------------------------------------------
// The brute-force answer to a whole query.

Event Project(const Event& e, const std::vector<std::string>& fields) {
  Event p;
  p.time_ns = e.time_ns;
  for (const std::string& f : fields) {
    if (f == "_msg")
      p.message = e.message;
    else if (f == "service")
      p.service = e.service;
    else if (f == "host")
      p.host = e.host;
    else if (f == "trace_id")
      p.trace_id = e.trace_id;
    else if (f == "span_id")
      p.span_id = e.span_id;
    else if (f == "parent_span_id")
      p.parent_span_id = e.parent_span_id;
    else if (f == "level")
      p.level = e.level;
    else if (f != "_time") {
      if (const AttrValue* v = FindAttr(e, f)) p.attributes.push_back({f, *v});
    }
  }
  return p;
}

std::vector<std::vector<ExpCell>> GroupRows(const std::vector<const Event*>& events,
                                            const std::vector<GroupKey>& by,
                                            const std::vector<Aggregate>& aggs, bool top) {
  auto less = [](const std::vector<Cell>& a, const std::vector<Cell>& b) {
    for (size_t i = 0; i < a.size(); ++i) {
      int c = CompareCells(a[i], b[i]);
      if (c) return c < 0;
    }
    return false;
  };
  std::map<std::vector<Cell>, std::vector<const Event*>, decltype(less)> groups(less);
  if (by.empty() && !top) groups[{}];  // exactly one row, even over no events
  for (const Event* e : events) {
    std::vector<Cell> key;
    bool any = false;
    for (const GroupKey& k : by) {
      if (k.bucket_ns > 0) {
        int64_t t = e->time_ns;
        int64_t b = t / k.bucket_ns * k.bucket_ns;
        if (b > t) b -= k.bucket_ns;  // floor for negative times
        key.push_back(TimeValue{b});
        any = true;
      } else if (auto text = TextForm(*e, k.field)) {
        key.push_back(*text);
        any = true;
      } else {
        key.push_back(std::monostate{});
      }
    }
    if (top && !any) continue;  // top counts events that have at least one key field
    groups[key].push_back(e);
  }
  std::vector<std::vector<ExpCell>> rows;
  for (const auto& [key, members] : groups) {
    std::vector<ExpCell> row;
    for (const Cell& c : key) row.push_back({c});
    for (const Aggregate& a : aggs) {
      ExpCell cell;
      std::vector<double> values;
      if (a.fn != Aggregate::Fn::kCount && a.fn != Aggregate::Fn::kCountUniq) {
        for (const Event* e : members) {
          if (auto v = StatsNumber(*e, a.field)) values.push_back(*v);
        }
      }
      double abs_sum = 0;
      for (double v : values) abs_sum += std::fabs(v);
      switch (a.fn) {
        case Aggregate::Fn::kCount:
          cell.value = static_cast<int64_t>(members.size());
          break;
        case Aggregate::Fn::kCountUniq: {
          std::set<std::string> distinct;
          for (const Event* e : members) {
            if (auto t = TextForm(*e, a.field)) distinct.insert(*t);
          }
          cell.value = static_cast<int64_t>(distinct.size());
          break;
        }
        case Aggregate::Fn::kSum:
        case Aggregate::Fn::kAvg: {
          if (values.empty()) break;
          long double sum = 0;
          for (double v : values) sum += v;
          double s = static_cast<double>(sum);
          bool avg = a.fn == Aggregate::Fn::kAvg;
          cell.value = avg ? s / static_cast<double>(values.size()) : s;
          cell.tol = ExpCell::Tol::kSum;
          cell.scale = avg ? abs_sum / static_cast<double>(values.size()) : abs_sum;
          break;
        }
        case Aggregate::Fn::kMin:
          if (!values.empty()) cell.value = *std::min_element(values.begin(), values.end());
          break;
        case Aggregate::Fn::kMax:
          if (!values.empty()) cell.value = *std::max_element(values.begin(), values.end());
          break;
        case Aggregate::Fn::kMedian:
        case Aggregate::Fn::kQuantile: {
          if (values.empty()) break;
          std::sort(values.begin(), values.end());
          double q = a.fn == Aggregate::Fn::kMedian ? 0.5 : a.q;
          auto rank = static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)));
          cell.value = values[std::min(rank, values.size() - 1)];
          if (values.size() > QuantileSketch::kExactLimit) cell.tol = ExpCell::Tol::kQuantile;
          break;
        }
      }
      row.push_back(cell);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Expected Evaluate(const Query& q, const std::vector<Event>& model, const QueryOptions& options) {
  Expected want;
  FilterModel filter;
  if (!filter.Prepare(q.filter, &want.error)) return want;
  for (const Event& e : model) {
    if (e.time_ns >= options.from_ns && e.time_ns < options.to_ns && filter.Matches(q.filter, e)) {
      want.events.push_back(e);
    }
  }
  std::sort(want.events.begin(), want.events.end(),
            [](const Event& a, const Event& b) { return a.time_ns > b.time_ns; });
  for (const Pipe& pipe : q.pipes) {
    if (!want.is_table) {
      switch (pipe.kind) {
        case Pipe::Kind::kLimit:
          want.has_limit = true;
          if (want.events.size() > pipe.limit) want.events.resize(pipe.limit);
          break;
        case Pipe::Kind::kSortBy:
          std::stable_sort(
              want.events.begin(), want.events.end(), [&](const Event& a, const Event& b) {
                for (const SortKey& k : pipe.sort) {
                  int c = CompareSortValues(EventSortValue(a, k.field), EventSortValue(b, k.field));
                  if (k.desc) c = -c;
                  if (c) return c < 0;
                }
                return false;
              });
          break;
        case Pipe::Kind::kFields:
          want.fields = pipe.fields;
          for (Event& e : want.events) e = Project(e, pipe.fields);
          break;
        case Pipe::Kind::kStats:
        case Pipe::Kind::kTop: {
          std::vector<const Event*> in;
          for (const Event& e : want.events) in.push_back(&e);
          bool top = pipe.kind == Pipe::Kind::kTop;
          std::vector<GroupKey> by = pipe.by;
          if (top && by.empty()) {  // a representation the parser may choose for `top`
            for (const std::string& f : pipe.fields) by.push_back({f, 0, f});
          }
          std::vector<Aggregate> aggs = pipe.aggregates;
          if (top) aggs = {Aggregate{Aggregate::Fn::kCount, "", 0.5, "count"}};
          for (const GroupKey& k : by) want.columns.push_back(k.name);
          for (const Aggregate& a : aggs) want.columns.push_back(a.name);
          want.rows = GroupRows(in, by, aggs, top);
          if (top) {
            size_t count_col = by.size();
            std::stable_sort(want.rows.begin(), want.rows.end(), [&](const auto& a, const auto& b) {
              return CompareCells(a[count_col].value, b[count_col].value) > 0;
            });
            if (want.rows.size() > pipe.limit) want.rows.resize(pipe.limit);
          }
          want.is_table = true;
          want.events.clear();
          break;
        }
      }
      continue;
    }
    // Pipes after stats/top work on the table.
    auto column = [&](const std::string& name) -> int {
      for (size_t i = 0; i < want.columns.size(); ++i) {
        if (want.columns[i] == name) return static_cast<int>(i);
      }
      want.error = "unknown column " + name;
      return -1;
    };
    switch (pipe.kind) {
      case Pipe::Kind::kLimit:
        if (want.rows.size() > pipe.limit) want.rows.resize(pipe.limit);
        break;
      case Pipe::Kind::kSortBy: {
        std::vector<std::pair<int, bool>> keys;
        for (const SortKey& k : pipe.sort) keys.push_back({column(k.field), k.desc});
        if (!want.error.empty()) return want;
        std::stable_sort(want.rows.begin(), want.rows.end(), [&](const auto& a, const auto& b) {
          for (auto [col, desc] : keys) {
            int c = CompareCells(a[col].value, b[col].value);
            if (desc) c = -c;
            if (c) return c < 0;
          }
          return false;
        });
        break;
      }
      case Pipe::Kind::kFields: {
        std::vector<int> cols;
        for (const std::string& f : pipe.fields) cols.push_back(column(f));
        if (!want.error.empty()) return want;
        for (auto& row : want.rows) {
          std::vector<ExpCell> kept;
          for (int c : cols) kept.push_back(row[c]);
          row = std::move(kept);
        }
        want.columns = pipe.fields;
        want.column_order_fixed = false;
        break;
      }
      default:
        want.error = "a second stats/top pipe";
        return want;
    }
  }
  return want;
}

}  // namespace trove::query::testing
