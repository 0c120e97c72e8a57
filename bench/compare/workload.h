// The workloads of the side-by-side benchmark (bench/compare_bench.cc) and what every system
// answers them with, so that answers can be checked against each other.
//
// Every system (Trove, rg, SQLite FTS5, DuckDB) runs the same workloads on the same events;
// each system's file says how it expresses each one (a query, a regex, SQL). An answer is a
// small table: group key → value (a count, a quantile, a distinct count). Search rows count
// matching events (key ""); the rare-term and trace rows run a different needle / trace ID
// each run and key the answer by it, so a run's warm caches do not answer the next run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trove::bench::compare {

enum class WorkloadId {
  kRareTerm,        // a needle token: exactly one event
  kFrequentTerm,    // a word in a few % of messages
  kPhrase,          // "payment declined"
  kFieldTerm,       // service:payment declined
  kBoolean,         // (level:error OR level:warn) -service:api-gateway
  kTraceLookup,     // every event of a trace ID
  kCountByService,  // * | stats by (service) count()
  kCountByMinute,   // * | stats by (_time:1m) count()
  kP99ByRoute,      // * | stats by (http.route) quantile(0.99, latency_ms)
  kDistinctUsers,   // * | stats count_uniq(user.id)
};

// How a peer's answer is compared with Trove's (query/sketch.h states Trove's bounds).
enum class AnswerCheck {
  kExact,     // every key and value equal
  kQuantile,  // Trove within QuantileSketch::kRelativeAccuracy of the exact value at rank
              // floor(q·(n−1)); exact while a group holds ≤ kExactLimit values, which the
              // bound covers
  kDistinct,  // exact while Trove's answer ≤ DistinctCounter::kExactLimit, else within
              // DistinctCounter::kRelativeErrorBound
};

// Which argument a run takes. Runs are numbered: 0 is the unmeasured warm-up, 1..N the
// measured runs, so the measured runs never repeat the warm-up's needle or trace ID.
enum class Variant {
  kNone,
  kNeedle,  // run r searches needle r mod 20
  kTrace,   // run r looks up sampled trace ID (7 r) mod 64
};

struct Workload {
  WorkloadId id;
  const char* key;          // short name for JSON and flags: "rare", "frequent", …
  const char* name;         // the report's row name
  const char* trove_query;  // as Trove runs it (NEEDLE / ID: the run's needle or trace ID)
  AnswerCheck check;
  Variant variant;
  bool search;  // a search row (rg takes part; Trove answers `QUERY | stats count()`)
};

// The suite, in report order.
const std::vector<Workload>& Workloads();

// The texts the search rows use; words chosen so that they occur only in messages (never in
// the time, level, service, host or trace fields of the plain-text export rg reads).
inline constexpr char kFrequentWord[] = "cache";           // "cache hit/miss key=…" debug lines
inline constexpr char kPhrase[] = "payment declined";      // payment errors
inline constexpr char kFieldService[] = "payment";         // service:payment …
inline constexpr char kFieldWord[] = "declined";           // … declined
inline constexpr char kExcludedService[] = "api-gateway";  // the boolean row's -service:

// key → value; nullopt is SQL NULL / a Trove null cell (a group without values).
using Answer = std::map<std::string, std::optional<double>>;

// Null-safe text of a value for messages.
std::string ValueText(const std::optional<double>& v);

// Compares a peer's answer with Trove's. Keys present on one side only count as null there.
// Returns "" when they agree, else a description of the first differences.
std::string CompareAnswers(AnswerCheck check, const Answer& trove, const Answer& peer);

// Timings and the answer of one system on one workload.
struct Measured {
  bool ran = false;
  std::string note;        // why it did not run ("n/a: …"), or how it ran
  std::string error;       // a failure of the system (it ran, but failed)
  std::vector<double> ms;  // measured runs, wall time each
  Answer answer;           // merged over the runs (one key per needle / trace ID)
  std::string mismatch;    // vs Trove; "" when equal or not checked
  bool checked = false;    // the answer was compared with Trove's
};

// p-th percentile (0..1) by nearest rank of sorted values; 0 for no values.
double Percentile(std::vector<double> values, double p);

}  // namespace trove::bench::compare
