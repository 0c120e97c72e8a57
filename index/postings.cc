#include "index/postings.h"

#include <stdexcept>
#include <vector>

namespace trove::index {
namespace {

void PutVarint(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint64_t byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    result |= (byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

void EncodePostings(Roaring* rows, std::string* dst) {
  const uint64_t n = rows->cardinality();
  // A delta list costs about one byte a row where rows are dense (gaps < 128), where roaring's
  // array containers cost two: take whichever is smaller. Runs and bitsets stay roaring.
  std::string deltas;
  PutVarint(&deltas, n);
  uint32_t prev = 0;
  for (uint32_t r : *rows) {
    PutVarint(&deltas, r - prev);
    prev = r;
  }
  rows->runOptimize();
  const size_t roaring_size = rows->getSizeInBytes(true);
  if (n <= kShortListMax || deltas.size() <= roaring_size) {
    dst->push_back(static_cast<char>(kPostingsShortList));
    dst->append(deltas);
    return;
  }
  dst->push_back(static_cast<char>(kPostingsRoaring));
  size_t at = dst->size();
  dst->resize(at + roaring_size);
  rows->write(dst->data() + at, true);
}

bool DecodePostings(std::string_view data, Roaring* rows) {
  if (data.empty()) return false;
  uint8_t kind = static_cast<uint8_t>(data[0]);
  data.remove_prefix(1);
  if (kind == kPostingsShortList) {
    uint64_t n;
    // Every delta takes at least one byte.
    if (!GetVarint(&data, &n) || n > data.size()) return false;
    std::vector<uint32_t> values;
    values.reserve(n);
    uint64_t row = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t delta;
      if (!GetVarint(&data, &delta)) return false;
      row += delta;
      if (row > UINT32_MAX || (i > 0 && delta == 0)) return false;
      values.push_back(static_cast<uint32_t>(row));
    }
    if (!data.empty()) return false;
    *rows = Roaring(values.size(), values.data());
    return true;
  }
  if (kind != kPostingsRoaring) return false;
  try {
    Roaring r = Roaring::readSafe(data.data(), data.size());
    if (r.getSizeInBytes(true) != data.size()) return false;
    // readSafe (CRoaring 0.2) checks sizes, not container contents: overlapping runs or
    // unsorted arrays would make cardinality() disagree with iteration. One pass proves the
    // set well-formed; the cost is linear in the rows, like any use of the postings.
    uint64_t count = 0;
    int64_t prev = -1;
    uint32_t first = 0;
    for (uint32_t v : r) {
      if (count == 0) first = v;
      if (static_cast<int64_t>(v) <= prev) return false;
      prev = v;
      ++count;
    }
    if (count != r.cardinality()) return false;
    if (count > 0 && (r.minimum() != first || r.maximum() != static_cast<uint32_t>(prev))) {
      return false;  // e.g. a run that spills past its container
    }
    *rows = std::move(r);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace trove::index
