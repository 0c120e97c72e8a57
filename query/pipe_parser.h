// The pipes of a query (`| stats by (service) count() errors | sort by (errors desc)`): the
// part after the filter, parsed from pipe tokens (query/lexer.h). Internal to ParseQuery
// (query/parser.h), split from the filter parser to keep one concept per file.
#pragma once

#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/lexer.h"
#include "storage/status.h"

namespace trove::query {

// Parses `| pipe` repeatedly while *tok is a '|' token, reading the following tokens from
// *lexer (which is already in pipe mode after that '|'). `text` is the whole query, for error
// messages. On success *tok is the kEnd token and the pipes are appended to *pipes; on failure,
// InvalidArgument("position P: expected X, found Y").
Status ParsePipes(std::string_view text, Lexer* lexer, Token* tok, std::vector<Pipe>* pipes);

}  // namespace trove::query
