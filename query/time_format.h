// Text forms of times for the query language: civil-date arithmetic and RFC 3339 output.
// The parsers of durations and timestamps are declared in query/parser.h (they are part of the
// query language contract) and defined in time_format.cc beside these helpers.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace trove::query {

// Days since 1970-01-01 of the proleptic Gregorian date year-month-day (negative before 1970).
// REQUIRES: 1 <= month <= 12, 1 <= day <= DaysInMonth(year, month).
int64_t DaysFromCivil(int64_t year, int month, int day);

// 28..31. REQUIRES: 1 <= month <= 12.
int DaysInMonth(int64_t year, int month);

// "2026-01-01T00:00:00Z"; a time that is not a whole second gets a fraction with trailing
// zeros trimmed ("2026-01-01T00:00:00.25Z"). Any int64 is accepted.
std::string FormatTimestamp(int64_t ns);

}  // namespace trove::query
