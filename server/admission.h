// AdmissionControl: troved's limits under load. Every Search, Aggregate and GetTrace call takes
// a query slot, every ingest message takes its wire size out of an in-flight byte budget, every
// live tail takes a subscriber slot; and while the process's resident memory is above 90% of
// the memory budget, new queries and ingest messages are refused. A call that cannot be
// admitted gets ResourceExhausted with a message naming the limit, so an overloaded troved
// answers "retry later" instead of growing latency and memory until it dies.
//
// Waiting: a query waits for a slot, and an ingest message for room in the budget, up to
// queue_wait (or the call's deadline, if earlier), first come first served. At most
// max_queued_queries queries wait; one more is refused at once. Ingest waiters are bounded by
// the gRPC server's thread quota (server.cc).
//
// Memory: a thread samples RSS (/proc/self/statm) every memory_poll. Above the high-water mark
// it first asks malloc to return freed memory to the system (malloc_trim, at most once a
// second), so memory the allocator merely keeps does not lock the server out. Calls already
// running are never stopped.
//
// Thread-safe. The AdmissionControl must outlive its Tickets.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "server/config.h"
#include "storage/status.h"

namespace trove::server {

// The process's resident set size now (/proc/self/statm), in bytes; 0 when unreadable.
uint64_t ResidentBytes();
// The process's peak resident set size (VmHWM of /proc/self/status), in bytes; 0 when
// unreadable.
uint64_t PeakResidentBytes();

class AdmissionControl {
 public:
  struct Options {
    uint64_t max_concurrent_queries = 8;
    uint64_t max_queued_queries = 64;
    std::chrono::nanoseconds queue_wait = std::chrono::seconds(1);
    uint64_t max_inflight_ingest_bytes = uint64_t{256} << 20;
    uint64_t max_tail_subscribers = 64;
    // 0 turns the memory check (and its thread) off.
    uint64_t memory_budget_bytes = 0;
    // New calls are refused while RSS > memory_high_water * memory_budget_bytes. The 10% of
    // headroom is what calls already running may still allocate.
    double memory_high_water = 0.9;
    // Between RSS samples. 50 ms notices a burst before it grows far, for one cheap read.
    std::chrono::milliseconds memory_poll = std::chrono::milliseconds(50);
    // Reads RSS in bytes; tests inject one. Default: ResidentBytes.
    std::function<uint64_t()> rss;
  };
  // The options troved runs with.
  static Options FromConfig(const ServerConfig& config);

  // What Admin.Stats shows: what is in use now and, since start, what was admitted and what was
  // refused, by reason.
  struct Stats {
    uint64_t queries_running = 0;
    uint64_t queries_waiting = 0;
    uint64_t ingest_inflight_bytes = 0;
    uint64_t ingest_waiting = 0;
    uint64_t tail_subscribers = 0;
    uint64_t rss_bytes = 0;       // last sample (ResidentBytes() when the budget is off)
    uint64_t peak_rss_bytes = 0;  // PeakResidentBytes()
    uint64_t queries_admitted = 0;
    uint64_t ingest_admitted = 0;
    uint64_t rejected_queries_busy = 0;    // no query slot (queue full, or none in queue_wait)
    uint64_t rejected_ingest_busy = 0;     // no room in the in-flight budget within queue_wait
    uint64_t rejected_queries_memory = 0;  // RSS above the high-water mark
    uint64_t rejected_ingest_memory = 0;
    uint64_t rejected_tails = 0;               // max_tail_subscribers running
    uint64_t rejected_store_backpressure = 0;  // the store's buffer was full (CountBackpressure)
  };

  // An admission: holds a query slot, ingest bytes or a tail slot until destroyed (or
  // Release()). Movable; an empty Ticket holds nothing.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { Release(); }
    void Release();

   private:
    friend class AdmissionControl;
    enum class Kind { kNone, kQuery, kIngest, kTail };
    AdmissionControl* owner_ = nullptr;
    Kind kind_ = Kind::kNone;
    uint64_t bytes_ = 0;
  };

  explicit AdmissionControl(Options options);
  ~AdmissionControl();  // stops the memory thread
  AdmissionControl(const AdmissionControl&) = delete;
  AdmissionControl& operator=(const AdmissionControl&) = delete;

  // A query slot, waiting up to queue_wait or until `deadline`, whichever comes first.
  // ResourceExhausted: over the memory budget, the wait queue is full, or no slot came in time.
  Status AdmitQuery(std::chrono::system_clock::time_point deadline, Ticket* ticket);
  // Room for `bytes` of ingest requests, waiting likewise. A request larger than the whole
  // budget is admitted when nothing else is in flight. ResourceExhausted: over the memory
  // budget, or no room in time.
  Status AdmitIngest(uint64_t bytes, std::chrono::system_clock::time_point deadline,
                     Ticket* ticket);
  // A tail slot, without waiting. ResourceExhausted when max_tail_subscribers run.
  Status AdmitTail(Ticket* ticket);
  // Counts an ingest call the store refused for backpressure (its buffer is full).
  void CountBackpressure() { rejected_store_backpressure_.fetch_add(1); }

  // Takes an RSS sample now (the memory thread does every memory_poll); tests call it instead
  // of waiting. No-op when the budget is off.
  void SampleMemory();
  bool over_memory_budget() const { return over_budget_.load(std::memory_order_relaxed); }

  Stats GetStats() const;
  const Options& options() const { return options_; }

 private:
  // ResourceExhausted when over the memory budget; counts it in *rejected.
  Status CheckMemory(std::atomic<uint64_t>* rejected);
  void Release(Ticket* ticket);
  void MemoryLoop();

  const Options options_;
  const uint64_t high_water_bytes_;

  mutable std::mutex mu_;  // guards the members up to the counters
  std::condition_variable cv_;
  uint64_t queries_running_ = 0;
  std::list<uint64_t> query_waiters_;  // FIFO of waiting queries' numbers
  uint64_t ingest_bytes_ = 0;
  uint64_t ingest_running_ = 0;  // requests holding bytes
  std::list<uint64_t> ingest_waiters_;
  uint64_t tails_ = 0;
  uint64_t next_waiter_ = 1;
  bool stopping_ = false;

  std::mutex sample_mu_;  // serialises SampleMemory; guards the three below
  std::chrono::steady_clock::time_point last_trim_{};
  bool pressure_ = false;      // jemalloc's dirty-page decay is 0 (see SampleMemory)
  ssize_t normal_decay_ms_ = 0;  // the setting to restore
  std::atomic<uint64_t> rss_{0};
  std::atomic<bool> over_budget_{false};
  std::atomic<uint64_t> queries_admitted_{0}, ingest_admitted_{0};
  std::atomic<uint64_t> rejected_queries_busy_{0}, rejected_ingest_busy_{0};
  std::atomic<uint64_t> rejected_queries_memory_{0}, rejected_ingest_memory_{0};
  std::atomic<uint64_t> rejected_tails_{0}, rejected_store_backpressure_{0};
  std::thread memory_thread_;
};

}  // namespace trove::server
