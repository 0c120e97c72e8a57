// Sketch tests (STYLE.md habit 8): DistinctCounter against a std::unordered_set and
// QuantileSketch against a sorted array, over random data, random splits and merge orders.
// Randomized tests print their seed; TROVE_SEED=<seed> replays one. Each accuracy test prints
// the largest relative error it observed ("[ error    ]" lines).
#include "query/sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace trove::query {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kAlpha = QuantileSketch::kRelativeAccuracy;

uint64_t TestSeed() {
  uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("TROVE_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << "[ seed     ] TROVE_SEED=" << seed << std::endl;
  return seed;
}

void ReportError(const std::string& what, double error) {
  std::cout << "[ error    ] " << what << ": max relative error " << error << std::endl;
}

// ---- HashBytes

TEST(HashBytesTest, IsPinned) {
  // Estimates merged across builds and machines must agree, so the function is frozen.
  auto check = [](std::string_view input, uint64_t want) {
    EXPECT_EQ(HashBytes(input), want) << "input \"" << input << "\"";
  };
  check("", 0x5957e78069b836eaULL);
  check("a", 0xd9f0aa628dd1ff11ULL);
  check("abc", 0x945cbe15650f5a25ULL);
  check("hello world!", 0x44f6ca24bca8d895ULL);
  check("0123456789abcdefg", 0x2f2acda06407fe20ULL);
  check(std::string(100, 'x'), 0x77952820dcd5ac05ULL);
}

TEST(HashBytesTest, EveryByteAndLengthMatters) {
  // Every single-bit change at every position of lengths 0..130, and zero strings of every
  // length: all must hash apart (a collision among ~70k has probability ~1e-10).
  std::unordered_set<uint64_t> seen;
  size_t inputs = 0;
  for (size_t len = 0; len <= 130; ++len) {
    std::string base(len, '\0');
    for (size_t i = 0; i < len; ++i) base[i] = static_cast<char>('a' + i % 26);
    seen.insert(HashBytes(std::string(len, '\0')));
    seen.insert(HashBytes(base));
    inputs += 2;
    for (size_t pos = 0; pos < len; ++pos) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string s = base;
        s[pos] = static_cast<char>(s[pos] ^ (1 << bit));
        seen.insert(HashBytes(s));
        ++inputs;
      }
    }
  }
  // The inputs are distinct strings except "", which is both the zero string and the base of
  // length 0.
  EXPECT_EQ(seen.size(), inputs - 1);
}

TEST(HashBytesTest, Avalanches) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  constexpr int kSamples = 20000;
  int flips_per_bit[64] = {};
  double total_flips = 0;
  for (int n = 0; n < kSamples; ++n) {
    std::string s(1 + rng() % 100, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    const uint64_t before = HashBytes(s);
    s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
    const uint64_t diff = before ^ HashBytes(s);
    total_flips += std::popcount(diff);
    for (int b = 0; b < 64; ++b) flips_per_bit[b] += (diff >> b) & 1;
  }
  // Ideal: each output bit flips with probability 1/2 (sd 0.0035 at 20000 samples).
  EXPECT_NEAR(total_flips / kSamples, 32.0, 0.5);
  for (int b = 0; b < 64; ++b) {
    EXPECT_NEAR(flips_per_bit[b] / double{kSamples}, 0.5, 0.03) << "output bit " << b;
  }
}

// ---- DistinctCounter

std::string Key(uint64_t salt, uint64_t i) {
  return "user-" + std::to_string(salt) + "/" + std::to_string(i);
}

double RelativeError(uint64_t got, uint64_t want) {
  return std::fabs(static_cast<double>(got) - static_cast<double>(want)) /
         static_cast<double>(want);
}

TEST(DistinctCounterTest, ExactUpToTheLimit) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  DistinctCounter counter;
  std::unordered_set<std::string> truth;
  EXPECT_EQ(counter.Estimate(), 0u);
  // Keys from a universe larger than the limit, so duplicates are frequent near the end.
  while (truth.size() < DistinctCounter::kExactLimit) {
    const std::string key = Key(seed, rng() % 15000);
    counter.AddHash(HashBytes(key));
    truth.insert(key);
    if (rng() % 64 == 0 || truth.size() == DistinctCounter::kExactLimit) {
      ASSERT_TRUE(counter.exact()) << truth.size();
      ASSERT_EQ(counter.Estimate(), truth.size());
    }
  }
  counter.AddHash(HashBytes(*truth.begin()));  // a duplicate at the limit changes nothing
  EXPECT_TRUE(counter.exact());
  EXPECT_EQ(counter.Estimate(), DistinctCounter::kExactLimit);
  counter.AddHash(HashBytes("one more"));
  EXPECT_FALSE(counter.exact());
  EXPECT_LE(RelativeError(counter.Estimate(), DistinctCounter::kExactLimit + 1),
            DistinctCounter::kRelativeErrorBound);
}

TEST(DistinctCounterTest, WeakHashesAreRemixed) {
  // Callers may pass a value's own bits; 0 is a legal hash, not an empty marker.
  DistinctCounter small;
  for (uint64_t h : {0, 0, 1, 2, 1, 0}) small.AddHash(h);
  EXPECT_EQ(small.Estimate(), 3u);
  DistinctCounter big;
  constexpr uint64_t kN = 200000;
  for (uint64_t h = 0; h < kN; ++h) big.AddHash(h);
  EXPECT_FALSE(big.exact());
  const double error = RelativeError(big.Estimate(), kN);
  ReportError("DistinctCounter 0..199999 as hashes", error);
  EXPECT_LE(error, DistinctCounter::kRelativeErrorBound);
}

TEST(DistinctCounterTest, HyperLogLogWithinBound) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  // From just past the exact limit (linear counting) through the range where the raw HLL
  // estimator is biased (2.5-5 x 2^14) to millions.
  for (uint64_t n : {10001, 12000, 15000, 20000, 30000, 50000, 70000, 100000, 1000000, 2000000}) {
    const uint64_t salt = rng();
    DistinctCounter counter;
    for (uint64_t i = 0; i < n; ++i) {
      counter.AddHash(HashBytes(Key(salt, i)));
      if (rng() % 2) counter.AddHash(HashBytes(Key(salt, rng() % (i + 1))));  // a duplicate
    }
    ASSERT_FALSE(counter.exact());
    const double error = RelativeError(counter.Estimate(), n);
    ReportError("DistinctCounter n=" + std::to_string(n), error);
    EXPECT_LE(error, DistinctCounter::kRelativeErrorBound)
        << "n=" << n << " estimate=" << counter.Estimate();
  }
}

TEST(DistinctCounterTest, HyperLogLogIsUnbiased) {
  // Averaged over 16 runs the error of an unbiased estimator shrinks to ~0.2%; a missing bias
  // correction shows up as a systematic offset in the transition region.
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (uint64_t n : {11000, 25000, 45000, 80000}) {
    double sum = 0;
    constexpr int kRuns = 16;
    for (int run = 0; run < kRuns; ++run) {
      DistinctCounter counter;
      for (uint64_t i = 0; i < n; ++i) counter.AddHash(rng());
      sum += (static_cast<double>(counter.Estimate()) - static_cast<double>(n)) / n;
    }
    std::cout << "[ bias     ] DistinctCounter n=" << n << ": mean relative error " << sum / kRuns
              << std::endl;
    EXPECT_LT(std::fabs(sum / kRuns), 0.01) << "n=" << n;
  }
}

TEST(DistinctCounterTest, MergeOfRandomSplits) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  double max_error = 0;
  for (uint64_t n : {0, 1, 500, 9999, 10000, 10001, 15000, 60000, 300000}) {
    const uint64_t salt = rng();
    const size_t parts = 1 + rng() % 40;
    DistinctCounter whole;
    std::vector<DistinctCounter> split(parts);
    for (uint64_t i = 0; i < n; ++i) {
      // Each key goes to a random part, and a third of them to another part as well.
      const uint64_t h = HashBytes(Key(salt, i));
      whole.AddHash(h);
      split[rng() % parts].AddHash(h);
      if (rng() % 3 == 0) split[rng() % parts].AddHash(h);
    }
    std::shuffle(split.begin(), split.end(), rng);
    DistinctCounter merged;
    for (const DistinctCounter& part : split) merged.Merge(part);
    SCOPED_TRACE("n=" + std::to_string(n) + " parts=" + std::to_string(parts));
    EXPECT_EQ(merged.exact(), n <= DistinctCounter::kExactLimit);
    // The state is a function of the union of hashes, so merged and whole agree exactly.
    EXPECT_EQ(merged.Estimate(), whole.Estimate());
    if (n <= DistinctCounter::kExactLimit) {
      EXPECT_EQ(merged.Estimate(), n);
    } else {
      max_error = std::max(max_error, RelativeError(merged.Estimate(), n));
      EXPECT_LE(RelativeError(merged.Estimate(), n), DistinctCounter::kRelativeErrorBound);
    }
  }
  ReportError("DistinctCounter merged splits", max_error);
}

TEST(DistinctCounterTest, MergeOfExactSetsConvertsPastTheLimit) {
  auto range = [](uint64_t lo, uint64_t hi) {
    DistinctCounter c;
    for (uint64_t i = lo; i < hi; ++i) c.AddHash(HashBytes(Key(7, i)));
    return c;
  };
  DistinctCounter a = range(0, 6000);
  a.Merge(range(3000, 9000));  // union 9000: stays exact
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.Estimate(), 9000u);
  a.Merge(range(6000, 10000));  // union 10000: still exact, the limit is inclusive
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.Estimate(), 10000u);
  a.Merge(range(0, 12000));  // union 12000: HyperLogLog
  EXPECT_FALSE(a.exact());
  EXPECT_LE(RelativeError(a.Estimate(), 12000), DistinctCounter::kRelativeErrorBound);
  const uint64_t before = a.Estimate();
  a.Merge(a);  // self-merge and merging an empty counter change nothing
  a.Merge(DistinctCounter());
  EXPECT_EQ(a.Estimate(), before);
  DistinctCounter empty;
  empty.Merge(a);  // an empty counter takes over the other's state
  EXPECT_EQ(empty.Estimate(), before);
  EXPECT_FALSE(empty.exact());
}

TEST(DistinctCounterTest, MergeOrderDoesNotMatter) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 4; ++round) {
    // Parts of mixed sizes over overlapping key ranges: some exact, some HyperLogLog; in round
    // 0 the union stays under the limit.
    const uint64_t span = round == 0 ? 9000 : 200000;
    std::vector<DistinctCounter> parts(12);
    std::unordered_set<uint64_t> truth;
    for (DistinctCounter& part : parts) {
      const uint64_t size = round == 0 ? rng() % 3000 : rng() % 40000;
      const uint64_t start = rng() % span;
      for (uint64_t i = 0; i < size; ++i) {
        const uint64_t h = HashBytes(Key(round, (start + i) % span));
        part.AddHash(h);
        truth.insert(h);
      }
    }
    auto sequential = [&](std::vector<size_t> order) {
      DistinctCounter c;
      for (size_t i : order) c.Merge(parts[i]);
      return c;
    };
    std::vector<size_t> order(parts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    const DistinctCounter forward = sequential(order);
    std::vector<DistinctCounter> results;
    std::reverse(order.begin(), order.end());
    results.push_back(sequential(order));
    for (int k = 0; k < 3; ++k) {
      std::shuffle(order.begin(), order.end(), rng);
      results.push_back(sequential(order));
    }
    // A balanced tree of pairwise merges, as parallel segment tasks would do it.
    std::vector<DistinctCounter> level = parts;
    while (level.size() > 1) {
      std::vector<DistinctCounter> next;
      for (size_t i = 0; i + 1 < level.size(); i += 2) {
        next.push_back(level[i]);
        next.back().Merge(level[i + 1]);
      }
      if (level.size() % 2) next.push_back(level.back());
      level.swap(next);
    }
    results.push_back(level[0]);
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(forward.exact(), truth.size() <= DistinctCounter::kExactLimit);
    if (forward.exact()) {
      EXPECT_EQ(forward.Estimate(), truth.size());
    } else {
      EXPECT_LE(RelativeError(forward.Estimate(), truth.size()),
                DistinctCounter::kRelativeErrorBound);
    }
    for (const DistinctCounter& r : results) {
      EXPECT_EQ(r.exact(), forward.exact());
      EXPECT_EQ(r.Estimate(), forward.Estimate());
    }
  }
}

// ---- QuantileSketch

// The header's guarantee for one answer: ±inf exact; a subnormal may come back as 0 (sketch
// mode); otherwise within kRelativeAccuracy of the true value.
bool WithinGuarantee(double got, double want) {
  if (std::isinf(want) || want == 0) return got == want;
  if (std::fabs(want) < QuantileSketch::kMinIndexableMagnitude && got == 0) return true;
  return std::fabs(got - want) <= kAlpha * std::fabs(want);
}

std::vector<double> StandardQs(std::mt19937_64& rng) {
  std::vector<double> qs = {0, 1, 0.5, 0.25, 0.75, 0.9, 0.99, 0.999, 0.001, 0.01, 0.1};
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 100; ++i) qs.push_back(u(rng));
  return qs;
}

// Checks every q against the sorted values (NaN dropped) and returns the largest relative
// error among finite nonzero answers.
double CheckQuantiles(const QuantileSketch& sketch, std::vector<double> values,
                      const std::vector<double>& qs) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  std::sort(values.begin(), values.end());
  EXPECT_EQ(sketch.count(), values.size());
  double max_error = 0;
  for (double q : qs) {
    const std::optional<double> got = sketch.Quantile(q);
    if (values.empty()) {
      EXPECT_FALSE(got.has_value());
      continue;
    }
    const double want =
        values[static_cast<size_t>(std::floor(q * static_cast<double>(values.size() - 1)))];
    if (!got.has_value()) {
      ADD_FAILURE() << "nullopt for q=" << q;
      continue;
    }
    EXPECT_TRUE(WithinGuarantee(*got, want))
        << "q=" << q << " got " << *got << " want " << want << " (n=" << values.size() << ")";
    if (std::isfinite(want) && std::fabs(want) >= QuantileSketch::kMinIndexableMagnitude) {
      max_error = std::max(max_error, std::fabs(*got - want) / std::fabs(want));
    }
  }
  return max_error;
}

TEST(QuantileSketchTest, EmptyIsNullopt) {
  QuantileSketch s;
  EXPECT_EQ(s.count(), 0u);
  EXPECT_FALSE(s.Quantile(0.5).has_value());
  s.Add(kNaN);
  s.Add(-kNaN);
  EXPECT_EQ(s.count(), 0u);
  EXPECT_FALSE(s.Quantile(0).has_value());
  QuantileSketch t;
  t.Merge(s);
  EXPECT_FALSE(t.Quantile(1).has_value());
  t.Add(3);
  t.Merge(s);
  EXPECT_EQ(t.Quantile(1), 3.0);
}

// Values with duplicates, signed zeros, infinities, subnormals and wide magnitudes.
double RandomValue(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return static_cast<double>(rng() % 10);  // duplicates
    case 1:
      return rng() % 2 ? 0.0 : -0.0;
    case 2:
      return rng() % 2 ? kInf : -kInf;
    case 3:
      return std::ldexp(static_cast<double>(rng() % 1000), -1074);  // subnormal
    case 4:
      return std::ldexp(1.0, static_cast<int>(rng() % 2000) - 1000) * (rng() % 2 ? 1 : -1);
    default:
      return std::normal_distribution<double>(0, 100)(rng);
  }
}

TEST(QuantileSketchTest, ExactModeMatchesSortedArray) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (size_t n : {1, 2, 3, 7, 100, 1000, 1023, 1024}) {
    std::vector<double> values;
    QuantileSketch sketch;
    // Added directly, and split randomly over parts that are then merged.
    std::vector<QuantileSketch> parts(1 + rng() % 8);
    for (size_t i = 0; i < n; ++i) {
      values.push_back(RandomValue(rng));
      sketch.Add(values.back());
      parts[rng() % parts.size()].Add(values.back());
    }
    QuantileSketch merged;
    for (const QuantileSketch& p : parts) merged.Merge(p);
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    std::vector<double> qs = StandardQs(rng);
    for (size_t r = 0; r + 1 < n; ++r) qs.push_back(static_cast<double>(r) / (n - 1));
    for (double q : qs) {
      const double want = sorted[static_cast<size_t>(std::floor(q * static_cast<double>(n - 1)))];
      ASSERT_EQ(sketch.Quantile(q), want) << "n=" << n << " q=" << q;
      ASSERT_EQ(merged.Quantile(q), want) << "merged, n=" << n << " q=" << q;
    }
    EXPECT_EQ(sketch.count(), n);
    EXPECT_EQ(merged.count(), n);
  }
}

struct Scenario {
  std::string name;
  std::function<double(std::mt19937_64&)> next;
};

std::vector<Scenario> Scenarios() {
  using Normal = std::normal_distribution<double>;
  using Uniform = std::uniform_real_distribution<double>;
  auto sign = [](std::mt19937_64& rng) { return rng() % 2 ? 1.0 : -1.0; };
  return {
      {"uniform(0,1000)", [](auto& rng) { return Uniform(0, 1000)(rng); }},
      {"exponential(1)", [](auto& rng) { return std::exponential_distribution<double>(1)(rng); }},
      {"lognormal(0,3)", [](auto& rng) { return std::lognormal_distribution<double>(0, 3)(rng); }},
      {"negative lognormal(3,2)",
       [](auto& rng) { return -std::lognormal_distribution<double>(3, 2)(rng); }},
      {"normal(0,100)", [](auto& rng) { return Normal(0, 100)(rng); }},
      {"30% zeros, mixed-sign lognormal",
       [=](auto& rng) {
         if (rng() % 10 < 3) return rng() % 2 ? 0.0 : -0.0;
         return sign(rng) * std::lognormal_distribution<double>(0, 2)(rng);
       }},
      {"small integers", [](auto& rng) { return static_cast<double>(rng() % 100); }},
      {"tiny: ±1e-300 scale",
       [=](auto& rng) {
         return sign(rng) * 1e-300 * std::lognormal_distribution<double>(0, 1)(rng);
       }},
      {"huge: 1e300 scale and ±DBL_MAX",
       [=](auto& rng) {
         if (rng() % 50 == 0) return sign(rng) * DBL_MAX;
         return sign(rng) * 1e300 * std::lognormal_distribution<double>(0, 2)(rng);
       }},
      {"whole double range with subnormals",
       [=](auto& rng) {
         if (rng() % 20 == 0) {
           return sign(rng) * std::ldexp(static_cast<double>(rng() % 4096), -1074);
         }
         return sign(rng) * std::pow(10.0, Uniform(-307.6, 308.2)(rng));
       }},
  };
}

TEST(QuantileSketchTest, SketchModeWithinRelativeAccuracy) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const Scenario& scenario : Scenarios()) {
    SCOPED_TRACE(scenario.name);
    std::vector<double> values(100000);
    QuantileSketch sketch;
    for (double& v : values) {
      v = scenario.next(rng);
      sketch.Add(v);
    }
    const double error = CheckQuantiles(sketch, values, StandardQs(rng));
    ReportError("QuantileSketch " + scenario.name, error);
    // A sketch is lossy: an error of exactly 0 everywhere would mean the test isn't testing it.
    EXPECT_GT(error, 0);
  }
}

TEST(QuantileSketchTest, MergeOfRandomSplits) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const Scenario& scenario : Scenarios()) {
    SCOPED_TRACE(scenario.name);
    const size_t n = 1500 + rng() % 60000;  // past the exact limit
    const size_t parts = 2 + rng() % 50;
    std::vector<double> values(n);
    QuantileSketch whole;
    std::vector<QuantileSketch> split(parts);
    for (double& v : values) {
      v = scenario.next(rng);
      whole.Add(v);
      // Skewed: low-numbered parts get most values, so some parts stay exact, others don't.
      split[std::min<size_t>(parts - 1, std::geometric_distribution<size_t>(0.2)(rng))].Add(v);
    }
    std::shuffle(split.begin(), split.end(), rng);
    QuantileSketch merged, reversed;
    for (const QuantileSketch& p : split) merged.Merge(p);
    for (size_t i = split.size(); i-- > 0;) reversed.Merge(split[i]);
    const std::vector<double> qs = StandardQs(rng);
    const double error = CheckQuantiles(merged, values, qs);
    ReportError("QuantileSketch merged " + scenario.name + " n=" + std::to_string(n), error);
    // Buckets are a pure function of the values: any split and order gives the same answers.
    for (double q : qs) {
      EXPECT_EQ(merged.Quantile(q), whole.Quantile(q)) << "q=" << q;
      EXPECT_EQ(reversed.Quantile(q), whole.Quantile(q)) << "q=" << q;
    }
  }
}

TEST(QuantileSketchTest, MergeOfExactSketchesConvertsPastTheLimit) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> lognormal(0, 2);
  auto fill = [&](size_t n, std::vector<double>* all) {
    QuantileSketch s;
    for (size_t i = 0; i < n; ++i) {
      all->push_back(lognormal(rng));
      s.Add(all->back());
    }
    return s;
  };
  const std::vector<double> qs = StandardQs(rng);
  std::vector<double> values;
  QuantileSketch a = fill(500, &values);
  a.Merge(fill(524, &values));  // 1024: still exact
  std::sort(values.begin(), values.end());
  for (double q : qs) {
    EXPECT_EQ(a.Quantile(q), values[static_cast<size_t>(std::floor(q * 1023))]) << "q=" << q;
  }
  a.Merge(fill(600, &values));  // 1624: a sketch, within the guarantee
  CheckQuantiles(a, values, qs);
  EXPECT_GT(CheckQuantiles(a, values, qs), 0);  // and lossy, so it did convert
  QuantileSketch doubled = a;
  doubled.Merge(doubled);  // self-merge counts every value twice
  std::vector<double> twice = values;
  twice.insert(twice.end(), values.begin(), values.end());
  CheckQuantiles(doubled, twice, qs);
}

TEST(QuantileSketchTest, InfinitiesAreExactAndNanIsIgnored) {
  QuantileSketch few;
  for (double v : {kNaN, 1.0, kInf, -kInf, kNaN, 2.0}) few.Add(v);
  EXPECT_EQ(few.count(), 4u);
  EXPECT_EQ(few.Quantile(0), -kInf);
  EXPECT_EQ(few.Quantile(0.5), 1.0);  // rank floor(0.5 * 3) = 1 of {-inf, 1, 2, inf}
  EXPECT_EQ(few.Quantile(1), kInf);

  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::vector<double> values;
  QuantileSketch many;
  for (int i = 0; i < 5450; ++i) {
    // ~2% +inf, ~1% -inf, ~5% NaN, the rest finite of both signs.
    const uint64_t kind = rng() % 109;
    double v = std::lognormal_distribution<double>(0, 1)(rng) - 1;
    if (kind < 2) {
      v = kInf;
    } else if (kind < 3) {
      v = -kInf;
    } else if (kind < 9) {
      v = kNaN;
    }
    values.push_back(v);
    many.Add(v);
  }
  std::vector<double> qs = StandardQs(rng);
  // Every rank around the -inf/finite and finite/+inf boundaries.
  const size_t neg = std::count(values.begin(), values.end(), -kInf);
  const size_t pos = std::count(values.begin(), values.end(), kInf);
  const size_t n = many.count();
  EXPECT_EQ(n, values.size() - std::count_if(values.begin(), values.end(),
                                             [](double v) { return std::isnan(v); }));
  ASSERT_GT(neg, 2u);
  ASSERT_GT(pos, 2u);
  for (size_t r :
       {neg - 2, neg - 1, neg, neg + 1, n - pos - 2, n - pos - 1, n - pos, n - pos + 1}) {
    qs.push_back((static_cast<double>(r) + 0.5) / static_cast<double>(n - 1));
  }
  CheckQuantiles(many, values, qs);
  EXPECT_EQ(many.Quantile(0), -kInf);
  EXPECT_EQ(many.Quantile(1), kInf);

  QuantileSketch only_inf;
  for (int i = 0; i < 2000; ++i) only_inf.Add(i % 3 ? kInf : kNaN);
  EXPECT_EQ(only_inf.count(), 1333u);
  EXPECT_EQ(only_inf.Quantile(0), kInf);
  EXPECT_EQ(only_inf.Quantile(0.5), kInf);
}

TEST(QuantileSketchTest, ZerosAndExtremeMagnitudes) {
  const uint64_t seed = TestSeed();
  SCOPED_TRACE("TROVE_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const double kPicks[] = {0.0,      -0.0,    1e-300,   -1e-300, 5e-324, -4e-320, DBL_MIN,
                           -DBL_MIN, DBL_MAX, -DBL_MAX, 1e308,   1.0,    -1.0,    1e-308};
  std::vector<double> values;
  QuantileSketch sketch;
  for (int i = 0; i < 3000; ++i) {
    values.push_back(kPicks[rng() % std::size(kPicks)]);
    sketch.Add(values.back());
  }
  std::vector<double> qs = StandardQs(rng);
  for (int r = 0; r <= 100; ++r) qs.push_back(r / 100.0);
  const double error = CheckQuantiles(sketch, values, qs);
  ReportError("QuantileSketch zeros and extreme magnitudes", error);
  // ±DBL_MAX come back finite (the top bucket's representative never overflows).
  EXPECT_TRUE(std::isfinite(*sketch.Quantile(0)));
  EXPECT_TRUE(std::isfinite(*sketch.Quantile(1)));

  // Subnormals are counted as zero once the sketch takes over (the documented clamp).
  QuantileSketch subnormal;
  for (int i = 0; i < 2000; ++i) subnormal.Add(5e-324 * (i + 1));
  EXPECT_EQ(subnormal.Quantile(0.5), 0.0);
  EXPECT_EQ(subnormal.count(), 2000u);
}

}  // namespace
}  // namespace trove::query
