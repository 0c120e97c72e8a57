// Timestamps in log text: the timestamp at or near the start of a plain-text line
// (DESIGN.md §1, "Plain text mapping"), timestamp strings in JSON lines, and RFC 3339 output.
//
// The one implementation shared by the text and JSON ingest parsers, the benchmark's Loghub
// loader and the maintenance tools. Timestamps without a zone are taken as UTC; times before
// 1970 are not log timestamps we can store and are refused. Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trove::ingest {

// Year assumed for syslog timestamps ("Jun 14 15:16:01"), which carry none. A fixed year
// (not "this year") keeps loading a file deterministic.
inline constexpr int kSyslogYear = 2024;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31).
int64_t DaysFromCivil(int64_t year, int month, int day);

// Parses a timestamp at the very start of text (after an optional '['), in one of:
//   RFC 3339 / log4j   2015-10-18T18:01:47.978Z, 2015-10-18 18:01:47,978, +02:00 offsets
//   HDFS               081109 203615                         (yyMMdd HHmmss)
//   Spark              17/06/09 20:10:40                     (yy/MM/dd HH:mm:ss)
//   syslog             Jun 14 15:16:01                       (year kSyslogYear)
//   Apache error log   [Sun Dec 04 04:47:44 2005]
//   Apache access log  [17/May/2015:10:05:03 +0000]          (common log format)
//   epoch seconds      1117838570, 1117838570.123            (10 digits: 2001..2286)
// Two-digit years are 20yy. A timestamp must not run straight into more digits. On success
// stores ns since the epoch in *time_ns and returns the number of bytes consumed (> 0);
// returns 0, leaving *time_ns alone, when no format matches or a field is out of range.
size_t ParseTimestampPrefix(std::string_view text, int64_t* time_ns);

// ParseTimestampPrefix(line, time_ns) != 0: a timestamp at the start of the line.
bool ParseLogTimestamp(std::string_view line, int64_t* time_ns);

// A timestamp at or near the start of a line: at the start, or at the start of one of the
// first kTimestampSearchFields whitespace-separated fields that begin within the first
// kTimestampSearchBytes bytes ("- 1117838570 2005.06.03 …", "nova-api.log 2017-05-16 00:00:00
// …", "1.2.3.4 - - [17/May/2015:10:05:03 +0000] …"). A syslog priority "<34>" before a field is
// skipped. Returns true and sets *time_ns on the first match; false otherwise.
inline constexpr int kTimestampSearchFields = 4;
inline constexpr size_t kTimestampSearchBytes = 80;
bool FindLogTimestamp(std::string_view line, int64_t* time_ns);

// "2024-01-01T00:00:00Z" with frac_digits (0..9) digits of fraction: 3 → ".123", 9 → ns.
std::string FormatRfc3339(int64_t time_ns, int frac_digits = 9);

}  // namespace trove::ingest
