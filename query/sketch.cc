// DistinctCounter: a linear-probing hash set up to kExactLimit, then a dense HyperLogLog read
// by linear counting at the small end and Ertl's corrected estimator above it.
// QuantileSketch: the values themselves up to kExactLimit, then a DDSketch with logarithmic
// buckets kept in dense, growable per-sign vectors.
#include "query/sketch.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "index/hash.h"

namespace trove::query {
namespace {

// ---- HashBytes: wyhash-style. Each step multiplies two 64-bit words to 128 bits and folds
// the halves together, which mixes every input bit into every output bit in two rounds.

constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ULL;
constexpr uint64_t kP3 = 0x589965cc75374cc3ULL;
constexpr uint64_t kSeed = 0x54524f5645534b31ULL;  // "TROVESK1"; frozen: hashes must not change

// Little-endian whatever the host, so hashes agree across machines; compiles to one load on x86.
inline uint64_t Load64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

inline uint64_t Load32(const unsigned char* p) {
  return uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 | uint64_t{p[3]} << 24;
}

inline void Mum(uint64_t* a, uint64_t* b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(*a) * *b;
  *a = static_cast<uint64_t>(r);
  *b = static_cast<uint64_t>(r >> 64);
}

inline uint64_t Mix(uint64_t a, uint64_t b) {
  Mum(&a, &b);
  return a ^ b;
}

}  // namespace

uint64_t HashBytes(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t len = bytes.size();
  uint64_t seed = kSeed ^ Mix(kSeed ^ kP0, kP1);
  uint64_t a = 0, b = 0;
  if (len <= 16) {
    if (len >= 4) {
      // Two overlapping 4-byte reads from each end cover every byte of 4..16.
      const size_t mid = (len >> 3) << 2;
      a = Load32(p) << 32 | Load32(p + mid);
      b = Load32(p + len - 4) << 32 | Load32(p + len - 4 - mid);
    } else if (len > 0) {
      a = uint64_t{p[0]} << 16 | uint64_t{p[len >> 1]} << 8 | p[len - 1];
    }
  } else {
    size_t i = len;
    if (i > 48) {
      // Three independent lanes of 16 bytes per round: ~0.3 ns/byte, bound by the multiplies.
      uint64_t see1 = seed, see2 = seed;
      do {
        seed = Mix(Load64(p) ^ kP1, Load64(p + 8) ^ seed);
        see1 = Mix(Load64(p + 16) ^ kP2, Load64(p + 24) ^ see1);
        see2 = Mix(Load64(p + 32) ^ kP3, Load64(p + 40) ^ see2);
        p += 48;
        i -= 48;
      } while (i > 48);
      seed ^= see1 ^ see2;
    }
    while (i > 16) {
      seed = Mix(Load64(p) ^ kP1, Load64(p + 8) ^ seed);
      p += 16;
      i -= 16;
    }
    // The last 16 bytes, overlapping what came before when fewer remain (len > 16 keeps it
    // inside the buffer).
    a = Load64(p + i - 16);
    b = Load64(p + i - 8);
  }
  a ^= kP1;
  b ^= seed;
  Mum(&a, &b);
  return Mix(a ^ kP0 ^ len, b ^ kP1);
}

// ---- DistinctCounter

namespace {

constexpr size_t kRegisters = size_t{1} << DistinctCounter::kPrecision;
constexpr int kRankBits = 64 - DistinctCounter::kPrecision;  // bits left after the index
constexpr size_t kInitialSlots = 16;

// Below this linear-counting estimate, linear counting beats the HLL estimator for 2^14
// registers (the crossover HyperLogLog++, Heule et al. 2013, measured for precision 14).
constexpr double kLinearCountingThreshold = 11500;

// Spreads a weak caller hash (an integer's own bits) over the register index and rank bits.
inline uint64_t Remix(uint64_t h) { return index::Murmur3Mix(h); }

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017), Algorithm 6:
// sigma accounts for registers still 0 (the small range, where raw HLL overestimates) and tau
// for registers at the maximum rank. Together they remove the raw estimator's bias over the
// whole range without HLL++'s empirical bias tables.
double Sigma(double x) {
  if (x == 1) return std::numeric_limits<double>::infinity();
  double y = 1, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double Tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1, z = 1 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (z != previous);
  return z / 3;
}

}  // namespace

void DistinctCounter::AddHash(uint64_t hash) { Insert(Remix(hash)); }

void DistinctCounter::Insert(uint64_t mixed) {
  if (!exact()) {
    AddToRegisters(mixed);
    return;
  }
  if (mixed == 0) {
    if (has_zero_) return;
    if (size_ == kExactLimit) {
      ConvertToRegisters();
      AddToRegisters(mixed);
      return;
    }
    has_zero_ = true;
    ++size_;
    return;
  }
  if (slots_.empty()) slots_.assign(kInitialSlots, 0);
  // Load stays <= 3/4: a probe reads a few adjacent slots (~2.5 for a hit, ~8.5 for a miss at
  // the worst load), usually one cache line.
  const size_t mask = slots_.size() - 1;
  size_t i = mixed & mask;  // low bits; the registers use the high ones
  while (slots_[i] != 0) {
    if (slots_[i] == mixed) return;
    i = (i + 1) & mask;
  }
  if (size_ == kExactLimit) {
    ConvertToRegisters();
    AddToRegisters(mixed);
    return;
  }
  slots_[i] = mixed;
  ++size_;
  if (size_ * 4 > slots_.size() * 3) {
    static_assert(kExactLimit * 4 <= kRegisters * 3, "the set must fit 2^14 slots (128 KiB)");
    std::vector<uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    const size_t new_mask = slots_.size() - 1;
    for (uint64_t h : old) {
      if (h == 0) continue;
      size_t j = h & new_mask;
      while (slots_[j] != 0) j = (j + 1) & new_mask;
      slots_[j] = h;
    }
  }
}

void DistinctCounter::AddToRegisters(uint64_t mixed) {
  const size_t index = mixed >> kRankBits;
  // The sentinel bit caps the rank at kRankBits + 1 when all remaining bits are zero.
  const uint64_t rest =
      (mixed << DistinctCounter::kPrecision) | (uint64_t{1} << (DistinctCounter::kPrecision - 1));
  const auto rank = static_cast<uint8_t>(std::countl_zero(rest) + 1);
  if (rank > registers_[index]) registers_[index] = rank;
}

void DistinctCounter::ConvertToRegisters() {
  registers_.assign(kRegisters, 0);
  for (uint64_t h : slots_) {
    if (h != 0) AddToRegisters(h);
  }
  if (has_zero_) AddToRegisters(0);
  std::vector<uint64_t>().swap(slots_);  // give the 128 KiB back
  size_ = 0;
  has_zero_ = false;
}

void DistinctCounter::Merge(const DistinctCounter& other) {
  if (&other == this) return;  // a set united with itself is unchanged
  if (!other.exact()) {
    if (exact()) ConvertToRegisters();
    // A register is the max rank over the hashes that chose it, so max-merge is the union.
    for (size_t i = 0; i < kRegisters; ++i) {
      registers_[i] = std::max(registers_[i], other.registers_[i]);
    }
    return;
  }
  for (uint64_t h : other.slots_) {
    if (h != 0) Insert(h);
  }
  if (other.has_zero_) Insert(0);
}

uint64_t DistinctCounter::Estimate() const {
  if (exact()) return size_;
  // One pass over 16 KiB of registers: a few microseconds, once per group per query.
  uint32_t histogram[kRankBits + 2] = {};
  for (uint8_t r : registers_) ++histogram[r];
  const double m = kRegisters;
  if (histogram[0] > 0) {
    const double linear = m * std::log(m / histogram[0]);
    if (linear <= kLinearCountingThreshold) return static_cast<uint64_t>(std::llround(linear));
  }
  double z = m * Tau((m - histogram[kRankBits + 1]) / m);
  for (int k = kRankBits; k >= 1; --k) {
    z += histogram[k];
    z *= 0.5;
  }
  z += m * Sigma(histogram[0] / m);
  const double alpha_infinity = 1 / (2 * std::log(2.0));
  return static_cast<uint64_t>(std::llround(alpha_infinity * m * m / z));
}

// ---- QuantileSketch

namespace {

// γ is derived from α shrunk by one part in 10^7: log() and exp() round, which can put a value
// within ~1e-13 of a bucket boundary into the neighbouring bucket or nudge a representative by
// as much; the 1e-9 margin keeps the documented |x' - x| <= α|x| strict, not approximate.
const double kAlpha = QuantileSketch::kRelativeAccuracy * (1 - 1e-7);
const double kLogGamma = std::log1p(2 * kAlpha / (1 - kAlpha));
const double kInverseLogGamma = 1 / kLogGamma;
// log(2 / (γ + 1)) = log(1 - α): the representative 2γ^i/(γ+1) sits at relative distance α
// from both ends of bucket i, (γ^(i-1), γ^i].
const double kLogRepresentativeFactor = std::log1p(-kAlpha);

// The bucket of magnitude x: ceil(log_γ x). REQUIRES: kMinIndexableMagnitude <= x <= DBL_MAX.
inline int32_t BucketIndex(double x) {
  return static_cast<int32_t>(std::ceil(std::log(x) * kInverseLogGamma));
}

const int32_t kMinIndex = BucketIndex(QuantileSketch::kMinIndexableMagnitude);
const int32_t kMaxIndex = BucketIndex(DBL_MAX);

// Computed in log space because γ^i alone exceeds DBL_MAX in the top bucket. The clamp never
// fires for this α (the top representative is 1.78e308) but keeps any α safe: DBL_MAX is
// nearer to every finite true value than an out-of-range representative.
inline double Representative(int32_t index) {
  return std::min(std::exp(index * kLogGamma + kLogRepresentativeFactor), DBL_MAX);
}

}  // namespace

void QuantileSketch::BucketStore::Cover(int32_t lo, int32_t hi) {
  if (counts.empty()) {
    offset = lo;
    counts.assign(static_cast<size_t>(hi - lo) + 1, 0);
    return;
  }
  const int32_t end = offset + static_cast<int32_t>(counts.size());  // exclusive
  if (lo >= offset && hi < end) return;
  // Grow by a quarter of the span beyond what is needed, so a drifting stream (latencies
  // creeping up) copies the store O(log span) times, never past the indexable range.
  const int32_t slack = std::max<int32_t>(16, static_cast<int32_t>(counts.size() / 4));
  const int32_t new_lo = lo < offset ? std::max(kMinIndex, lo - slack) : offset;
  const int32_t new_end = hi >= end ? std::min(kMaxIndex + 1, hi + 1 + slack) : end;
  std::vector<uint64_t> grown(static_cast<size_t>(new_end - new_lo), 0);
  std::copy(counts.begin(), counts.end(), grown.begin() + (offset - new_lo));
  counts.swap(grown);
  offset = new_lo;
}

void QuantileSketch::BucketStore::Merge(const BucketStore& other) {
  if (other.counts.empty()) return;
  Cover(other.offset, other.offset + static_cast<int32_t>(other.counts.size()) - 1);
  const size_t shift = static_cast<size_t>(other.offset - offset);
  for (size_t k = 0; k < other.counts.size(); ++k) counts[shift + k] += other.counts[k];
}

void QuantileSketch::Add(double value) {
  if (std::isnan(value)) return;
  ++count_;
  if (exact_mode_) {
    if (exact_.size() < kExactLimit) {
      exact_.push_back(value);
      return;
    }
    ConvertToSketch();
  }
  AddToSketch(value);
}

void QuantileSketch::AddToSketch(double value) {
  // One log() per value, ~20 ns: the cost of the sketch mode.
  const double magnitude = std::fabs(value);
  if (magnitude < kMinIndexableMagnitude) {
    ++zeros_;
  } else if (magnitude > DBL_MAX) {
    ++(value > 0 ? pos_inf_ : neg_inf_);
  } else {
    (value > 0 ? positive_ : negative_).Add(BucketIndex(magnitude));
  }
}

void QuantileSketch::ConvertToSketch() {
  exact_mode_ = false;
  for (double v : exact_) AddToSketch(v);
  std::vector<double>().swap(exact_);
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (other.count_ == 0) return;
  if (&other == this) {
    // Doubling every count: work from a copy so the loops below don't read what they write.
    const QuantileSketch copy = other;
    Merge(copy);
    return;
  }
  if (exact_mode_ && other.exact_mode_ && count_ + other.count_ <= kExactLimit) {
    exact_.insert(exact_.end(), other.exact_.begin(), other.exact_.end());
    count_ += other.count_;
    return;
  }
  // Beyond the limit: the result is a sketch, and bucketing is a pure function of the value,
  // so the buckets (hence every answer) don't depend on the split or merge order.
  if (exact_mode_) ConvertToSketch();
  count_ += other.count_;
  if (other.exact_mode_) {
    for (double v : other.exact_) AddToSketch(v);
    return;
  }
  positive_.Merge(other.positive_);
  negative_.Merge(other.negative_);
  zeros_ += other.zeros_;
  pos_inf_ += other.pos_inf_;
  neg_inf_ += other.neg_inf_;
}

std::optional<double> QuantileSketch::Quantile(double q) const {
  assert(q >= 0 && q <= 1);
  if (count_ == 0) return std::nullopt;
  q = q > 0 ? std::min(q, 1.0) : 0.0;  // release builds: out-of-range (or NaN) q is clamped
  uint64_t rank = static_cast<uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
  rank = std::min(rank, count_ - 1);
  if (exact_mode_) {
    // Selection on a copy of at most 1024 values: ~10 µs, once per group per query.
    std::vector<double> values = exact_;
    std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(rank), values.end());
    return values[rank];
  }
  // Ascending value order: -inf, negatives by falling magnitude, zeros, positives, +inf.
  // Walks at most the spanned buckets once.
  if (rank < neg_inf_) return -std::numeric_limits<double>::infinity();
  rank -= neg_inf_;
  for (size_t k = negative_.counts.size(); k-- > 0;) {
    if (rank < negative_.counts[k]) {
      return -Representative(negative_.offset + static_cast<int32_t>(k));
    }
    rank -= negative_.counts[k];
  }
  if (rank < zeros_) return 0.0;
  rank -= zeros_;
  for (size_t k = 0; k < positive_.counts.size(); ++k) {
    if (rank < positive_.counts[k]) {
      return Representative(positive_.offset + static_cast<int32_t>(k));
    }
    rank -= positive_.counts[k];
  }
  return std::numeric_limits<double>::infinity();
}

}  // namespace trove::query
