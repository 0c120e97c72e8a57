// Rendering and comparison for the query differential test's failure messages: how an event
// and a Query read, and whether the engine's QueryResult meets the brute-force model's Expected
// answer (query_model.h) within the contract's tolerances.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "query/ast.h"
#include "query/engine.h"
#include "storage/event.h"
#include "tests/query_model.h"

namespace trove::query::testing {

// s in double quotes, with '"', '\\' and control bytes escaped.
std::string Quoted(std::string_view s);

// Every field of e, on one line.
std::string Describe(const Event& e);

// The Query's AST, to show a parsed Query next to the intended one.
std::string DumpQuery(const Query& q);

// Comparison: "" when the engine's answer meets the contract, else the first difference.
// max_rows is the QueryOptions::max_result_rows the engine ran with.
std::string DiffResults(const Expected& want, const QueryResult& got, uint64_t max_rows);

// The brute force's own answer as a QueryResult, to compare the parsed query with the intended.
QueryResult AsResult(const Expected& e);

}  // namespace trove::query::testing
