#include "query/time_format.h"

#include <cstdio>
#include <limits>
#include <string_view>

#include "query/parser.h"

namespace trove::query {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds per unit, 0 when `unit` is not a duration unit.
int64_t UnitNanos(std::string_view unit) {
  constexpr int64_t kSecond = kNanosPerSecond;
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s") return 1'000;  // "µs"
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return kSecond;
  if (unit == "m") return 60 * kSecond;
  if (unit == "h") return 3'600 * kSecond;
  if (unit == "d") return kSecondsPerDay * kSecond;
  if (unit == "w") return 7 * kSecondsPerDay * kSecond;
  return 0;
}

// Inverse of DaysFromCivil (H. Hinnant's algorithm, valid over the whole int64 day range we
// can reach from int64 nanoseconds).
void CivilFromDays(int64_t z, int64_t* year, int* month, int* day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  // H. Hinnant, "chrono-Compatible Low-Level Date Algorithms": shift the year to start in
  // March so the leap day is the last day of the year, then count 400-year eras.
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;                                          // [0, 399]
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                     // [0, 146096]
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string FormatTimestamp(int64_t ns) {
  // Floor division without forming secs * 1e9, which overflows near INT64_MIN.
  int64_t secs = ns / kNanosPerSecond;
  int64_t sub = ns % kNanosPerSecond;
  if (sub < 0) {
    sub += kNanosPerSecond;
    --secs;
  }
  int64_t days = secs / kSecondsPerDay;
  int64_t sod = secs % kSecondsPerDay;
  if (sod < 0) {
    sod += kSecondsPerDay;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  char buf[64];
  snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(year), month,
           day, static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60),
           static_cast<int>(sod % 60));
  std::string out = buf;
  if (sub != 0) {
    snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(sub));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out += 'Z';
  return out;
}

bool ParseDuration(std::string_view text, int64_t* ns) {
  if (text.empty()) return false;
  // __int128 holds any int64 count times the largest unit (a week) without overflow, so one
  // range check per component suffices.
  __int128 total = 0;
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const size_t digits_start = i;
    __int128 whole = 0;
    while (i < n && IsDigit(text[i])) {
      whole = whole * 10 + (text[i++] - '0');
      if (whole > kMax) return false;
    }
    if (i == digits_start) return false;  // also rejects a sign: "-5m", "+5m"
    int64_t frac = 0, frac_scale = 1;
    if (i < n && text[i] == '.') {
      const size_t frac_start = ++i;
      while (i < n && IsDigit(text[i])) {
        // Digits past 1e-18 of a unit are below a nanosecond even for weeks; drop them.
        if (frac_scale < 1'000'000'000'000'000'000) {
          frac = frac * 10 + (text[i] - '0');
          frac_scale *= 10;
        }
        ++i;
      }
      if (i == frac_start) return false;
    }
    const size_t unit_start = i;
    while (i < n &&
           ((text[i] >= 'a' && text[i] <= 'z') || static_cast<unsigned char>(text[i]) >= 0x80)) {
      ++i;
    }
    const int64_t unit = UnitNanos(text.substr(unit_start, i - unit_start));
    if (unit == 0) return false;
    total += whole * unit + static_cast<__int128>(frac) * unit / frac_scale;
    if (total > kMax) return false;
  }
  *ns = static_cast<int64_t>(total);
  return true;
}

bool ParseTimestamp(std::string_view s, int64_t* ns) {
  size_t i = 0;
  const size_t n = s.size();
  auto digits = [&](int count, int* out) {
    if (i + count > n) return false;
    int v = 0;
    for (int k = 0; k < count; ++k) {
      if (!IsDigit(s[i + k])) return false;
      v = v * 10 + (s[i + k] - '0');
    }
    i += count;
    *out = v;
    return true;
  };
  auto literal = [&](char c) {
    if (i < n && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };

  int year, month, day;
  if (!digits(4, &year) || !literal('-') || !digits(2, &month) || !literal('-') ||
      !digits(2, &day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;

  int hour = 0, minute = 0, second = 0, offset_seconds = 0;
  int64_t frac_ns = 0;
  if (i < n) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    ++i;
    if (!digits(2, &hour) || !literal(':') || !digits(2, &minute)) return false;
    if (literal(':')) {
      if (!digits(2, &second)) return false;
      if (literal('.')) {
        int count = 0;
        while (i < n && IsDigit(s[i])) {
          if (++count > 9) return false;  // finer than a nanosecond: not representable
          frac_ns = frac_ns * 10 + (s[i++] - '0');
        }
        if (count == 0) return false;
        for (; count < 9; ++count) frac_ns *= 10;
      }
    }
    if (i < n) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        const int sign = s[i++] == '-' ? -1 : 1;
        int off_h, off_m;
        if (!digits(2, &off_h) || !literal(':') || !digits(2, &off_m)) return false;
        if (off_h > 23 || off_m > 59) return false;
        offset_seconds = sign * (off_h * 3600 + off_m * 60);
      } else {
        return false;
      }
    }
    if (i != n) return false;
    // Leap seconds (":60") are rejected: an int64 time line has no place for them.
    if (hour > 23 || minute > 59 || second > 59) return false;
  }

  const __int128 seconds = static_cast<__int128>(DaysFromCivil(year, month, day)) * kSecondsPerDay +
                           hour * 3600 + minute * 60 + second - offset_seconds;
  const __int128 total = seconds * kNanosPerSecond + frac_ns;
  if (total < std::numeric_limits<int64_t>::min() || total > std::numeric_limits<int64_t>::max()) {
    return false;
  }
  *ns = static_cast<int64_t>(total);
  return true;
}

}  // namespace trove::query
