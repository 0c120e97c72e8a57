// The query lexer: query text → the tokens that query/parser.cc consumes. Internal to the
// query language (the grammar is in query/README.md).
//
// The language is context-sensitive in two places, both settled here so the parser sees plain
// tokens:
//  - a filter term `field:OP value` is one token. Its value is read by rules of its own, so
//    `url:http://x`, `_time:[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)` and
//    `_time:>=2026-01-01 10:00:00` need no quotes even though they hold ':', ',' or a space;
//  - after the first '|' the lexer reads pipe tokens, where ',' '(' ')' separate words
//    (`stats by (service) count()`), instead of filter tokens, where they may sit inside words.
//
// Errors are InvalidArgument("position P: expected X, found Y") with P the 1-based byte offset.
// A Lexer is a cursor over text it does not own; not thread-safe, cheap to create.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace trove::query {

// A value or range bound inside a filter term, as written.
struct TermValue {
  std::string text;     // unescaped when quoted
  bool quoted = false;  // "…" or '…'
  size_t pos = 0;       // 0-based offset of its first byte (the opening quote when quoted)
  size_t end = 0;       // one past its last byte
};

struct Token {
  enum class Kind {
    kEnd,        // no more text; pos is the text length
    kLParen,     // (
    kRParen,     // )
    kPipe,       // |   (switches the lexer to pipe tokens)
    kComma,      // ,   pipe tokens only
    kMinus,      // -   at the start of a filter term: negation
    kWord,       // a bare word: filter word (may end in '*'; AND/OR/NOT are words too) or a
                 // pipe word (name, number, `_time:1m`)
    kQuoted,     // "…" or '…'; text is unescaped
    kRegex,      // ~"…" in a filter; text is the expression
    kFieldTerm,  // field:OP value in a filter
  };
  // kFieldTerm operators: `field:v`, `field:=v`, `field:~"re"`, `field:>v`, `field:>=v`,
  // `field:<v`, `field:<=v`, `field:[lo, hi]` (any of [ ( { then any of ] ) }).
  enum class Op { kPhrase, kExact, kRegex, kGreater, kGreaterEq, kLess, kLessEq, kRange };

  Kind kind = Kind::kEnd;
  size_t pos = 0;    // 0-based offset of the first byte
  size_t end = 0;    // one past the last byte
  std::string text;  // kWord, kQuoted, kRegex

  // kFieldTerm only.
  std::string field;
  Op op = Op::kPhrase;
  size_t op_pos = 0;                              // offset just past the ':'
  TermValue value;                                // the value; the lower bound for kRange
  TermValue hi;                                   // kRange upper bound
  bool lo_inclusive = true, hi_inclusive = true;  // kRange: '[' / ']' versus '(' '{' / ')' '}'
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token, or InvalidArgument on an unterminated quote or a malformed field term.
  // After kEnd, keeps returning kEnd.
  Result<Token> Next();

 private:
  Result<Token> NextFilterToken();
  Result<Token> NextPipeToken();
  Result<Token> FieldTerm(size_t start, size_t colon);
  Status ReadRange(Token* tok, size_t open);
  // A quoted string starting at the quote `pos`; advances *end past the closing quote.
  Status ReadQuoted(size_t pos, std::string* out, size_t* end) const;
  // A value (quoted or bare) at `pos`; `in_range` also stops bare values at , ] } and
  // `time_value` lets a bare `YYYY-MM-DD HH:MM…` keep its space. An empty bare value is an
  // error saying `what` was expected.
  Status ReadValue(size_t pos, bool in_range, bool time_value, std::string_view what,
                   TermValue* out) const;

  std::string_view text_;
  size_t pos_ = 0;
  bool in_pipes_ = false;
};

// Helpers shared by the lexer and the parsers. Positions are 0-based here and printed
// 1-based.
Status SyntaxError(size_t pos, std::string_view expected, std::string_view found);
// How an error names what it found: 'abc' (truncated when long), or 'end of query'.
std::string Quote(std::string_view s);
// The text found at `pos`: the run of bytes up to the next space or bracket, at least one
// byte, quoted; 'end of query' past the end.
std::string FoundAt(std::string_view text, size_t pos);
// The field-name alphabet: [A-Za-z0-9_.@-].
bool IsFieldChar(char c);
// A field name: field-name characters, not starting with '-' (that would be a negation).
bool IsFieldName(std::string_view s);
// A finite decimal number: optional sign, digits with an optional fraction, optional exponent
// ("-1.5e3"). Stricter than from_chars alone, which would also take "inf", "nan" and hex.
bool ParseNumber(std::string_view s, double* out);

}  // namespace trove::query
