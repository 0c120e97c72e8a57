// Random input for the query differential test (query_differential_test.cc): an event set that
// exercises every field type, trace shape and tokenizer edge, and random query TEXT generated
// side by side with the Query it is meant to parse to. Everything is drawn from one Rng, so a
// seed replays a run exactly.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"
#include "storage/event.h"

namespace trove::query::testing {

inline constexpr int64_t kSecond = 1'000'000'000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kStart = int64_t{1'767'225'600} * kSecond;  // 2026-01-01T00:00:00Z
inline constexpr int64_t kDataSpan = 6 * kHour;                      // six one-hour partitions
inline constexpr int64_t kNow = kStart + kDataSpan;  // "now" for relative times in queries

// Every random choice of a run, from its one seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(gen_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int64_t>(v.size()) - 1))];
  }
  uint64_t Bits() { return gen_(); }

 private:
  std::mt19937_64 gen_;
};

// ---------------------------------------------------------------------------------------------
// Events (query_gen.cc).

struct TraceSpec {
  std::string id;
  std::vector<std::string> spans, parents;
};

// 40 traces with distinct IDs (binary-stored hex, "req-N", free-form), each with 0-6 spans.
std::vector<TraceSpec> MakeTraces(Rng& rng);

// A random event, often in one of traces; its _time is left for the caller to set.
Event MakeEvent(Rng& rng, const std::vector<TraceSpec>& traces);

// ---------------------------------------------------------------------------------------------
// Query generation: text and the Query it is meant to parse to, side by side.

struct Vocab {
  std::map<std::string, std::vector<std::string>> values;  // field → distinct text forms
  std::map<std::string, std::vector<double>> numbers;      // field → distinct range numbers
  std::vector<std::string> messages;                       // distinct, non-empty
  std::vector<std::string> words;                          // bare-safe tokens, original case
  std::vector<int64_t> times;                              // ascending
};

// What the queries draw their values from: the fields, messages, words and times of model.
Vocab MakeVocab(const std::vector<Event>& model);

struct GenQuery {
  std::string text;
  Query intended;
  QueryOptions options;
  uint64_t small_max_rows = 0;  // also run with this max_result_rows (0: not)
};

// Filters in query_gen_filter.cc, pipes in query_gen_pipes.cc, Next in query_gen.cc.
class QueryGenerator {
 public:
  QueryGenerator(Rng* rng, const Vocab* vocab) : rng_(*rng), vocab_(*vocab) {}

  GenQuery Next();

 private:
  struct Part {
    std::string text;
    Filter filter;
    int prec;  // 3 atom, 2 AND, 1 OR: decides where parentheses are needed
  };

  static Filter Leaf(Predicate p);
  static Predicate Pred(Predicate::Kind kind, std::string field, std::string text);

  std::string RandomCase(std::string s);
  std::string FieldValue(const std::string& field);
  std::string TokenSpan(const std::string& text);
  Part FieldLeaf(const std::string& field, Predicate p, const std::string& value_text);
  Part Word();
  Part Phrase();
  Part FieldPhrase();
  Part Exact();
  Part Prefix();
  Part Regex();
  std::string Number(double d);
  double Bound(const std::string& field);
  Part Range();
  Part LevelCompare();
  Part Exists();
  int64_t TimePoint();
  std::string TimeText(int64_t ns);
  Part Time();
  Part GenLeaf();
  Part Wrap(Part p);
  Part GenFilter(int depth);

  std::string SortKeysText(std::vector<SortKey>* keys, const std::vector<std::string>& pool,
                           int max_keys);
  void AddPipe(GenQuery* q, Pipe p, const std::string& text);
  Pipe LimitPipe(uint64_t n, std::string* text);
  void SearchPipes(GenQuery* q);
  void StatsPipes(GenQuery* q);
  void TablePipes(GenQuery* q, const std::vector<std::string>& sortable,
                  std::vector<std::string> columns);
  void TopPipes(GenQuery* q);

  Rng& rng_;
  const Vocab& vocab_;
};

// ---------------------------------------------------------------------------------------------
// Building blocks shared by the generator's files.

extern const std::vector<std::string> kFragments;   // pieces of messages
extern const std::vector<std::string> kSeparators;  // between the pieces
extern const std::vector<std::string> kTextFields;  // the fields Vocab collects values of

// An operator word of the query language (any case).
bool IsKeyword(std::string s);

// Safe to write without quotes: token bytes only, not an operator word.
bool IsBare(std::string_view s);

}  // namespace trove::query::testing
