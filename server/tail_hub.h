// TailHub: fans newly acknowledged events out to live-tail subscribers (Trove.Tail).
//
// Ingest publishes the events of each successful Append; every subscriber has its own bounded
// queue and a compiled filter. A full queue drops the new events and counts them, so a slow
// reader costs neither server memory nor ingest latency; the reader learns how many it missed
// (TailResponse.dropped).
//
// Thread-safe. The hub must outlive its Subscriptions.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "query/matcher.h"
#include "storage/event.h"

namespace trove::server {

class TailHub {
 public:
  struct Options {
    // Events queued per subscriber before new ones are dropped. 10,000 events (a few MiB) ride
    // out a second-long hiccup of a reader at a busy ingest rate.
    size_t queue_events = 10000;
  };

  class Subscription {
   public:
    ~Subscription();  // unsubscribes
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // Waits up to `timeout` for queued events, then moves the oldest of them into *out
    // (cleared first): at most max_events, and no more once their approximate size reaches
    // max_bytes (but at least one) and sets *dropped to the events dropped since the last
    // call. Returns false once the hub is closed (server shutdown); queued events are then
    // abandoned. Called by one reader at a time.
    bool Next(std::chrono::milliseconds timeout, size_t max_events, size_t max_bytes,
              std::vector<Event>* out, uint64_t* dropped);

   private:
    friend class TailHub;
    Subscription(TailHub* hub, query::CompiledFilter filter)
        : hub_(hub), filter_(std::move(filter)) {}

    TailHub* const hub_;
    const query::CompiledFilter filter_;
    std::mutex mu_;  // guards the members below
    std::condition_variable cv_;
    std::deque<Event> queue_;
    uint64_t dropped_ = 0;
    bool closed_ = false;
  };

  explicit TailHub(const Options& options) : options_(options) {}
  TailHub(const TailHub&) = delete;
  TailHub& operator=(const TailHub&) = delete;

  // Events published from now on that match filter reach the subscription. After Close(), the
  // subscription starts closed.
  std::unique_ptr<Subscription> Subscribe(query::CompiledFilter filter);

  // Cheap; lets ingest skip copying events when nobody tails.
  bool HasSubscribers() const { return subscribers_.load(std::memory_order_relaxed) > 0; }

  // Queues each event for every subscriber whose filter matches it. Never blocks on readers.
  void Publish(const std::vector<Event>& events);

  // Wakes every subscriber; Next() returns false from now on. Idempotent.
  void Close();

 private:
  void Unsubscribe(Subscription* sub);

  const Options options_;
  std::atomic<size_t> subscribers_{0};
  std::mutex mu_;  // guards subs_ and closed_. Order: TailHub::mu_, then Subscription::mu_.
  std::vector<Subscription*> subs_;
  bool closed_ = false;
};

}  // namespace trove::server
