// Checksum repair for the segment fuzzer. Every segment byte is covered by a CRC-32 (footer,
// meta block, each column, dictionary and index block), so random mutations almost never get
// past the first check. RepairChecksums rewrites a mutated file so that they pass: the reader's
// decoding of meta, columns, dictionaries and postings is then what gets fuzzed.
#pragma once

#include <cstdint>
#include <string>

namespace trove::fuzz {

// In place: when the footer locates a meta block that decodes (stored raw or zstd), every block
// handle inside the data area gets the CRC of its current bytes, the meta is re-encoded
// uncompressed, and the footer is rewritten with the new meta handle and its own CRC; when the
// meta does not decode, only the meta and footer CRCs are fixed, so the meta decoder sees the
// mutated bytes. The magic and format version are left as they are. Files too short to hold a
// footer are left alone.
void RepairChecksums(std::string* file);


}  // namespace trove::fuzz
