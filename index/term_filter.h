// A segment's term filter: a binary fuse filter (Graf and Lemire, "Binary Fuse Filters: Fast
// and Smaller Than Xor Filters", 2022) over the hashes of its term-index keys, with 8-bit
// fingerprints: ~9 bits a key, false positives ~1/256, never a false negative. A query checks
// every segment's filter before planning, so a term held by one segment of two hundred costs
// one filter probe in each of the others instead of a term-table lookup (FORMAT.md §4.7).
//
// Serialized form (all little-endian):
//   u8 kind (0 = binary fuse, 3-wise, 8-bit) | u64 seed | u32 segment_length
//   | u32 segment_count | u8 fingerprint[(segment_count + 2) * segment_length]
// segment_length is a power of two, at most 2^18; segment_count is at least 1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/hash.h"

namespace trove::index {

// The 64-bit key hash the filter is built from and probed with: XXH3-64 of the key's bytes
// (stable across platforms and releases; it is written to disk through the filter).
uint64_t FilterHash(std::string_view key);

// Appends the serialized filter of `hashes` (duplicates are allowed and dropped) to *out.
// False, with *out unchanged, in the practically impossible case that no seed out of many
// builds one; the segment is then written without a filter. REQUIRES: hashes non-empty.
bool BuildTermFilter(std::vector<uint64_t> hashes, std::string* out);

// A parsed filter; a view of bytes that must outlive it.
class TermFilter {
 public:
  // False (and the filter unusable) when data is not a well-formed filter: a wrong kind, or
  // sizes that disagree with each other or with data's length.
  bool Parse(std::string_view data);
  // False only when no key with this hash was in the filter's set. REQUIRES: Parse succeeded.
  bool MayContain(uint64_t hash) const {
    const uint64_t h = Murmur3Mix(hash + seed_);
    uint32_t slot[3];
    Slots(h, segment_length_, segment_count_length_, slot);
    return Fingerprint(h) ==
           (fingerprints_[slot[0]] ^ fingerprints_[slot[1]] ^ fingerprints_[slot[2]]);
  }

  // The construction's pieces, shared with BuildTermFilter.
  static uint8_t Fingerprint(uint64_t h) { return static_cast<uint8_t>(h ^ (h >> 32)); }
  // The three slots of mixed hash h: one in each of three consecutive segments, the first
  // segment chosen by the hash's high bits.
  static void Slots(uint64_t h, uint32_t segment_length, uint32_t segment_count_length,
                    uint32_t slot[3]) {
    const auto first =
        static_cast<uint32_t>((static_cast<unsigned __int128>(h) * segment_count_length) >> 64);
    const uint32_t mask = segment_length - 1;
    slot[0] = first;
    slot[1] = (first + segment_length) ^ (static_cast<uint32_t>(h >> 18) & mask);
    slot[2] = (first + 2 * segment_length) ^ (static_cast<uint32_t>(h) & mask);
  }

 private:
  uint64_t seed_ = 0;
  uint32_t segment_length_ = 0, segment_count_length_ = 0;
  const uint8_t* fingerprints_ = nullptr;
};

}  // namespace trove::index
