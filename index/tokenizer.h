// The one tokenizer of DESIGN.md §2, used by both indexing and querying.
//
// A token is a maximal run of bytes that are ASCII letters, digits, '_' or ≥ 0x80; every
// other byte separates tokens. Index terms are tokens lowercased in ASCII only, so that
// "ERROR:" and "error" meet, while UTF-8 bytes pass through untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trove::index {

namespace internal {
// IsTokenByte as a table: the tokenizer's inner loop runs once per byte of every message.
struct TokenByteTable {
  bool is_token[256];
  constexpr TokenByteTable() : is_token() {
    for (int c = 0; c < 256; ++c) {
      is_token[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c >= 0x80;
    }
  }
};
inline constexpr TokenByteTable kTokenBytes;
}  // namespace internal

inline bool IsTokenByte(unsigned char c) { return internal::kTokenBytes.is_token[c]; }

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
std::string AsciiLower(std::string_view s);

// Calls fn(std::string_view token) for every token of text, in order, as slices of text
// (original case). Cost: one pass over the bytes, no allocation.
template <typename Fn>
void ForEachToken(std::string_view text, Fn&& fn) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && !IsTokenByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < n && IsTokenByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) fn(text.substr(start, i - start));
  }
}

// The lowercased tokens of text, in order, duplicates kept.
std::vector<std::string> Tokenize(std::string_view text);

// True when `phrase` occurs in `text` as a substring that neither starts nor ends inside a
// token, compared case-insensitively (ASCII). This is the exact meaning of a bare word or a
// quoted phrase in a query (DESIGN.md §2). An empty phrase matches everything.
bool MatchesPhrase(std::string_view text, std::string_view phrase);

// The query form of a prefix with separators (`blk_-87*`): `prefix` occurs in text starting on
// a token boundary, compared case-insensitively, and may end inside a token. For a prefix
// without separators this is MatchesTokenPrefix.
bool MatchesPhrasePrefix(std::string_view text, std::string_view prefix);

// MatchesPhrase / MatchesPhrasePrefix (end_inside_token = true) for a phrase already
// lowercased with AsciiLower: no allocation, for verifying many rows against one phrase.
bool MatchesLowerPhrase(std::string_view text, std::string_view lower_phrase,
                        bool end_inside_token);

// True when some token of text starts with prefix (case-insensitive): the meaning of `foo*`.
bool MatchesTokenPrefix(std::string_view text, std::string_view prefix);

}  // namespace trove::index
