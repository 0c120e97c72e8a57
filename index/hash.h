// Small hashing helpers shared by the term filter and the distinct-count sketch.
#pragma once

#include <cstdint>

namespace trove::index {

// Murmur3's 64-bit finalizer. A bijection, so distinct hashes stay distinct, and it spreads a
// weak or seeded input (an integer's own bits, a hash plus a seed) over all 64 bits.
inline uint64_t Murmur3Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace trove::index
