// Recursive-descent parser over the tokens of query/lexer.h. Grammar: query/README.md.
//
//   query   := or ( '|' pipe )*
//   or      := and ( 'OR' and )*
//   and     := unary ( ['AND'] unary )*
//   unary   := 'NOT' unary | '-' unary | primary
//   primary := '(' or ')' | word | "phrase" | ~"regex" | field-term
#include "query/parser.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "query/lexer.h"
#include "query/pipe_parser.h"
#include "storage/event.h"

namespace trove::query {

namespace {

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

// Deep enough for any real query; bounds recursion so `((((…` cannot overflow the stack.
constexpr int kMaxNesting = 256;
// Far more terms than any hand-written or generated query needs; bounds the work one query
// costs (each term is an index lookup per segment and a check per candidate row): 100,000
// `AND`ed words took seconds and ~1 GiB before this limit (tests/hostile_input_test.cc).
constexpr int kMaxTerms = 4096;

constexpr std::string_view kLevels =
    "a level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, UNKNOWN) or a number";
constexpr std::string_view kTimeBound = "a timestamp (RFC 3339), 'now' or 'now-DURATION'";

std::string Pos(size_t pos) { return std::to_string(pos + 1); }

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMaxTime : kMinTime;
  return r;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `level:warning` searches for "WARN", the text form of the level (query/ast.h); words that
// are not levels stay as written (they match nothing, which is the truthful answer).
std::string CanonicalLevel(const std::string& word) {
  if (Lower(word) == "unknown") return "UNKNOWN";
  const Level level = ParseLevel(word);
  return level == Level::kUnknown ? word : std::string(LevelName(level));
}

Filter Leaf(Predicate p) {
  Filter f;
  f.op = Filter::Op::kLeaf;
  f.leaf = std::move(p);
  return f;
}

// AND/OR of `parts`, flattened (AND(a, AND(b, c)) is AND(a, b, c)); `*` is the identity of
// AND and absorbs OR; one part is itself.
Filter Combine(Filter::Op op, std::vector<Filter> parts) {
  std::vector<Filter> flat;
  for (Filter& f : parts) {
    if (f.op == op) {
      for (Filter& c : f.children) flat.push_back(std::move(c));
    } else if (f.op == Filter::Op::kAll) {
      if (op == Filter::Op::kOr) return Filter{};
    } else {
      flat.push_back(std::move(f));
    }
  }
  if (flat.empty()) return Filter{};  // every part was `*`
  if (flat.size() == 1) return std::move(flat[0]);
  Filter f;
  f.op = op;
  f.children = std::move(flat);
  return f;
}

class Parser {
 public:
  Parser(std::string_view text, int64_t now_ns) : text_(text), lexer_(text), now_ns_(now_ns) {}

  Result<Query> Parse();

 private:
  Status Advance() {
    TROVE_ASSIGN_OR_RETURN(tok_, lexer_.Next());
    return Status::OK();
  }
  bool IsWord(std::string_view w) const {
    return tok_.kind == Token::Kind::kWord && tok_.text == w;
  }
  bool StartsTerm() const;
  // How an error names the current token.
  std::string Found() const {
    if (tok_.kind == Token::Kind::kEnd) return "'end of query'";
    return Quote(text_.substr(tok_.pos, tok_.end - tok_.pos));
  }
  std::string RawOf(const TermValue& v) const { return Quote(text_.substr(v.pos, v.end - v.pos)); }

  // Filters.
  Status ParseOr(Filter* out);
  Status ParseAnd(Filter* out);
  Status ParseUnary(Filter* out);
  Status ParsePrimary(Filter* out);
  Status WordFilter(Filter* out);
  Status FieldTermFilter(Filter* out);
  Status TimeTerm(const Token& t, Predicate* p) const;
  Status NumberBound(const TermValue& v, bool level, double* out) const;
  Status TimeBound(const TermValue& v, int64_t* out) const;

  std::string_view text_;
  Lexer lexer_;
  const int64_t now_ns_;
  Token tok_;  // the lookahead
  int depth_ = 0;
  int terms_ = 0;  // leaf terms parsed so far (kMaxTerms)
};

Result<Query> Parser::Parse() {
  Query q;
  TROVE_RETURN_IF_ERROR(Advance());
  if (!StartsTerm()) return SyntaxError(tok_.pos, "a filter", Found());
  TROVE_RETURN_IF_ERROR(ParseOr(&q.filter));
  if (tok_.kind == Token::Kind::kRParen) {
    return SyntaxError(tok_.pos, "'|' or end of query", "')' with no matching '('");
  }
  if (tok_.kind == Token::Kind::kPipe) {
    TROVE_RETURN_IF_ERROR(ParsePipes(text_, &lexer_, &tok_, &q.pipes));
  }
  if (tok_.kind != Token::Kind::kEnd) return SyntaxError(tok_.pos, "'|' or end of query", Found());
  return q;
}

bool Parser::StartsTerm() const {
  switch (tok_.kind) {
    case Token::Kind::kWord:
      return tok_.text != "AND" && tok_.text != "OR";
    case Token::Kind::kLParen:
    case Token::Kind::kMinus:
    case Token::Kind::kQuoted:
    case Token::Kind::kRegex:
    case Token::Kind::kFieldTerm:
      return true;
    default:
      return false;
  }
}

Status Parser::ParseOr(Filter* out) {
  std::vector<Filter> parts(1);
  TROVE_RETURN_IF_ERROR(ParseAnd(&parts[0]));
  while (IsWord("OR")) {
    const size_t or_pos = tok_.pos;
    TROVE_RETURN_IF_ERROR(Advance());
    if (!StartsTerm()) {
      return SyntaxError(tok_.pos, "a term after 'OR' at position " + Pos(or_pos), Found());
    }
    parts.emplace_back();
    TROVE_RETURN_IF_ERROR(ParseAnd(&parts.back()));
  }
  *out = Combine(Filter::Op::kOr, std::move(parts));
  return Status::OK();
}

Status Parser::ParseAnd(Filter* out) {
  std::vector<Filter> parts(1);
  TROVE_RETURN_IF_ERROR(ParseUnary(&parts[0]));
  for (;;) {
    if (IsWord("AND")) {
      const size_t and_pos = tok_.pos;
      TROVE_RETURN_IF_ERROR(Advance());
      if (!StartsTerm()) {
        return SyntaxError(tok_.pos, "a term after 'AND' at position " + Pos(and_pos), Found());
      }
    } else if (!StartsTerm()) {
      break;  // implicit AND continues only while terms follow
    }
    parts.emplace_back();
    TROVE_RETURN_IF_ERROR(ParseUnary(&parts.back()));
  }
  *out = Combine(Filter::Op::kAnd, std::move(parts));
  return Status::OK();
}

Status Parser::ParseUnary(Filter* out) {
  if (++depth_ > kMaxNesting) {
    return SyntaxError(tok_.pos, "at most " + std::to_string(kMaxNesting) + " nested terms",
                       "deeper nesting");
  }
  const size_t pos = tok_.pos;
  Status st;
  if (IsWord("NOT") || tok_.kind == Token::Kind::kMinus) {
    const bool minus = tok_.kind == Token::Kind::kMinus;
    TROVE_RETURN_IF_ERROR(Advance());
    if (minus && (tok_.pos != pos + 1 || !StartsTerm())) {
      // `a - b` is more likely a typo than a negation: `-` must touch its term.
      return SyntaxError(pos + 1, "a term right after '-'",
                         tok_.pos != pos + 1 ? FoundAt(text_, pos + 1) : Found());
    }
    if (!StartsTerm()) {
      return SyntaxError(tok_.pos, "a term after 'NOT' at position " + Pos(pos), Found());
    }
    out->op = Filter::Op::kNot;
    out->children.resize(1);
    st = ParseUnary(&out->children[0]);
  } else {
    st = ParsePrimary(out);
  }
  --depth_;
  return st;
}

Status Parser::ParsePrimary(Filter* out) {
  if (tok_.kind != Token::Kind::kLParen && ++terms_ > kMaxTerms) {
    return SyntaxError(tok_.pos, "at most " + std::to_string(kMaxTerms) + " terms in a query",
                       "more");
  }
  switch (tok_.kind) {
    case Token::Kind::kLParen: {
      const size_t open = tok_.pos;
      TROVE_RETURN_IF_ERROR(Advance());
      if (!StartsTerm()) {
        return SyntaxError(tok_.pos, "a filter after '(' at position " + Pos(open), Found());
      }
      TROVE_RETURN_IF_ERROR(ParseOr(out));
      if (tok_.kind != Token::Kind::kRParen) {
        return SyntaxError(tok_.pos, "')' to close '(' at position " + Pos(open), Found());
      }
      return Advance();
    }
    case Token::Kind::kWord:
      TROVE_RETURN_IF_ERROR(WordFilter(out));
      return Advance();
    case Token::Kind::kQuoted:
    case Token::Kind::kRegex: {
      const bool regex = tok_.kind == Token::Kind::kRegex;
      if (tok_.text.empty()) {
        return SyntaxError(
            tok_.pos, regex ? "a non-empty regular expression" : "a non-empty phrase", Found());
      }
      Predicate p;
      p.kind = regex ? Predicate::Kind::kRegex : Predicate::Kind::kPhrase;
      p.text = tok_.text;
      *out = Leaf(std::move(p));
      return Advance();
    }
    case Token::Kind::kFieldTerm:
      TROVE_RETURN_IF_ERROR(FieldTermFilter(out));
      return Advance();
    default:
      return SyntaxError(tok_.pos, "a term", Found());
  }
}

Status Parser::WordFilter(Filter* out) {
  const std::string& w = tok_.text;
  if (w == "*") {
    *out = Filter{};  // kAll
    return Status::OK();
  }
  Predicate p;
  if (w.size() > 1 && w.back() == '*') {
    p.kind = Predicate::Kind::kPrefix;
    p.text = w.substr(0, w.size() - 1);
  } else {
    p.kind = Predicate::Kind::kPhrase;
    p.text = w;
  }
  *out = Leaf(std::move(p));
  return Status::OK();
}

Status Parser::FieldTermFilter(Filter* out) {
  const Token& t = tok_;
  const TermValue& v = t.value;
  Predicate p;
  p.field = t.field;
  if (t.field == kFieldTime) {
    TROVE_RETURN_IF_ERROR(TimeTerm(t, &p));
    *out = Leaf(std::move(p));
    return Status::OK();
  }
  const bool is_level = t.field == kFieldLevel;
  switch (t.op) {
    case Token::Op::kPhrase:
      if (!v.quoted && v.text == "*") {
        p.kind = Predicate::Kind::kExists;
      } else if (!v.quoted && v.text.size() > 1 && v.text.back() == '*') {
        p.kind = Predicate::Kind::kPrefix;
        p.text = v.text.substr(0, v.text.size() - 1);
      } else {
        if (v.text.empty()) return SyntaxError(v.pos, "a non-empty phrase", RawOf(v));
        p.kind = Predicate::Kind::kPhrase;
        p.text = is_level ? CanonicalLevel(v.text) : v.text;
      }
      break;
    case Token::Op::kExact:
      p.kind = Predicate::Kind::kExact;
      p.text = is_level ? CanonicalLevel(v.text) : v.text;
      break;
    case Token::Op::kRegex:
      if (v.text.empty()) return SyntaxError(v.pos, "a non-empty regular expression", RawOf(v));
      p.kind = Predicate::Kind::kRegex;
      p.text = v.text;
      break;
    case Token::Op::kGreater:
    case Token::Op::kGreaterEq:
    case Token::Op::kLess:
    case Token::Op::kLessEq: {
      double x;
      TROVE_RETURN_IF_ERROR(NumberBound(v, is_level, &x));
      p.kind = Predicate::Kind::kRange;
      if (t.op == Token::Op::kGreater || t.op == Token::Op::kGreaterEq) {
        p.lo = x;
        p.lo_inclusive = t.op == Token::Op::kGreaterEq;
      } else {
        p.hi = x;
        p.hi_inclusive = t.op == Token::Op::kLessEq;
      }
      break;
    }
    case Token::Op::kRange:
      p.kind = Predicate::Kind::kRange;
      // `*` leaves a side open, as in Lucene's [5 TO *].
      if (v.quoted || v.text != "*") {
        TROVE_RETURN_IF_ERROR(NumberBound(v, is_level, &p.lo));
        p.lo_inclusive = t.lo_inclusive;
      }
      if (t.hi.quoted || t.hi.text != "*") {
        TROVE_RETURN_IF_ERROR(NumberBound(t.hi, is_level, &p.hi));
        p.hi_inclusive = t.hi_inclusive;
      }
      break;
  }
  *out = Leaf(std::move(p));
  return Status::OK();
}

Status Parser::TimeTerm(const Token& t, Predicate* p) const {
  const TermValue& v = t.value;
  p->kind = Predicate::Kind::kTimeRange;
  auto misuse = [&] {
    return Status::InvalidArgument("position " + Pos(t.op_pos) +
                                   ": _time takes a duration or a time range, found " +
                                   Quote(text_.substr(t.op_pos, t.end - t.op_pos)));
  };
  int64_t a, b;
  switch (t.op) {
    case Token::Op::kPhrase:
      if (!v.quoted && !v.text.empty() && v.text.back() == '*') return misuse();
      if (!ParseDuration(v.text, &a)) {
        return SyntaxError(v.pos, "a duration (5m, 1h30m) or a time range", RawOf(v));
      }
      p->from_ns = SaturatingAdd(now_ns_, -a);
      return Status::OK();
    case Token::Op::kExact:
    case Token::Op::kRegex:
      return misuse();
    // Every form becomes half-open [from_ns, to_ns): an exclusive start or an inclusive end
    // moves by one nanosecond.
    case Token::Op::kGreater:
    case Token::Op::kGreaterEq:
      TROVE_RETURN_IF_ERROR(TimeBound(v, &a));
      p->from_ns = t.op == Token::Op::kGreaterEq ? a : SaturatingAdd(a, 1);
      return Status::OK();
    case Token::Op::kLess:
    case Token::Op::kLessEq:
      TROVE_RETURN_IF_ERROR(TimeBound(v, &b));
      p->to_ns = t.op == Token::Op::kLess ? b : SaturatingAdd(b, 1);
      return Status::OK();
    case Token::Op::kRange:
      if (v.quoted || v.text != "*") {
        TROVE_RETURN_IF_ERROR(TimeBound(v, &a));
        p->from_ns = t.lo_inclusive ? a : SaturatingAdd(a, 1);
      }
      if (t.hi.quoted || t.hi.text != "*") {
        TROVE_RETURN_IF_ERROR(TimeBound(t.hi, &b));
        p->to_ns = t.hi_inclusive ? SaturatingAdd(b, 1) : b;
      }
      return Status::OK();
  }
  return misuse();
}

Status Parser::NumberBound(const TermValue& v, bool level, double* out) const {
  if (ParseNumber(v.text, out)) return Status::OK();
  if (level) {
    const Level l = ParseLevel(v.text);
    if (l != Level::kUnknown || Lower(v.text) == "unknown") {
      *out = static_cast<double>(l);
      return Status::OK();
    }
    return SyntaxError(v.pos, kLevels, RawOf(v));
  }
  return SyntaxError(v.pos, "a number", RawOf(v));
}

Status Parser::TimeBound(const TermValue& v, int64_t* out) const {
  std::string_view s = v.text;
  if (s == "now") {
    *out = now_ns_;
    return Status::OK();
  }
  int64_t d;
  if (s.size() > 4 && s.substr(0, 3) == "now" && (s[3] == '-' || s[3] == '+') &&
      ParseDuration(s.substr(4), &d)) {
    *out = SaturatingAdd(now_ns_, s[3] == '-' ? -d : d);
    return Status::OK();
  }
  if (ParseTimestamp(s, out)) return Status::OK();
  return SyntaxError(v.pos, kTimeBound, RawOf(v));
}

}  // namespace

Result<Query> ParseQuery(std::string_view text, int64_t now_ns) {
  return Parser(text, now_ns).Parse();
}

}  // namespace trove::query
