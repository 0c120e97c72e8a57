// Query text → Query (query/ast.h). Grammar and examples: query/README.md.
//
// Errors are InvalidArgument with a message of the form
//   "position 14: expected ')' to close '(' at position 3, found 'end of query'"
// where positions are 1-based byte offsets into the query text. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "query/ast.h"
#include "storage/status.h"

namespace trove::query {

// Parses a whole query. `now_ns` anchors relative times (`_time:5m` is [now_ns - 5m, ∞)).
Result<Query> ParseQuery(std::string_view text, int64_t now_ns);

// "250ms", "5m", "1h30m", "2d", "1w", "10s", "500us", "100ns". False on anything else.
bool ParseDuration(std::string_view text, int64_t* ns);

// RFC 3339 ("2026-01-01T00:00:00Z", fractions, ±hh:mm offsets, ' ' for 'T'), or a date
// "2026-01-01" / "2026-01-01T10:00" taken as UTC. False on anything else or out of range.
bool ParseTimestamp(std::string_view text, int64_t* ns);

}  // namespace trove::query
