// Pipes over results: `sort by`, `limit` and `fields` on events (before stats) and on stats
// tables (after), with the ordering rules of query/engine.h.
#pragma once

#include <string>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"

namespace trove::query {

// Applies event pipes in order to events (newest first); *fields receives the last `fields`
// list; *cut is set when a limit dropped events. InvalidArgument for stats/top pipes.
Status ApplyEventPipes(const std::vector<Pipe>& pipes, std::vector<Event>* events,
                       std::vector<std::string>* fields, bool* cut);

// Applies pipes after stats to table; InvalidArgument naming an unknown column.
Status ApplyTablePipes(const std::vector<Pipe>& pipes, Table* table);

}  // namespace trove::query
