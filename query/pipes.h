// Pipes over results: `sort by`, `limit` and `fields` on events (before stats) and on stats
// tables (after), with the ordering rules of query/engine.h.
#pragma once

#include <string>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"

namespace trove::query {

// A sort key value: absent < numbers < strings (query/engine.h).
struct SortValue {
  int kind = 0;  // 0 absent, 1 number, 2 string
  long double number = 0;  // exact for every int64 on x86-64 (64-bit mantissa)
  std::string text;
};
// <0, 0, >0 in ascending sort order.
int Compare(const SortValue& a, const SortValue& b);

// Applies event pipes in order to events (newest first); *fields receives the last `fields`
// list; *cut is set when a limit dropped events. InvalidArgument for stats/top pipes.
Status ApplyEventPipes(const std::vector<Pipe>& pipes, std::vector<Event>* events,
                       std::vector<std::string>* fields, bool* cut);

// Keeps in *events only the first k in the order `sort by (keys)` gives newest-first events:
// by the keys, then newest first; they end up in that order. Lets a search with
// `sort by … | limit k` collect a bounded top-k instead of every match.
void KeepFirstSorted(const std::vector<SortKey>& keys, uint64_t k, std::vector<Event>* events);

// Applies pipes after stats to table; InvalidArgument naming an unknown column.
Status ApplyTablePipes(const std::vector<Pipe>& pipes, Table* table);

}  // namespace trove::query
