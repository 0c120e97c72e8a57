// Mergeable summaries for aggregations: distinct counts (count_uniq) and quantiles
// (median, quantile). Each segment builds its own, and the engine merges them at the end, so
// both must give the same answer whatever the split and merge order (up to the stated error).
// Not thread-safe; each instance belongs to one task at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace trove::query {

// A 64-bit hash with good avalanche, for distinct counting. Stable across runs and machines
// (a wyhash-style multiply-fold over little-endian words; never change it, since estimates
// merged from different builds must agree).
uint64_t HashBytes(std::string_view bytes);

// count_uniq: exact (a set of 64-bit hashes; collisions have probability ~n²/2⁶⁵) while at most
// kExactLimit distinct hashes have been seen, then HyperLogLog with 2^kPrecision registers:
// standard error 1.04/sqrt(2^14) ≈ 0.81%, and within ±3.3% (4 standard errors) in practice.
// The state after any sequence of AddHash and Merge calls depends only on the union of the
// hashes added, so every split and merge order gives the identical estimate.
// Memory: at most 128 KiB while exact (a 2^14-slot hash set), 16 KiB once HyperLogLog.
class DistinctCounter {
 public:
  static constexpr size_t kExactLimit = 10000;
  static constexpr int kPrecision = 14;
  // The relative error bound tests and docs quote for the estimate beyond kExactLimit.
  static constexpr double kRelativeErrorBound = 0.033;

  // Any 64-bit hash (HashBytes, or a value's own bits: it is remixed internally).
  void AddHash(uint64_t hash);
  void Merge(const DistinctCounter& other);
  uint64_t Estimate() const;
  bool exact() const { return registers_.empty(); }  // true while the answer is exact

 private:
  void Insert(uint64_t mixed);
  void AddToRegisters(uint64_t mixed);
  void ConvertToRegisters();

  // Exact mode: an open-addressing (linear probing) set of remixed hashes; 0 marks an empty
  // slot, so the hash 0 is kept in has_zero_. Power-of-two size, empty until the first add.
  std::vector<uint64_t> slots_;
  size_t size_ = 0;  // distinct hashes held, has_zero_ included
  bool has_zero_ = false;
  std::vector<uint8_t> registers_;  // HLL registers once beyond kExactLimit; empty before
};

// median / quantile: the value at rank floor(q * (n - 1)) of the n values in ascending order.
// Exact while at most kExactLimit values have been added (they are kept); beyond that a
// DDSketch (Masson et al., VLDB 2019) with relative accuracy kRelativeAccuracy: the answer x'
// for true value x satisfies |x' - x| <= kRelativeAccuracy * |x|, except that a finite x with
// |x| < kMinIndexableMagnitude (a subnormal) is counted as zero and answered as x' = 0.
// ±infinity are answered exactly; NaN is ignored (not counted in n).
// Memory: at most 8 KiB while exact; beyond that one 8-byte counter per bucket spanned by the
// data (~115 buckets per decade of magnitude, per sign), at most 70,907 buckets ≈ 554 KiB
// per sign when values span the whole normal double range (1.1 MiB for both signs).
class QuantileSketch {
 public:
  static constexpr size_t kExactLimit = 1024;
  static constexpr double kRelativeAccuracy = 0.01;
  // The smallest normal double; smaller magnitudes go to the zero bucket in sketch mode.
  static constexpr double kMinIndexableMagnitude = std::numeric_limits<double>::min();

  void Add(double value);
  void Merge(const QuantileSketch& other);
  uint64_t count() const { return count_; }
  // nullopt when no value was added. REQUIRES: 0 <= q <= 1.
  std::optional<double> Quantile(double q) const;

 private:
  // Counts for one sign: counts[k] is the number of values in bucket offset + k.
  struct BucketStore {
    int32_t offset = 0;
    std::vector<uint64_t> counts;

    void Add(int32_t index) {
      if (index < offset || index - offset >= static_cast<int32_t>(counts.size())) {
        Cover(index, index);
      }
      ++counts[static_cast<size_t>(index - offset)];
    }
    void Merge(const BucketStore& other);
    void Cover(int32_t lo, int32_t hi);  // grows counts to include buckets [lo, hi]
  };

  void ConvertToSketch();
  void AddToSketch(double value);  // REQUIRES: value is not NaN

  uint64_t count_ = 0;  // values added, NaN excluded
  bool exact_mode_ = true;
  std::vector<double> exact_;        // the values while exact_mode_; empty after
  BucketStore positive_, negative_;  // indexed by bucket of |value|
  uint64_t zeros_ = 0, pos_inf_ = 0, neg_inf_ = 0;
};

}  // namespace trove::query
