#include "index/tokenizer.h"

#include <gtest/gtest.h>

namespace trove::index {
namespace {

TEST(TokenizerTest, TokensAreRunsOfWordBytes) {
  auto check = [](std::string_view text, std::vector<std::string> want) {
    EXPECT_EQ(Tokenize(text), want) << "text: " << text;
  };
  check("", {});
  check("  ,,  ", {});
  check("ERROR: disk full", {"error", "disk", "full"});
  check("blk_-8775602795571523802 served", {"blk_", "8775602795571523802", "served"});
  check("user_id=42&x=y", {"user_id", "42", "x", "y"});
  check("10.0.0.1:8080", {"10", "0", "0", "1", "8080"});
  check("café naïve", {"café", "naïve"});          // bytes ≥ 0x80 are token bytes
  check("ÜBER Über", {"Über", "Über"});             // only ASCII is lowercased
  check("a\tb\nc\0d", {"a", "b", "c"});               // string literal stops at NUL
  check(std::string_view("a\0d", 3), {"a", "d"});
}

TEST(TokenizerTest, PhraseMatchesOnTokenBoundariesIgnoringAsciiCase) {
  auto check = [](std::string_view text, std::string_view phrase, bool want) {
    EXPECT_EQ(MatchesPhrase(text, phrase), want) << "text: " << text << " phrase: " << phrase;
  };
  check("ERROR: disk full", "error", true);
  check("errors happened", "error", false);
  check("an error", "ERROR", true);
  check("xerror", "error", false);
  check("blk_-8775602795571523802 served", "blk_-8775602795571523802", true);
  check("blk_-8775602795571523802 served", "-8775602795571523802", true);
  check("blk_-87756027955715238021 served", "blk_-8775602795571523802", false);
  check("payment declined for user", "payment declined", true);
  check("payment  declined", "payment declined", false);  // separators are compared too
  check("payment-declined", "payment declined", false);
  check("foo bar-baz qux", "bar-baz", true);
  check("foo bar-bazz", "bar-baz", false);
  check("a --877 b", "-877", true);   // a phrase may start on a separator
  check("x877", "877", false);
  check("", "a", false);
  check("anything", "", true);
  check("café au lait", "café", true);
  check("cafés", "café", false);
}

TEST(TokenizerTest, PrefixMatchesTokenStarts) {
  auto check = [](std::string_view text, std::string_view prefix, bool want) {
    EXPECT_EQ(MatchesTokenPrefix(text, prefix), want) << text << " / " << prefix;
  };
  check("Connection refused", "conn", true);
  check("reconnect", "conn", false);
  check("blk_123", "blk", true);
  check("a b c", "d", false);
}

}  // namespace
}  // namespace trove::index
