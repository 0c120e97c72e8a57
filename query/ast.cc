#include "query/ast.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "query/time_format.h"

namespace trove::query {

namespace {

// "text" with " and \ escaped, the way the query language reads it back.
void AppendQuoted(std::string_view s, std::string* out) {
  *out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') *out += '\\';
    *out += c;
  }
  *out += '"';
}

// Integers as integers (1000000, not 1e+06); other values in the shortest form that
// round-trips; infinities as -inf / inf.
std::string FormatNumber(double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int prec = 1; prec <= 17; ++prec) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string FormatTimeBound(int64_t ns, bool from) {
  if (from && ns == std::numeric_limits<int64_t>::min()) return "-inf";
  if (!from && ns == std::numeric_limits<int64_t>::max()) return "inf";
  return FormatTimestamp(ns);
}

void AppendPredicate(const Predicate& p, std::string* out) {
  *out += p.field;
  *out += ':';
  switch (p.kind) {
    case Predicate::Kind::kPhrase:
      AppendQuoted(p.text, out);
      return;
    case Predicate::Kind::kPrefix:
      AppendQuoted(p.text, out);
      *out += '*';
      return;
    case Predicate::Kind::kExact:
      *out += '=';
      AppendQuoted(p.text, out);
      return;
    case Predicate::Kind::kRegex:
      *out += '~';
      AppendQuoted(p.text, out);
      return;
    case Predicate::Kind::kExists:
      *out += '*';
      return;
    case Predicate::Kind::kRange:
      // One-sided ranges read back as comparisons; the rest as a bracketed interval.
      if (std::isinf(p.hi) && p.hi > 0 && !std::isinf(p.lo)) {
        *out += p.lo_inclusive ? ">=" : ">";
        *out += FormatNumber(p.lo);
      } else if (std::isinf(p.lo) && p.lo < 0 && !std::isinf(p.hi)) {
        *out += p.hi_inclusive ? "<=" : "<";
        *out += FormatNumber(p.hi);
      } else {
        *out += p.lo_inclusive ? '[' : '(';
        *out += FormatNumber(p.lo);
        *out += ", ";
        *out += FormatNumber(p.hi);
        *out += p.hi_inclusive ? ']' : ')';
      }
      return;
    case Predicate::Kind::kTimeRange:
      // Always half-open, as the predicate is.
      *out += '[';
      *out += FormatTimeBound(p.from_ns, true);
      *out += ", ";
      *out += FormatTimeBound(p.to_ns, false);
      *out += ')';
      return;
  }
}

void Append(const Filter& f, std::string* out) {
  switch (f.op) {
    case Filter::Op::kAll:
      *out += '*';
      return;
    case Filter::Op::kLeaf:
      AppendPredicate(f.leaf, out);
      return;
    case Filter::Op::kAnd:
    case Filter::Op::kOr:
    case Filter::Op::kNot:
      *out += f.op == Filter::Op::kAnd ? "AND(" : f.op == Filter::Op::kOr ? "OR(" : "NOT(";
      for (size_t i = 0; i < f.children.size(); ++i) {
        if (i > 0) *out += ", ";
        Append(f.children[i], out);
      }
      *out += ')';
      return;
  }
}

}  // namespace

std::string ToString(const Filter& filter) {
  std::string out;
  Append(filter, &out);
  return out;
}

}  // namespace trove::query
