#include "index/term_filter.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trove::index {

namespace {

constexpr uint8_t kKindBinaryFuse8 = 0;  // Written to disk: never change or reuse.
constexpr size_t kHeaderBytes = 1 + 8 + 4 + 4;
constexpr uint32_t kMaxSegmentLength = 1u << 18;
// Each seed fails with probability well under 1% at the sizes below; a hundred in a row do not.
constexpr int kMaxAttempts = 100;

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// The paper's shape for 3-wise filters: segments of ~n^0.83 slots (a power of two), and
// ~1.125-1.3 slots a key (more for small n, where peeling needs the slack).
void Shape(size_t n, uint32_t* segment_length, uint32_t* segment_count) {
  const double dn = static_cast<double>(n);
  uint32_t length =
      n <= 1 ? 4 : 1u << static_cast<int>(std::floor(std::log(dn) / std::log(3.33) + 2.25));
  length = std::min(length, kMaxSegmentLength);
  const double factor = n <= 1 ? 0 : std::max(1.125, 0.875 + 0.25 * std::log(1e6) / std::log(dn));
  const auto capacity = static_cast<uint64_t>(std::llround(dn * factor));
  const int64_t count = static_cast<int64_t>((capacity + length - 1) / length) - 2;
  *segment_length = length;
  *segment_count = static_cast<uint32_t>(std::max<int64_t>(1, count));
}

}  // namespace

uint64_t FilterHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

bool BuildTermFilter(std::vector<uint64_t> hashes, std::string* out) {
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  const size_t n = hashes.size();
  if (n == 0 || n > (uint64_t{1} << 31)) return false;
  uint32_t segment_length, segment_count;
  Shape(n, &segment_length, &segment_count);
  const uint64_t array_length = (uint64_t{segment_count} + 2) * segment_length;
  if (array_length > UINT32_MAX) return false;
  const uint32_t segment_count_length = segment_count * segment_length;

  // Per slot: bits 2..7 count the keys that use it; bits 0..1 XOR which of their three slots
  // it is (0, 1, 2), so a slot with one key knows which slot of that key it is.
  std::vector<uint8_t> count(array_length);
  std::vector<uint64_t> xor_hash(array_length);  // XOR of the mixed hashes of its keys
  std::vector<uint32_t> alone;
  std::vector<uint64_t> order;  // peeled keys' mixed hashes, in peeling order
  std::vector<uint8_t> which;   // the slot (0..2) each was peeled from
  alone.reserve(array_length);
  order.reserve(n);
  which.reserve(n);
  uint64_t rng = 0x726b2b9d438b9d4dull;
  uint64_t seed = 0;
  bool built = false;
  for (int attempt = 0; attempt < kMaxAttempts && !built; ++attempt) {
    seed = SplitMix64(&rng);
    std::fill(count.begin(), count.end(), 0);
    std::fill(xor_hash.begin(), xor_hash.end(), 0);
    bool overflow = false;
    for (uint64_t key : hashes) {
      const uint64_t h = Murmur3Mix(key + seed);
      uint32_t slot[3];
      TermFilter::Slots(h, segment_length, segment_count_length, slot);
      for (uint8_t i = 0; i < 3; ++i) {
        overflow |= count[slot[i]] >= 0xfc;  // 63 keys in one slot: the count would wrap
        count[slot[i]] = static_cast<uint8_t>((count[slot[i]] + 4) ^ i);
        xor_hash[slot[i]] ^= h;
      }
    }
    if (overflow) continue;
    // Peel: a slot used by one key fixes that key's fingerprint last; removing the key may
    // leave another slot with one key.
    alone.clear();
    order.clear();
    which.clear();
    for (uint32_t i = 0; i < array_length; ++i) {
      if ((count[i] >> 2) == 1) alone.push_back(i);
    }
    while (!alone.empty()) {
      const uint32_t i = alone.back();
      alone.pop_back();
      if ((count[i] >> 2) != 1) continue;
      const uint64_t h = xor_hash[i];
      const uint8_t found = count[i] & 3;
      order.push_back(h);
      which.push_back(found);
      uint32_t slot[3];
      TermFilter::Slots(h, segment_length, segment_count_length, slot);
      for (uint8_t k = 1; k <= 2; ++k) {
        const uint8_t other = static_cast<uint8_t>((found + k) % 3);
        const uint32_t j = slot[other];
        count[j] = static_cast<uint8_t>((count[j] - 4) ^ other);
        xor_hash[j] ^= h;
        if ((count[j] >> 2) == 1) alone.push_back(j);
      }
    }
    built = order.size() == n;
  }
  if (!built) return false;

  std::vector<uint8_t> fingerprints(array_length, 0);
  for (size_t k = n; k-- > 0;) {
    const uint64_t h = order[k];
    uint32_t slot[3];
    TermFilter::Slots(h, segment_length, segment_count_length, slot);
    const uint8_t w = which[k];
    fingerprints[slot[w]] = TermFilter::Fingerprint(h) ^ fingerprints[slot[(w + 1) % 3]] ^
                            fingerprints[slot[(w + 2) % 3]];
  }
  out->push_back(static_cast<char>(kKindBinaryFuse8));
  PutLE(out, seed, 8);
  PutLE(out, segment_length, 4);
  PutLE(out, segment_count, 4);
  out->append(reinterpret_cast<const char*>(fingerprints.data()), fingerprints.size());
  return true;
}

bool TermFilter::Parse(std::string_view data) {
  *this = TermFilter();
  if (data.size() < kHeaderBytes || static_cast<uint8_t>(data[0]) != kKindBinaryFuse8) {
    return false;
  }
  const uint64_t seed = GetLE(data.data() + 1, 8);
  const uint64_t length = GetLE(data.data() + 9, 4), count = GetLE(data.data() + 13, 4);
  if (length == 0 || length > kMaxSegmentLength || (length & (length - 1)) != 0 || count == 0 ||
      (count + 2) * length != data.size() - kHeaderBytes) {
    return false;
  }
  seed_ = seed;
  segment_length_ = static_cast<uint32_t>(length);
  segment_count_length_ = static_cast<uint32_t>(count * length);
  fingerprints_ = reinterpret_cast<const uint8_t*>(data.data() + kHeaderBytes);
  return true;
}

}  // namespace trove::index
