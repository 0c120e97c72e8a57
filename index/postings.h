// Posting lists: the set of segment rows that hold a term, as a CRoaring bitmap.
//
// Encoding (see storage/FORMAT.md, "Postings"): one kind byte, then
//   kind 0 (delta list):  varint count, then varint row deltas (first delta from 0);
//   kind 1 (roaring):     the portable CRoaring serialization (run-optimized).
// Lists of at most kShortListMax rows are always delta lists; longer ones take whichever
// encoding is smaller. Most terms of real logs occur in one or two rows (IDs, IPs, numbers),
// where a delta list is 2–4 bytes against ~20 for a serialized bitmap; mid-frequency terms
// with gaps under 128 rows cost one byte a row as deltas against two in roaring arrays.
#pragma once

#include <roaring/roaring.hh>

#include <cstdint>
#include <string>
#include <string_view>

namespace trove::index {

inline constexpr uint8_t kPostingsShortList = 0;  // Written to disk: never change or reuse.
inline constexpr uint8_t kPostingsRoaring = 1;    // Written to disk: never change or reuse.
inline constexpr uint64_t kShortListMax = 8;

// Appends the encoding of rows to dst. `rows` may be run-optimized in place.
void EncodePostings(Roaring* rows, std::string* dst);
// Decodes one posting list that occupies all of data. Returns false on malformed input.
bool DecodePostings(std::string_view data, Roaring* rows);

}  // namespace trove::index
