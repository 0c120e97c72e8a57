// Pipes grammar (query/README.md):
//
//   pipe    := 'fields' column (',' column)*
//            | ('limit' | 'head') N
//            | 'sort' 'by' keys            keys: '(' key (',' key)* ')' ['asc'|'desc'] | key, …
//            | 'stats' ['by' groups] agg (',' agg)* ['by' groups]
//            | 'top' [N] 'by' groups
//   agg     := fn '(' args ')' [['as'] name]
//   groups  := '(' group (',' group)* ')' | group (',' group)*     group: field | _time:DURATION
#include "query/pipe_parser.h"

#include <charconv>
#include <string>
#include <utility>

#include "query/parser.h"

namespace trove::query {

namespace {

constexpr std::string_view kKnownPipes = "a pipe (fields, limit, head, sort, stats, top)";
constexpr std::string_view kKnownFunctions =
    "an aggregate function (count, count_uniq, sum, avg, min, max, median, quantile)";
constexpr std::string_view kGroupKey = "a field name or _time:BUCKET";

// `top by (f)` without N shows ten rows, as Splunk and LogsQL do.
constexpr uint64_t kDefaultTopLimit = 10;

struct FunctionInfo {
  std::string_view name;
  Aggregate::Fn fn;
  bool takes_q;      // quantile(q, f)
  bool takes_field;  // every function but count()
};
constexpr FunctionInfo kFunctions[] = {
    {"count", Aggregate::Fn::kCount, false, false},
    {"count_uniq", Aggregate::Fn::kCountUniq, false, true},
    {"sum", Aggregate::Fn::kSum, false, true},
    {"avg", Aggregate::Fn::kAvg, false, true},
    {"min", Aggregate::Fn::kMin, false, true},
    {"max", Aggregate::Fn::kMax, false, true},
    {"median", Aggregate::Fn::kMedian, false, true},
    {"quantile", Aggregate::Fn::kQuantile, true, true},
};

std::string Pos(size_t pos) { return std::to_string(pos + 1); }

// The default column name of a call: "count()", "quantile(0.99, latency_ms)".
std::string CallName(std::string_view fn, const std::vector<std::string>& args) {
  std::string name(fn);
  name += '(';
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) name += ", ";
    name += args[i];
  }
  name += ')';
  return name;
}

// An output column and where it was written, for the duplicate check.
struct NamedAt {
  std::string name;
  size_t pos;
};

class PipeParser {
 public:
  PipeParser(std::string_view text, Lexer* lexer, Token* tok)
      : text_(text), lexer_(lexer), tok_(tok) {}

  Status ParseAll(std::vector<Pipe>* pipes);

 private:
  Status Advance() {
    TROVE_ASSIGN_OR_RETURN(*tok_, lexer_->Next());
    return Status::OK();
  }
  bool Is(Token::Kind kind) const { return tok_->kind == kind; }
  bool IsWord(std::string_view w) const { return Is(Token::Kind::kWord) && tok_->text == w; }
  std::string Found() const {
    if (Is(Token::Kind::kEnd)) return "'end of query'";
    return Quote(text_.substr(tok_->pos, tok_->end - tok_->pos));
  }
  Status Error(std::string_view expected) const {
    return SyntaxError(tok_->pos, expected, Found());
  }
  // A comma-separated list without parentheses ends the pipe.
  Status EndOfList() const {
    if (Is(Token::Kind::kPipe) || Is(Token::Kind::kEnd)) return Status::OK();
    return Error("',', '|' or end of query");
  }

  Status ParsePipe(Pipe* pipe);
  Status ParseColumnName(std::string* out);
  Status ParseCount(uint64_t* out);
  Status ParseSortKeys(std::vector<SortKey>* keys);
  Status ParseGroupKeys(std::vector<GroupKey>* keys, std::vector<NamedAt>* names);
  Status ParseGroupKey(GroupKey* key);
  Status ParseStats(Pipe* pipe);
  Status ParseTop(Pipe* pipe);
  Status ParseAggregate(Aggregate* agg);
  Status ParseAlias(std::string* name);
  static Status CheckUnique(const std::vector<NamedAt>& names);

  std::string_view text_;
  Lexer* lexer_;
  Token* tok_;
  bool have_stats_ = false;  // a stats or top pipe was seen
};

Status PipeParser::ParseAll(std::vector<Pipe>* pipes) {
  while (Is(Token::Kind::kPipe)) {
    TROVE_RETURN_IF_ERROR(Advance());
    Pipe pipe;
    TROVE_RETURN_IF_ERROR(ParsePipe(&pipe));
    pipes->push_back(std::move(pipe));
    if (!Is(Token::Kind::kPipe) && !Is(Token::Kind::kEnd)) return Error("'|' or end of query");
  }
  return Status::OK();
}

Status PipeParser::ParsePipe(Pipe* pipe) {
  if (!Is(Token::Kind::kWord)) return Error(kKnownPipes);
  const std::string name = tok_->text;
  const size_t name_pos = tok_->pos;
  if (name == "fields") {
    pipe->kind = Pipe::Kind::kFields;
    TROVE_RETURN_IF_ERROR(Advance());
    for (;;) {
      pipe->fields.emplace_back();
      TROVE_RETURN_IF_ERROR(ParseColumnName(&pipe->fields.back()));
      if (!Is(Token::Kind::kComma)) break;
      TROVE_RETURN_IF_ERROR(Advance());
    }
    return EndOfList();
  }
  if (name == "limit" || name == "head") {
    pipe->kind = Pipe::Kind::kLimit;
    TROVE_RETURN_IF_ERROR(Advance());
    return ParseCount(&pipe->limit);
  }
  if (name == "sort") {
    pipe->kind = Pipe::Kind::kSortBy;
    TROVE_RETURN_IF_ERROR(Advance());
    if (!IsWord("by")) return Error("'by' after 'sort'");
    TROVE_RETURN_IF_ERROR(Advance());
    return ParseSortKeys(&pipe->sort);
  }
  if (name == "stats" || name == "top") {
    // A second aggregation would aggregate a table, which the engine does not do.
    if (have_stats_) {
      return SyntaxError(name_pos, "at most one stats or top pipe per query",
                         "a second " + Quote(name));
    }
    have_stats_ = true;
    TROVE_RETURN_IF_ERROR(Advance());
    return name == "stats" ? ParseStats(pipe) : ParseTop(pipe);
  }
  return Error(kKnownPipes);
}

Status PipeParser::ParseColumnName(std::string* out) {
  if (Is(Token::Kind::kQuoted) && !tok_->text.empty()) {
    *out = tok_->text;
    return Advance();
  }
  if (!Is(Token::Kind::kWord) || !IsFieldName(tok_->text)) return Error("a field name");
  *out = tok_->text;
  TROVE_RETURN_IF_ERROR(Advance());
  if (!Is(Token::Kind::kLParen)) return Status::OK();
  // A stats column named after its call, `sort by (count() desc)`: rebuild the name the way
  // stats writes it, so spacing inside the call does not matter.
  const size_t open = tok_->pos;
  TROVE_RETURN_IF_ERROR(Advance());
  std::vector<std::string> args;
  while (!Is(Token::Kind::kRParen)) {
    if (!args.empty()) {
      if (!Is(Token::Kind::kComma)) {
        return Error("',' or ')' to close '(' at position " + Pos(open));
      }
      TROVE_RETURN_IF_ERROR(Advance());
    }
    if (!Is(Token::Kind::kWord) && !Is(Token::Kind::kQuoted)) return Error("an argument");
    args.push_back(tok_->text);
    TROVE_RETURN_IF_ERROR(Advance());
  }
  *out = CallName(*out, args);
  return Advance();
}

Status PipeParser::ParseCount(uint64_t* out) {
  if (Is(Token::Kind::kWord) && !tok_->text.empty() && tok_->text[0] >= '0' &&
      tok_->text[0] <= '9') {
    const std::string& s = tok_->text;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec == std::errc() && ptr == s.data() + s.size()) return Advance();
  }
  return Error("a non-negative integer");
}

Status PipeParser::ParseSortKeys(std::vector<SortKey>* keys) {
  const bool parens = Is(Token::Kind::kLParen);
  const size_t open = tok_->pos;
  if (parens) TROVE_RETURN_IF_ERROR(Advance());
  for (;;) {
    SortKey key;
    TROVE_RETURN_IF_ERROR(ParseColumnName(&key.field));
    if (IsWord("desc") || IsWord("asc")) {
      key.desc = tok_->text == "desc";
      TROVE_RETURN_IF_ERROR(Advance());
    }
    keys->push_back(std::move(key));
    if (!Is(Token::Kind::kComma)) break;
    TROVE_RETURN_IF_ERROR(Advance());
  }
  if (!parens) return EndOfList();
  if (!Is(Token::Kind::kRParen)) return Error("',' or ')' to close '(' at position " + Pos(open));
  TROVE_RETURN_IF_ERROR(Advance());
  // `sort by (a, b) desc` reverses the whole order, as in LogsQL.
  if (IsWord("desc")) {
    for (SortKey& key : *keys) key.desc = !key.desc;
    return Advance();
  }
  if (IsWord("asc")) return Advance();
  return Status::OK();
}

Status PipeParser::ParseGroupKeys(std::vector<GroupKey>* keys, std::vector<NamedAt>* names) {
  const bool parens = Is(Token::Kind::kLParen);
  const size_t open = tok_->pos;
  if (parens) TROVE_RETURN_IF_ERROR(Advance());
  for (;;) {
    const size_t pos = tok_->pos;
    GroupKey key;
    TROVE_RETURN_IF_ERROR(ParseGroupKey(&key));
    names->push_back({key.name, pos});
    keys->push_back(std::move(key));
    if (!Is(Token::Kind::kComma)) break;
    TROVE_RETURN_IF_ERROR(Advance());
  }
  if (!parens) return Status::OK();
  if (!Is(Token::Kind::kRParen)) return Error("',' or ')' to close '(' at position " + Pos(open));
  return Advance();
}

Status PipeParser::ParseGroupKey(GroupKey* key) {
  const bool quoted = Is(Token::Kind::kQuoted);
  if (!quoted && !Is(Token::Kind::kWord)) return Error(kGroupKey);
  const std::string& s = tok_->text;
  const size_t colon = quoted ? std::string::npos : s.find(':');
  if (colon == std::string::npos) {
    if (s == "_time") {
      // Grouping by raw nanosecond times would make one group per event.
      return Status::InvalidArgument("position " + Pos(tok_->pos) +
                                     ": _time needs a bucket, e.g. _time:1m, found " + Found());
    }
    if (s.empty() || (!quoted && !IsFieldName(s))) return Error(kGroupKey);
    key->field = key->name = s;
    return Advance();
  }
  if (s.substr(0, colon) != "_time") return Error(kGroupKey);
  int64_t bucket_ns;
  if (!ParseDuration(std::string_view(s).substr(colon + 1), &bucket_ns) || bucket_ns <= 0) {
    const size_t at = tok_->pos + colon + 1;
    return SyntaxError(at, "a positive bucket duration such as 1m", FoundAt(text_, at));
  }
  key->field = key->name = "_time";
  key->bucket_ns = bucket_ns;
  return Advance();
}

Status PipeParser::ParseStats(Pipe* pipe) {
  pipe->kind = Pipe::Kind::kStats;
  std::vector<NamedAt> names;
  bool have_by = false;
  if (IsWord("by")) {
    have_by = true;
    TROVE_RETURN_IF_ERROR(Advance());
    TROVE_RETURN_IF_ERROR(ParseGroupKeys(&pipe->by, &names));
  }
  for (;;) {
    Aggregate agg;
    size_t name_pos = tok_->pos;
    TROVE_RETURN_IF_ERROR(ParseAggregate(&agg));
    if (IsWord("as")) {
      TROVE_RETURN_IF_ERROR(Advance());
      name_pos = tok_->pos;
      TROVE_RETURN_IF_ERROR(ParseAlias(&agg.name));
    } else if ((Is(Token::Kind::kWord) && tok_->text != "by") || Is(Token::Kind::kQuoted)) {
      name_pos = tok_->pos;
      TROVE_RETURN_IF_ERROR(ParseAlias(&agg.name));
    }
    names.push_back({agg.name, name_pos});
    pipe->aggregates.push_back(std::move(agg));
    if (!Is(Token::Kind::kComma)) break;
    TROVE_RETURN_IF_ERROR(Advance());
  }
  if (!have_by && IsWord("by")) {  // `stats count() by (service)`, as in Splunk
    have_by = true;
    TROVE_RETURN_IF_ERROR(Advance());
    TROVE_RETURN_IF_ERROR(ParseGroupKeys(&pipe->by, &names));
  }
  if (!Is(Token::Kind::kPipe) && !Is(Token::Kind::kEnd)) {
    return Error(have_by ? "',', '|' or end of query" : "',', 'by', '|' or end of query");
  }
  return CheckUnique(names);
}

Status PipeParser::ParseTop(Pipe* pipe) {
  pipe->kind = Pipe::Kind::kTop;
  pipe->limit = kDefaultTopLimit;
  if (Is(Token::Kind::kWord) && tok_->text != "by") TROVE_RETURN_IF_ERROR(ParseCount(&pipe->limit));
  if (!IsWord("by")) return Error("'by' and the fields to rank");
  TROVE_RETURN_IF_ERROR(Advance());
  std::vector<NamedAt> names;
  TROVE_RETURN_IF_ERROR(ParseGroupKeys(&pipe->by, &names));
  return CheckUnique(names);
}

Status PipeParser::ParseAggregate(Aggregate* agg) {
  if (!Is(Token::Kind::kWord)) return Error(kKnownFunctions);
  const FunctionInfo* info = nullptr;
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == tok_->text) info = &f;
  }
  if (info == nullptr) return Error(kKnownFunctions);
  TROVE_RETURN_IF_ERROR(Advance());
  if (!Is(Token::Kind::kLParen)) return Error("'(' after '" + std::string(info->name) + "'");
  const size_t open = tok_->pos;
  TROVE_RETURN_IF_ERROR(Advance());
  agg->fn = info->fn;
  std::vector<std::string> args;  // as written, for the default name
  if (info->takes_q) {
    double q;
    if (!Is(Token::Kind::kWord) || !ParseNumber(tok_->text, &q)) {
      return Error("a number (the quantile, 0 to 1)");
    }
    if (q < 0 || q > 1) return Error("a quantile between 0 and 1");
    agg->q = q;
    args.push_back(tok_->text);
    TROVE_RETURN_IF_ERROR(Advance());
    if (!Is(Token::Kind::kComma)) return Error("',' and the field after the quantile");
    TROVE_RETURN_IF_ERROR(Advance());
  }
  if (info->takes_field) {
    const bool ok = (Is(Token::Kind::kWord) && IsFieldName(tok_->text)) ||
                    (Is(Token::Kind::kQuoted) && !tok_->text.empty());
    if (!ok) return Error("a field name");
    agg->field = tok_->text;
    args.push_back(tok_->text);
    TROVE_RETURN_IF_ERROR(Advance());
  }
  if (!Is(Token::Kind::kRParen)) return Error("')' to close '(' at position " + Pos(open));
  if (agg->fn == Aggregate::Fn::kMedian) agg->q = 0.5;
  agg->name = CallName(info->name, args);
  return Advance();
}

Status PipeParser::ParseAlias(std::string* name) {
  const bool ok = (Is(Token::Kind::kWord) && IsFieldName(tok_->text)) ||
                  (Is(Token::Kind::kQuoted) && !tok_->text.empty());
  if (!ok) return Error("an output name");
  *name = tok_->text;
  return Advance();
}

Status PipeParser::CheckUnique(const std::vector<NamedAt>& names) {
  for (size_t i = 1; i < names.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (names[i].name == names[j].name) {
        return SyntaxError(names[i].pos, "a unique output column name",
                           "a second " + Quote(names[i].name) + " (the first is at position " +
                               Pos(names[j].pos) + ")");
      }
    }
  }
  return Status::OK();
}

}  // namespace

Status ParsePipes(std::string_view text, Lexer* lexer, Token* tok, std::vector<Pipe>* pipes) {
  return PipeParser(text, lexer, tok).ParseAll(pipes);
}

}  // namespace trove::query
