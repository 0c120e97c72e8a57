// The parsed form of a query (DESIGN.md §2–§3): a filter tree, then pipes.
//
// Exact meaning of every predicate, shared by the executor and documented for test writers.
// The *text form* of a field of an event is:
//   _msg, service, host          the string (an empty string means the field is absent)
//   trace_id, span_id, parent_span_id   the ID string (empty = absent)
//   level                        LevelName(level): "TRACE" … "FATAL", "UNKNOWN"; always present
//   _time                        not a text field (only kTimeRange applies to it)
//   any other name               the attribute of that key: ValueToString(value); absent if
//                                the event has no attribute with that key
// Predicates on an absent field are false (so NOT makes them true).
// The parser normalises level words: `level:warning` and `level:="warn"` become the phrase /
// exact value "WARN" (any word ParseLevel recognises, plus "unknown"), so level filters accept
// the aliases users type.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace trove::query {

struct Predicate {
  enum class Kind {
    // index::MatchesPhrase(text form, text): substring on token boundaries, ASCII
    // case-insensitive. Bare words and quoted phrases; field "_msg" when none is given.
    kPhrase,
    // Some token of the text form starts with `text`, case-insensitively (`foo*`). When `text`
    // holds separators (`blk_-87*`), the text form must contain a substring that starts on a
    // token boundary, equals `text` case-insensitively, and may end inside a token.
    kPrefix,
    // The text form equals `text` exactly, case-sensitively (`field:="value"`).
    kExact,
    // RE2 regular expression `text`, unanchored, against the text form (`~"re"`).
    kRegex,
    // Numeric range over int64 and double attribute values (strings and bools never match),
    // and over level, whose value is its enum number 0..6 (`level:>=WARN` is parsed to 4..inf).
    // Bounds as doubles; ±infinity when open.
    kRange,
    // The field is present (`field:*`).
    kExists,
    // from_ns <= _time < to_ns (`_time:5m`, `_time:[A, B)`, `_time:>=A`).
    kTimeRange,
  };
  Kind kind = Kind::kPhrase;
  std::string field = "_msg";
  std::string text;
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_inclusive = true, hi_inclusive = true;
  int64_t from_ns = std::numeric_limits<int64_t>::min();
  int64_t to_ns = std::numeric_limits<int64_t>::max();
};

struct Filter {
  enum class Op {
    kAll,   // `*`: every event
    kLeaf,  // `leaf`
    kAnd,   // every child (two or more)
    kOr,    // any child (two or more)
    kNot,   // not children[0]
  };
  Op op = Op::kAll;
  Predicate leaf;
  std::vector<Filter> children;
};

struct SortKey {
  std::string field;  // an event field, or a stats output column after `stats`
  bool desc = false;
};

struct Aggregate {
  enum class Fn { kCount, kCountUniq, kSum, kAvg, kMin, kMax, kMedian, kQuantile };
  Fn fn = Fn::kCount;
  std::string field;  // empty for count()
  double q = 0.5;     // kQuantile (0..1); kMedian sets 0.5
  std::string name;   // output column: the alias, else the call as written canonically,
                      // e.g. "count()", "quantile(0.99, latency_ms)"
};

struct GroupKey {
  std::string field;
  int64_t bucket_ns = 0;  // `_time:1m` → 60e9; 0 for plain fields
  std::string name;       // output column: the field name
};

struct Pipe {
  enum class Kind {
    kFields,  // fields a, b
    kLimit,   // limit N (also `head N`)
    kSortBy,  // sort by (a, b desc)
    kStats,   // stats [by (k, …)] agg [as] name, …
    kTop,     // top N by (f): stats by (f) count() | sort by (count desc, f) | limit N
  };
  Kind kind = Kind::kLimit;
  std::vector<std::string> fields;
  uint64_t limit = 0;
  std::vector<SortKey> sort;
  std::vector<GroupKey> by;
  std::vector<Aggregate> aggregates;
};

struct Query {
  Filter filter;
  std::vector<Pipe> pipes;
};

// A readable one-line rendering of a filter, e.g. for explain output and test failures.
std::string ToString(const Filter& filter);

}  // namespace trove::query
