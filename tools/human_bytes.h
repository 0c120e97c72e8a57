// Byte counts for people: "512 B", "15.5 MiB". Used by trove-inspect and `trove admin`.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

namespace trove::tools {

inline std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[64];
  if (unit == 0) {
    snprintf(buf, sizeof buf, "%" PRIu64 " B", bytes);
  } else {
    snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

}  // namespace trove::tools
