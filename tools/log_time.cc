#include "tools/log_time.h"

#include <cstdint>
#include <cstdio>

namespace trove::ingest {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// The last whole second whose ns still fit an int64 (2262-04-11).
constexpr int64_t kMaxSeconds = INT64_MAX / kNanosPerSecond - 1;
constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// A forward-only reader over the line; every Get* consumes only on success.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool Char(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // Exactly n digits.
  bool Digits(size_t n, int* v) {
    if (pos_ + n > s_.size()) return false;
    int x = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (!IsDigit(c)) return false;
      x = x * 10 + (c - '0');
    }
    *v = x;
    pos_ += n;
    return true;
  }
  // One or two digits.
  bool ShortNumber(int* v) {
    if (pos_ + 1 < s_.size() && IsDigit(s_[pos_]) && IsDigit(s_[pos_ + 1])) return Digits(2, v);
    return Digits(1, v);
  }
  // Three letters from names (lowercase), case-insensitive; *index is the position in names.
  template <size_t N>
  bool Name(const std::string_view (&names)[N], int* index) {
    if (pos_ + 3 > s_.size()) return false;
    char w[3] = {Lower(s_[pos_]), Lower(s_[pos_ + 1]), Lower(s_[pos_ + 2])};
    for (size_t i = 0; i < N; ++i) {
      if (names[i] == std::string_view(w, 3)) {
        *index = static_cast<int>(i);
        pos_ += 3;
        return true;
      }
    }
    return false;
  }
  // "HH:MM:SS" into seconds of the day.
  bool TimeOfDay(int64_t* seconds) {
    int h, m, s;
    if (!Digits(2, &h) || !Char(':') || !Digits(2, &m) || !Char(':') || !Digits(2, &s)) {
      return false;
    }
    if (h > 23 || m > 59 || s > 60) return false;
    *seconds = h * 3600 + m * 60 + s;
    return true;
  }
  // Optional "[.,]digits": the fraction in ns (digits past the ninth are ignored).
  int64_t Fraction() {
    if (pos_ + 1 >= s_.size() || (s_[pos_] != '.' && s_[pos_] != ',') || !IsDigit(s_[pos_ + 1])) {
      return 0;
    }
    ++pos_;
    int64_t ns = 0;
    int digits = 0;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) {
      if (digits < 9) {
        ns = ns * 10 + (s_[pos_] - '0');
        ++digits;
      }
      ++pos_;
    }
    for (; digits < 9; ++digits) ns *= 10;
    return ns;
  }
  // Optional zone: "Z", "+hh:mm", "-hhmm". Returns false only on a malformed offset.
  bool Zone(int64_t* offset_seconds) {
    *offset_seconds = 0;
    if (Char('Z') || Char('z')) return true;
    if (pos_ >= s_.size() || (s_[pos_] != '+' && s_[pos_] != '-')) return true;
    const size_t start = pos_;
    const int64_t sign = s_[pos_] == '-' ? -1 : 1;
    ++pos_;
    int h, m;
    if (!Digits(2, &h)) {
      pos_ = start;  // not an offset after all ("… - INFO")
      return true;
    }
    Char(':');
    if (!Digits(2, &m) || h > 23 || m > 59) return false;
    *offset_seconds = sign * (h * 3600 + m * 60);
    return true;
  }
  // A timestamp must not run straight into more digits ("2015-10-18 18:01:479").
  bool AtBoundary() const { return pos_ >= s_.size() || !IsDigit(s_[pos_]); }
  // Nor into a letter or digit (for bare numbers: "1117838570abc" is an ID, not a time).
  bool AtWordEnd() const {
    if (pos_ >= s_.size()) return true;
    const char ch = s_[pos_];
    return !IsDigit(ch) && !(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') && ch != '_';
  }
  char Peek() const { return s_[pos_]; }
  size_t size() const { return s_.size(); }
  size_t pos() const { return pos_; }
  void Reset(size_t pos) { pos_ = pos; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool ValidDate(int64_t year, int month, int day) {
  return month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month);
}

bool Combine(int64_t year, int month, int day, int64_t seconds_of_day, int64_t frac_ns,
             int64_t offset_seconds, int64_t* time_ns) {
  if (!ValidDate(year, month, day)) return false;
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + seconds_of_day - offset_seconds;
  if (seconds < 0) return false;            // before 1970: not a log timestamp we can store
  if (seconds > kMaxSeconds) return false;  // past 2262: int64 ns overflow
  *time_ns = seconds * kNanosPerSecond + frac_ns;
  return true;
}

// 2015-10-18 18:01:47,978 / 2015-10-18T18:01:47.978+02:00
bool ParseIsoLike(Cursor* c, int64_t* time_ns) {
  int y, mo, d;
  int64_t tod, offset;
  if (!c->Digits(4, &y) || !c->Char('-') || !c->Digits(2, &mo) || !c->Char('-') ||
      !c->Digits(2, &d) || !(c->Char('T') || c->Char('t') || c->Char(' ')) || !c->TimeOfDay(&tod)) {
    return false;
  }
  const int64_t frac = c->Fraction();
  if (!c->Zone(&offset) || !c->AtBoundary()) return false;
  return Combine(y, mo, d, tod, frac, offset, time_ns);
}

// 081109 203615
bool ParseHdfs(Cursor* c, int64_t* time_ns) {
  int y, mo, d, h, mi, s;
  if (!c->Digits(2, &y) || !c->Digits(2, &mo) || !c->Digits(2, &d) || !c->Char(' ') ||
      !c->Digits(2, &h) || !c->Digits(2, &mi) || !c->Digits(2, &s) || !c->AtBoundary()) {
    return false;
  }
  if (h > 23 || mi > 59 || s > 60) return false;
  return Combine(2000 + y, mo, d, h * 3600 + mi * 60 + s, 0, 0, time_ns);
}

// 17/06/09 20:10:40
bool ParseSpark(Cursor* c, int64_t* time_ns) {
  int y, mo, d;
  int64_t tod;
  if (!c->Digits(2, &y) || !c->Char('/') || !c->Digits(2, &mo) || !c->Char('/') ||
      !c->Digits(2, &d) || !c->Char(' ') || !c->TimeOfDay(&tod)) {
    return false;
  }
  const int64_t frac = c->Fraction();
  if (!c->AtBoundary()) return false;
  return Combine(2000 + y, mo, d, tod, frac, 0, time_ns);
}

// Jun  9 06:06:20
bool ParseSyslog(Cursor* c, int64_t* time_ns) {
  int mo, d;
  int64_t tod;
  if (!c->Name(kMonths, &mo) || !c->Char(' ')) return false;
  c->Char(' ');  // day padded with a space
  if (!c->ShortNumber(&d) || !c->Char(' ') || !c->TimeOfDay(&tod)) return false;
  const int64_t frac = c->Fraction();
  if (!c->AtBoundary()) return false;
  return Combine(kSyslogYear, mo + 1, d, tod, frac, 0, time_ns);
}

// Sun Dec 04 04:47:44 2005 (the '[' is already consumed)
bool ParseApache(Cursor* c, int64_t* time_ns) {
  int wd, mo, d, y;
  int64_t tod;
  if (!c->Name(kWeekdays, &wd) || !c->Char(' ') || !c->Name(kMonths, &mo) || !c->Char(' ')) {
    return false;
  }
  c->Char(' ');
  if (!c->ShortNumber(&d) || !c->Char(' ') || !c->TimeOfDay(&tod)) return false;
  const int64_t frac = c->Fraction();
  if (!c->Char(' ') || !c->Digits(4, &y) || !c->AtBoundary()) return false;
  return Combine(y, mo + 1, d, tod, frac, 0, time_ns);
}

// 17/May/2015:10:05:03 +0000 (the '[' is already consumed)
bool ParseCommonLog(Cursor* c, int64_t* time_ns) {
  int d, mo, y;
  int64_t tod, offset = 0;
  if (!c->Digits(2, &d) || !c->Char('/') || !c->Name(kMonths, &mo) || !c->Char('/') ||
      !c->Digits(4, &y) || !c->Char(':') || !c->TimeOfDay(&tod)) {
    return false;
  }
  const int64_t frac = c->Fraction();
  const size_t before_zone = c->pos();
  if (c->Char(' ')) {
    if (c->pos() < c->size() && (c->Peek() == '+' || c->Peek() == '-')) {
      if (!c->Zone(&offset)) return false;
    } else {
      c->Reset(before_zone);
    }
  }
  if (!c->AtBoundary()) return false;
  return Combine(y, mo + 1, d, tod, frac, offset, time_ns);
}

// 1117838570 or 1117838570.123: exactly ten digits, so 2001-09-09 .. 2286-11-20. Shorter or
// longer numbers are far more often counters, IDs or ms values than epoch seconds.
bool ParseEpochSeconds(Cursor* c, int64_t* time_ns) {
  int hi, lo;  // 10 digits overflow an int: 5 + 5
  if (c->pos() < c->size() && c->Peek() == '0') return false;
  if (!c->Digits(5, &hi) || !c->Digits(5, &lo)) return false;
  int64_t frac = 0;
  if (c->pos() + 1 < c->size() && c->Peek() == '.') frac = c->Fraction();
  if (!c->AtWordEnd()) return false;
  const int64_t seconds = int64_t{hi} * 100000 + lo;
  if (seconds > kMaxSeconds) return false;
  *time_ns = seconds * kNanosPerSecond + frac;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int month, int day) {
  // Howard Hinnant's days_from_civil: exact for the whole proleptic Gregorian calendar.
  y -= month <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

size_t ParseTimestampPrefix(std::string_view text, int64_t* time_ns) {
  Cursor c(text);
  const bool bracket = c.Char('[');
  const size_t start = c.pos();
  using Parser = bool (*)(Cursor*, int64_t*);
  for (Parser parse :
       {ParseIsoLike, ParseHdfs, ParseSpark, ParseSyslog, ParseApache, ParseEpochSeconds}) {
    c.Reset(start);
    int64_t t;
    if (parse(&c, &t)) {
      *time_ns = t;
      return c.pos();
    }
  }
  if (bracket) {
    c.Reset(start);
    int64_t t;
    if (ParseCommonLog(&c, &t)) {
      *time_ns = t;
      return c.pos();
    }
  }
  return 0;
}

bool ParseLogTimestamp(std::string_view line, int64_t* time_ns) {
  return ParseTimestampPrefix(line, time_ns) != 0;
}

bool FindLogTimestamp(std::string_view line, int64_t* time_ns) {
  auto is_space = [](char ch) { return ch == ' ' || ch == '\t'; };
  size_t pos = 0;
  for (int field = 0; field < kTimestampSearchFields; ++field) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    if (pos >= line.size() || pos >= kTimestampSearchBytes) return false;
    size_t start = pos;
    if (line[start] == '<') {  // syslog priority: "<34>Oct 11 22:14:15 …"
      size_t end = start + 1;
      while (end < line.size() && end - start <= 4 && IsDigit(line[end])) ++end;
      if (end > start + 1 && end < line.size() && line[end] == '>') start = end + 1;
    }
    if (ParseTimestampPrefix(line.substr(start), time_ns) != 0) return true;
    while (pos < line.size() && !is_space(line[pos])) ++pos;
  }
  return false;
}

std::string FormatRfc3339(int64_t time_ns, int frac_digits) {
  int64_t seconds = time_ns / kNanosPerSecond;
  int64_t nanos = time_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  int64_t days = seconds / 86400;
  int64_t sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Hinnant's civil_from_days.
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);

  char buf[64];
  int n = snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld",
                   static_cast<long long>(year), static_cast<long long>(month),
                   static_cast<long long>(day), static_cast<long long>(sod / 3600),
                   static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac_digits > 0) {
    if (frac_digits > 9) frac_digits = 9;
    snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(nanos));
    out.append(buf, static_cast<size_t>(frac_digits) + 1);
  }
  out.push_back('Z');
  return out;
}

}  // namespace trove::ingest
