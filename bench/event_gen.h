// A deterministic generator of microservice log events for the benchmarks (DESIGN.md §6):
// 20 services of an online shop, realistic message templates (access-log lines, SQL, cache
// hits and misses, payment declines, timeouts, stack traces), ~85% INFO / 8% DEBUG / 5% WARN /
// 2% ERROR, attributes user.id, client.ip, http.route, http.status, latency_ms, and 16-byte
// hex trace IDs shared by the 5–50 events of one request across the services it touches, with
// span and parent span IDs forming the request's call tree. Events of ~32 requests in flight
// interleave; timestamps increase ~1 ms apart. As JSON lines (ToJsonLine) an event is
// ~300–500 bytes.
//
// The same options give the same events on every platform (own PRNG, integer arithmetic).
// Not thread-safe: use one generator per thread (different seeds).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/event.h"

namespace trove::bench {

struct EventGenOptions {
  // Different seeds give independent streams (used for one generator per ingest thread).
  uint64_t seed = 1;
  // Time of the first event; default 2024-01-01T00:00:00Z.
  int64_t start_ns = int64_t{1704067200} * 1'000'000'000;
  // Mean gap between consecutive events (uniform in [0.5, 1.5] × this).
  int64_t mean_step_ns = 1'000'000;
  // Distinct user IDs "u0" … "u49999"; client IPs follow the user.
  uint32_t users = 50000;
  // Requests in flight whose events interleave in the output.
  uint32_t concurrent_requests = 32;
  // Real log messages (e.g. LoadLoghubMessages in bench/loghub_loader.h) for variety: when
  // not empty, extra_message_percent % of the events take one of them, picked uniformly, as
  // their message, with its numbers, hex IDs, IPs and times re-randomised per event
  // (ReRandomiseNumbers); service, level, IDs and attributes stay the generator's. Shared so
  // that one generator per ingest thread does not copy the list. Null or empty (the default),
  // or a percent of 0, leaves the stream exactly what it is without the option.
  std::shared_ptr<const std::vector<std::string>> extra_messages;
  // Share of events (0–100) given an extra message; 10 keeps the shop's templates dominant.
  uint32_t extra_message_percent = 10;
};

// xoshiro256** seeded through splitmix64: fast, and the same sequence everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability percent / 100.
  bool Percent(uint32_t percent) { return Uniform(100) < percent; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(N)];
  }

 private:
  uint64_t s_[4];
};

// A copy of message with each number, hex ID, IPv4 address and time of day replaced by a
// random one of the same shape, drawn from rng: a run of 2+ digits keeps its length and
// whether it starts with 0 ("blk_-4875138366845786590", "0020"); a run of 4+ hex digits with
// both a digit and a letter keeps its length and case ("113d3a99c3da", "0x1f3a" after "0x");
// "10.251.73.220" becomes another address and "14:44:35" another time. Single digits
// ("HTTP/1.1", "slot 6") and words mixing other letters with digits ("x86", "log4j", "R02")
// are kept: they are names, not values.
std::string ReRandomiseNumbers(std::string_view message, Rng* rng);

class EventGenerator {
 public:
  explicit EventGenerator(const EventGenOptions& options = {});
  ~EventGenerator();
  EventGenerator(const EventGenerator&) = delete;
  EventGenerator& operator=(const EventGenerator&) = delete;

  // The next event of the stream.
  Event Next();
  // Appends the next n events to out.
  void Fill(size_t n, std::vector<Event>* out);

  // The names of the generated services.
  static std::vector<std::string_view> Services();

 private:
  struct Request;
  std::unique_ptr<Request> NewRequest();

  EventGenOptions options_;
  Rng rng_;
  int64_t now_ns_;
  uint64_t next_order_ = 8'100'000;
  std::vector<std::unique_ptr<Request>> active_;
};

}  // namespace trove::bench
