// The brute-force model of query/engine.h's contract, for query_differential_test.cc: what
// QueryEngine::Run and GetTrace must answer, computed independently by scanning a plain
// std::vector<Event>. It is written from the documented contracts alone (query/ast.h for
// predicates, the comment above QueryResult in query/engine.h for pipes, stats and top,
// query/sketch.h for error bounds) and shares no code with the engine beyond the AST and result
// types, the one tokenizer (index/tokenizer.h), the event model (storage/event.h) and the
// sketch's published error bounds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"
#include "storage/event.h"

namespace trove::query::testing {

// ---------------------------------------------------------------------------------------------
// The model of a field (query/ast.h, query/engine.h).

// _msg, service, host, trace_id, span_id, parent_span_id: the string fields of every Event.
bool IsStringBuiltin(std::string_view f);

// The string builtin f of e; nullptr when f is not one.
const std::string* StringBuiltin(const Event& e, std::string_view f);

// The value of e's attribute `key`; nullptr when e has none.
const AttrValue* FindAttr(const Event& e, std::string_view key);

// The text form of a field; nullopt when absent. _time is not a text field.
std::optional<std::string> TextForm(const Event& e, std::string_view field);

// The value a kRange predicate sees: int64/double attributes and level.
std::optional<double> RangeNumber(const Event& e, std::string_view field);

// ---------------------------------------------------------------------------------------------
// The brute-force answer to a whole query.

struct ExpCell {
  enum class Tol { kExact, kSum, kQuantile };
  Cell value;
  Tol tol = Tol::kExact;
  double scale = 0;  // kSum: the sum of |values| the result is relative to
};

struct Expected {
  std::string error;  // the brute force could not evaluate (invalid regex, unknown column)
  bool is_table = false;
  std::vector<Event> events;        // search: every event the pipes produce (no row cap)
  std::vector<std::string> fields;  // from a `fields` pipe
  bool has_limit = false;
  std::vector<std::string> columns;
  std::vector<std::vector<ExpCell>> rows;
  bool column_order_fixed = true;  // false after `fields` on a table (order unspecified)
};

// The answer to q over the events of model inside options' time window. max_result_rows is not
// applied: a search answer holds every event the pipes produce. error is set when the query
// cannot run (invalid regex, unknown column).
Expected Evaluate(const Query& q, const std::vector<Event>& model, const QueryOptions& options);

// ---------------------------------------------------------------------------------------------
// Traces (query_trace_model.cc).

// "" when got is what GetTrace(id) must return over the events of model, else the first
// difference.
std::string DiffTrace(const std::vector<Event>& model, const std::string& id, const Trace& got);

}  // namespace trove::query::testing
