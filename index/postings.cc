#include "index/postings.h"

#include <stdexcept>

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
  uint64_t n = rows->cardinality();
  if (n <= kShortListMax) {
    dst->push_back(static_cast<char>(kPostingsShortList));
    PutVarint(dst, n);
    uint32_t prev = 0;
    for (uint32_t r : *rows) {
      PutVarint(dst, r - prev);
      prev = r;
    }
    return;
  }
  rows->runOptimize();
  dst->push_back(static_cast<char>(kPostingsRoaring));
  size_t at = dst->size();
  dst->resize(at + rows->getSizeInBytes(true));
  rows->write(dst->data() + at, true);
}

bool DecodePostings(std::string_view data, Roaring* rows) {
  if (data.empty()) return false;
  uint8_t kind = static_cast<uint8_t>(data[0]);
  data.remove_prefix(1);
  if (kind == kPostingsShortList) {
    uint64_t n;
    if (!GetVarint(&data, &n) || n > kShortListMax) return false;
    Roaring out;
    uint64_t row = 0;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t delta;
      if (!GetVarint(&data, &delta)) return false;
      row += delta;
      if (row > UINT32_MAX || (i > 0 && delta == 0)) return false;
      out.add(static_cast<uint32_t>(row));
    }
    if (!data.empty()) return false;
    *rows = std::move(out);
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
