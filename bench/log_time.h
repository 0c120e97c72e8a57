// Timestamps as text: the leading timestamp of a plain-text log line, and RFC 3339 output.
//
// A stopgap for the benchmark's loader and the maintenance tools; the real text ingest parser
// (DESIGN.md §1, "Plain text mapping") will own timestamp recognition. Timestamps without a
// zone are taken as UTC. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trove::bench {

// Year assumed for syslog timestamps ("Jun 14 15:16:01"), which carry none.
inline constexpr int kSyslogYear = 2024;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31).
int64_t DaysFromCivil(int64_t year, int month, int day);

// Parses a timestamp at the start of line (after an optional '['), in one of:
//   RFC 3339 / log4j   2015-10-18T18:01:47.978Z, 2015-10-18 18:01:47,978, +02:00 offsets
//   HDFS               081109 203615                         (yyMMdd HHmmss)
//   Spark              17/06/09 20:10:40                     (yy/MM/dd HH:mm:ss)
//   syslog             Jun 14 15:16:01                       (year kSyslogYear)
//   Apache error log   [Sun Dec 04 04:47:44 2005]
// Two-digit years are 20yy. On success stores ns since the epoch in *time_ns and returns true;
// returns false (leaving *time_ns alone) when no format matches or a field is out of range.
bool ParseLogTimestamp(std::string_view line, int64_t* time_ns);

// "2024-01-01T00:00:00Z" with frac_digits (0..9) digits of fraction: 3 → ".123", 9 → ns.
std::string FormatRfc3339(int64_t time_ns, int frac_digits = 9);

}  // namespace trove::bench
