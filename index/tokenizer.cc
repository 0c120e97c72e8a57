#include "index/tokenizer.h"

namespace trove::index {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  ForEachToken(text, [&](std::string_view t) { tokens.push_back(AsciiLower(t)); });
  return tokens;
}

namespace {

bool CutsToken(std::string_view text, size_t pos) {
  return pos > 0 && pos < text.size() && IsTokenByte(static_cast<unsigned char>(text[pos - 1])) &&
         IsTokenByte(static_cast<unsigned char>(text[pos]));
}

bool EqualsIgnoreCaseAt(std::string_view text, size_t pos, std::string_view lower_phrase) {
  for (size_t k = 0; k < lower_phrase.size(); ++k) {
    if (AsciiLower(text[pos + k]) != lower_phrase[k]) return false;
  }
  return true;
}

}  // namespace

bool MatchesLowerPhrase(std::string_view text, std::string_view lower, bool end_inside_token) {
  if (lower.empty()) return true;
  if (lower.size() > text.size()) return false;
  const char first = lower[0];
  const char first_upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 32) : first;
  // Cost: one compare per byte until a candidate start, then the phrase compare.
  for (size_t i = 0; i + lower.size() <= text.size(); ++i) {
    if (text[i] != first && text[i] != first_upper) continue;
    if (CutsToken(text, i)) continue;
    if (!end_inside_token && CutsToken(text, i + lower.size())) continue;
    if (EqualsIgnoreCaseAt(text, i, lower)) return true;
  }
  return false;
}

bool MatchesPhrase(std::string_view text, std::string_view phrase) {
  return MatchesLowerPhrase(text, AsciiLower(phrase), false);
}

bool MatchesPhrasePrefix(std::string_view text, std::string_view prefix) {
  return MatchesLowerPhrase(text, AsciiLower(prefix), true);
}

bool MatchesTokenPrefix(std::string_view text, std::string_view prefix) {
  std::string lower = AsciiLower(prefix);
  bool found = false;
  ForEachToken(text, [&](std::string_view t) {
    if (!found && t.size() >= lower.size() && EqualsIgnoreCaseAt(t, 0, lower)) found = true;
  });
  return found;
}

}  // namespace trove::index
