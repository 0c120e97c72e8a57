#include "query/lexer.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace trove::query {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsQuote(char c) { return c == '"' || c == '\''; }

// Where a bare filter word or value ends (DESIGN §3: words may hold - . / , = and more).
bool EndsFilterWord(char c) { return IsSpace(c) || c == '(' || c == ')' || c == '|' || c == '"'; }

// Where a bare pipe word ends: pipes separate names with commas and parentheses.
bool EndsPipeWord(char c) { return IsSpace(c) || std::strchr(",()|\"'", c) != nullptr; }

// "YYYY-MM-DD": a bare time bound that may continue with " HH:MM…".
bool LooksLikeDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

Token Simple(Token::Kind kind, size_t pos, size_t len) {
  Token t;
  t.kind = kind;
  t.pos = pos;
  t.end = pos + len;
  return t;
}

}  // namespace

bool IsFieldChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' ||
         c == '@' || c == '-';
}

bool ParseNumber(std::string_view s, double* out) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < n && IsDigit(s[i])) ++i, ++digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  if (i != n) return false;
  if (s[0] == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*out);
}

bool IsFieldName(std::string_view s) {
  if (s.empty() || s[0] == '-') return false;
  for (char c : s) {
    if (!IsFieldChar(c)) return false;
  }
  return true;
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  if (s.size() <= kMax) {
    out += s;
  } else {
    size_t cut = kMax - 3;
    // Never cut inside a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out += s.substr(0, cut);
    out += "...";
  }
  out += "'";
  return out;
}

std::string FoundAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return "'end of query'";
  size_t end = pos + 1;
  if (!IsSpace(text[pos])) {
    while (end < text.size() && !IsSpace(text[end]) && !std::strchr("()[]{},|\"'", text[end])) {
      ++end;
    }
  }
  return Quote(text.substr(pos, end - pos));
}

Status SyntaxError(size_t pos, std::string_view expected, std::string_view found) {
  std::string msg = "position " + std::to_string(pos + 1) + ": expected ";
  msg += expected;
  msg += ", found ";
  msg += found;
  return Status::InvalidArgument(std::move(msg));
}

Result<Token> Lexer::Next() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  if (pos_ >= text_.size()) return Simple(Token::Kind::kEnd, text_.size(), 0);
  return in_pipes_ ? NextPipeToken() : NextFilterToken();
}

Result<Token> Lexer::NextFilterToken() {
  const size_t start = pos_;
  const size_t n = text_.size();
  const char c = text_[start];
  Token tok;
  switch (c) {
    case '(':
      ++pos_;
      return Simple(Token::Kind::kLParen, start, 1);
    case ')':
      ++pos_;
      return Simple(Token::Kind::kRParen, start, 1);
    case '|':
      ++pos_;
      in_pipes_ = true;
      return Simple(Token::Kind::kPipe, start, 1);
    case '-':
      ++pos_;
      return Simple(Token::Kind::kMinus, start, 1);
    case '"':
    case '\'':
      tok.kind = Token::Kind::kQuoted;
      TROVE_RETURN_IF_ERROR(ReadQuoted(start, &tok.text, &pos_));
      tok.pos = start;
      tok.end = pos_;
      return tok;
    case '~':
      // A regex is always quoted: unquoted, its ( ) | would read as query syntax.
      if (start + 1 >= n || !IsQuote(text_[start + 1])) {
        return SyntaxError(start + 1, "a quoted regular expression after '~'",
                           FoundAt(text_, start + 1));
      }
      tok.kind = Token::Kind::kRegex;
      TROVE_RETURN_IF_ERROR(ReadQuoted(start + 1, &tok.text, &pos_));
      tok.pos = start;
      tok.end = pos_;
      return tok;
    default:
      break;
  }
  size_t name_end = start;
  while (name_end < n && IsFieldChar(text_[name_end])) ++name_end;
  if (name_end > start && name_end < n && text_[name_end] == ':') return FieldTerm(start, name_end);

  size_t end = start;
  while (end < n && !EndsFilterWord(text_[end])) ++end;
  tok.kind = Token::Kind::kWord;
  tok.pos = start;
  tok.end = end;
  tok.text = std::string(text_.substr(start, end - start));
  pos_ = end;
  return tok;
}

Result<Token> Lexer::NextPipeToken() {
  const size_t start = pos_;
  Token tok;
  switch (text_[start]) {
    case ',':
      ++pos_;
      return Simple(Token::Kind::kComma, start, 1);
    case '(':
      ++pos_;
      return Simple(Token::Kind::kLParen, start, 1);
    case ')':
      ++pos_;
      return Simple(Token::Kind::kRParen, start, 1);
    case '|':
      ++pos_;
      return Simple(Token::Kind::kPipe, start, 1);
    case '"':
    case '\'':
      tok.kind = Token::Kind::kQuoted;
      TROVE_RETURN_IF_ERROR(ReadQuoted(start, &tok.text, &pos_));
      tok.pos = start;
      tok.end = pos_;
      return tok;
    default:
      break;
  }
  size_t end = start;
  while (end < text_.size() && !EndsPipeWord(text_[end])) ++end;
  tok.kind = Token::Kind::kWord;
  tok.pos = start;
  tok.end = end;
  tok.text = std::string(text_.substr(start, end - start));
  pos_ = end;
  return tok;
}

Result<Token> Lexer::FieldTerm(size_t start, size_t colon) {
  const size_t n = text_.size();
  Token tok;
  tok.kind = Token::Kind::kFieldTerm;
  tok.pos = start;
  tok.field = std::string(text_.substr(start, colon - start));
  const size_t v = colon + 1;
  tok.op_pos = v;
  const bool is_time = tok.field == "_time";
  const std::string after = "'" + tok.field + ":";

  if (v >= n || IsSpace(text_[v]) || text_[v] == ')' || text_[v] == '|') {
    return SyntaxError(v, "a value after " + after + "'", FoundAt(text_, v));
  }
  switch (text_[v]) {
    case '=':
      tok.op = Token::Op::kExact;
      TROVE_RETURN_IF_ERROR(
          ReadValue(v + 1, false, false, "a value after " + after + "='", &tok.value));
      break;
    case '~':
      tok.op = Token::Op::kRegex;
      if (v + 1 >= n || !IsQuote(text_[v + 1])) {
        return SyntaxError(v + 1, "a quoted regular expression after " + after + "~'",
                           FoundAt(text_, v + 1));
      }
      TROVE_RETURN_IF_ERROR(ReadValue(v + 1, false, false, "", &tok.value));
      break;
    case '>':
    case '<': {
      const bool eq = v + 1 < n && text_[v + 1] == '=';
      if (text_[v] == '>') {
        tok.op = eq ? Token::Op::kGreaterEq : Token::Op::kGreater;
      } else {
        tok.op = eq ? Token::Op::kLessEq : Token::Op::kLess;
      }
      const size_t at = v + 1 + (eq ? 1 : 0);
      const std::string op(text_.substr(v, at - v));
      TROVE_RETURN_IF_ERROR(
          ReadValue(at, false, is_time, "a value after " + after + op + "'", &tok.value));
      break;
    }
    case '[':
    case '(':
    case '{':
      tok.op = Token::Op::kRange;
      TROVE_RETURN_IF_ERROR(ReadRange(&tok, v));
      tok.end = pos_;
      return tok;
    default:
      tok.op = Token::Op::kPhrase;
      TROVE_RETURN_IF_ERROR(ReadValue(v, false, false, "a value", &tok.value));
      break;
  }
  pos_ = tok.end = tok.value.end;
  return tok;
}

Status Lexer::ReadRange(Token* tok, size_t open) {
  const size_t n = text_.size();
  const bool is_time = tok->field == "_time";
  auto skip_spaces = [&](size_t p) {
    while (p < n && IsSpace(text_[p])) ++p;
    return p;
  };
  tok->lo_inclusive = text_[open] == '[';
  size_t p = skip_spaces(open + 1);
  TROVE_RETURN_IF_ERROR(ReadValue(p, true, is_time, "a range bound", &tok->value));
  p = skip_spaces(tok->value.end);
  if (p < n && text_[p] == ',') {
    ++p;
  } else if (p + 2 < n && text_[p] == 'T' && text_[p + 1] == 'O' && IsSpace(text_[p + 2])) {
    p += 2;
  } else {
    return SyntaxError(p, "',' or 'TO' between the range bounds", FoundAt(text_, p));
  }
  p = skip_spaces(p);
  TROVE_RETURN_IF_ERROR(ReadValue(p, true, is_time, "a range bound", &tok->hi));
  p = skip_spaces(tok->hi.end);
  if (p >= n || (text_[p] != ']' && text_[p] != ')' && text_[p] != '}')) {
    return SyntaxError(p, "']' or ')' to close the range at position " + std::to_string(open + 1),
                       FoundAt(text_, p));
  }
  tok->hi_inclusive = text_[p] == ']';
  pos_ = p + 1;
  return Status::OK();
}

Status Lexer::ReadQuoted(size_t pos, std::string* out, size_t* end) const {
  const char quote = text_[pos];
  std::string s;
  size_t i = pos + 1;
  while (i < text_.size()) {
    const char c = text_[i];
    if (c == quote) {
      *out = std::move(s);
      *end = i + 1;
      return Status::OK();
    }
    // Only \<quote> and \\ are escapes, so regexes keep \d, \w, \. as written.
    if (c == '\\' && i + 1 < text_.size() && (text_[i + 1] == quote || text_[i + 1] == '\\')) {
      s += text_[i + 1];
      i += 2;
      continue;
    }
    s += c;
    ++i;
  }
  return SyntaxError(
      text_.size(),
      std::string("a closing ") + quote + " for the quote at position " + std::to_string(pos + 1),
      "'end of query'");
}

Status Lexer::ReadValue(size_t pos, bool in_range, bool time_value, std::string_view what,
                        TermValue* out) const {
  const size_t n = text_.size();
  out->pos = pos;
  if (pos < n && IsQuote(text_[pos])) {
    out->quoted = true;
    return ReadQuoted(pos, &out->text, &out->end);
  }
  size_t end = pos;
  auto scan = [&] {
    while (end < n && !EndsFilterWord(text_[end]) &&
           !(in_range && (text_[end] == ',' || text_[end] == ']' || text_[end] == '}'))) {
      ++end;
    }
  };
  scan();
  // "2026-01-01 10:00:00" is a common way to write a time; keep the space rather than
  // demand quotes.
  if (time_value && LooksLikeDate(text_.substr(pos, end - pos)) && end + 3 < n &&
      text_[end] == ' ' && IsDigit(text_[end + 1]) && IsDigit(text_[end + 2]) &&
      text_[end + 3] == ':') {
    ++end;
    scan();
  }
  if (end == pos) return SyntaxError(pos, what, FoundAt(text_, pos));
  out->text = std::string(text_.substr(pos, end - pos));
  out->end = end;
  return Status::OK();
}

}  // namespace trove::query
