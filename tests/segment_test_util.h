// Helpers shared by the segment tests: random events that exercise every column encoding and
// tokenizer corner, and whole-file read/write for byte-level corruption.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "storage/event.h"

namespace trove::testing {

constexpr int64_t kSegSecond = 1'000'000'000;
constexpr int64_t kSegNow = int64_t{1'750'000'000} * kSegSecond;

// Generates random events from small vocabularies, so that tokens, trace IDs and attribute
// values repeat across rows (postings with many rows) while some stay unique (short lists).
class RandomEventGenerator {
 public:
  explicit RandomEventGenerator(uint64_t seed) : rng_(seed) {
    for (int i = 0; i < 12; ++i) lower_ids_.push_back(Hex(32, false));
    for (int i = 0; i < 6; ++i) upper_ids_.push_back(Hex(32, true));
    // The same ID in both cases: two distinct trace IDs that must not meet.
    upper_ids_.push_back(ToUpper(lower_ids_[0]));
  }

  Event Next() {
    Event e;
    // Few distinct times, so that the writer's stable sort has many ties to keep in order.
    e.time_ns = kSegNow - 3600 * kSegSecond + static_cast<int64_t>(Uniform(40)) * 1000 +
                static_cast<int64_t>(Uniform(3)) * kSegSecond;
    e.service = Pick(std::vector<std::string>{"api", "db", "auth-service", "Frontend",
                                              "payments.v2", "", "Über-svc"});
    e.host = Pick(std::vector<std::string>{"host-1", "host-2", "10.0.0.3", "HOST_A", "", "мир"});
    e.level = static_cast<Level>(Uniform(kNumLevels));
    e.message = Message();
    e.trace_id = TraceId();
    if (Uniform(3) != 0) {
      e.span_id = Uniform(2) ? Hex(16, false) : "span-" + std::to_string(Uniform(9));
    }
    if (Uniform(3) == 0) {
      e.parent_span_id = Uniform(2) ? Hex(16, Uniform(2)) : "p" + std::to_string(Uniform(99));
    }
    const int nattrs = Uniform(4) == 0 ? 0 : static_cast<int>(Uniform(7));
    for (int i = 0; i < nattrs; ++i) e.attributes.push_back(RandomAttribute());
    return e;
  }

  std::string Message() {
    static const std::vector<std::string> kWords = {
        "ERROR:",
        "error",
        "Error",
        "blk_-123",
        "blk_-8775602795571523802",
        "user=42",
        "user_id=7",
        "café",
        "naïve",
        "Über",
        "日本語",
        "GET",
        "/api/v1/users",
        "10.0.0.1:8080",
        "timeout",
        "Connection",
        "refused",
        "x",
        "a-b_c",
        "--",
        "...",
        "k=v&k2=v2",
        "TRUE",
        "1.5e-10",
        "\xff\xfe",  // invalid UTF-8: NormalizeEvent turns it into U+FFFD
        "tab\there",
        "quote\"d",
        "emoji😀",
    };
    static const std::vector<std::string> kSeps = {" ", "  ", ", ", "\t", ":", "|", "\n"};
    if (Uniform(12) == 0) return "";
    std::string m;
    const int n = 1 + static_cast<int>(Uniform(12));
    for (int i = 0; i < n; ++i) {
      if (i > 0) m += Pick(kSeps);
      m += Pick(kWords);
    }
    if (Uniform(5) == 0) m += " n" + std::to_string(rng_());  // a token unique to this row
    return m;
  }

  std::string TraceId() {
    switch (Uniform(10)) {
      case 0:
      case 1:
        return "";
      case 2:
      case 3:
      case 4:
        return Pick(lower_ids_);
      case 5:
        return Pick(upper_ids_);
      case 6:
        return "req-abc-" + std::to_string(Uniform(8));
      case 7:
        return Pick(std::vector<std::string>{"abc", "aBcD12", "12345678", "0", "not hex!",
                                             "ABC-DEF", "ff"});
      case 8:
        return Hex(64, false);  // longest allowed, unique
      default:
        return Hex(2 * (1 + Uniform(8)), Uniform(2) != 0);
    }
  }

  Attribute RandomAttribute() {
    static const std::vector<std::string> kKeys = {
        // "us", "user", "user.id": field names that are prefixes of each other.
        "us",   "user", "user.id", "status", "latency", "ok",    "http.status",
        "path", "k",    "count",   "ratio",  "Tag",     "é_key", "z"};
    Attribute a;
    a.key = Pick(kKeys);
    switch (Uniform(4)) {
      case 0: {
        std::string s = Uniform(6) == 0 ? "" : Message();
        a.value = s;
        break;
      }
      case 1: {
        static const std::vector<int64_t> kInts = {0,
                                                   1,
                                                   -1,
                                                   42,
                                                   200,
                                                   404,
                                                   500,
                                                   std::numeric_limits<int64_t>::min(),
                                                   std::numeric_limits<int64_t>::max()};
        a.value = Uniform(3) == 0 ? static_cast<int64_t>(rng_()) : Pick(kInts);
        break;
      }
      case 2: {
        static const std::vector<double> kDoubles = {0.0,
                                                     -0.0,
                                                     1.5,
                                                     -2.25,
                                                     1e300,
                                                     -1e-300,
                                                     0.1,
                                                     3.0,
                                                     std::numeric_limits<double>::infinity(),
                                                     -std::numeric_limits<double>::infinity(),
                                                     std::numeric_limits<double>::denorm_min()};
        std::uniform_real_distribution<double> dist(-1e6, 1e6);
        a.value = Uniform(3) == 0 ? dist(rng_) : Pick(kDoubles);
        break;
      }
      default:
        a.value = Uniform(2) != 0;
        break;
    }
    return a;
  }

  std::string Hex(size_t n, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(digits[Uniform(16)]);
    return s;
  }

  uint64_t Uniform(uint64_t n) { return rng_() % n; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(v.size())];
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  static std::string ToUpper(std::string s) {
    for (char& c : s) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    }
    return s;
  }

  std::mt19937_64 rng_;
  std::vector<std::string> lower_ids_, upper_ids_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

}  // namespace trove::testing

namespace trove {

// Lets gtest print events readably in failure messages.
inline void PrintTo(const Event& e, std::ostream* os) {
  *os << "{time=" << e.time_ns << " level=" << LevelName(e.level) << " service='" << e.service
      << "' host='" << e.host << "' msg='" << e.message.substr(0, 80)
      << (e.message.size() > 80 ? "…" : "") << "' (" << e.message.size() << " bytes) trace='"
      << e.trace_id << "' span='" << e.span_id << "' parent='" << e.parent_span_id << "' attrs=[";
  for (size_t i = 0; i < e.attributes.size() && i < 20; ++i) {
    const Attribute& a = e.attributes[i];
    *os << (i ? ", " : "") << a.key << ":" << static_cast<int>(TypeOf(a.value)) << "="
        << ValueToString(a.value);
  }
  if (e.attributes.size() > 20) *os << ", … (" << e.attributes.size() << " in all)";
  *os << "]}";
}

}  // namespace trove
