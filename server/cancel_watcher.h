// CancelWatcher: turns "the client went away" into the cancel flag the query engine polls
// (QueryOptions::cancel).
//
// The synchronous gRPC API has no cancellation callback, so one thread polls the predicate of
// every running query (ServerContext::IsCancelled, documented thread-safe for the sync API) a
// few times a second; idle, it sleeps. Queries check the flag per segment and per block, so a
// cancelled query stops within about one poll interval plus one block.
//
// Thread-safe. The watcher must outlive every Registration it hands out.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace trove::server {

class CancelWatcher {
 public:
  // interval: time between polls. 20 ms is far below a human's notice and costs nothing when
  // no query runs.
  explicit CancelWatcher(std::chrono::milliseconds interval = std::chrono::milliseconds(20));
  ~CancelWatcher();  // stops the thread
  CancelWatcher(const CancelWatcher&) = delete;
  CancelWatcher& operator=(const CancelWatcher&) = delete;

  // Unregisters on destruction (blocking while a poll of it is in progress, so is_cancelled
  // may refer to objects that live as long as the Registration). Movable.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    ~Registration();

   private:
    friend class CancelWatcher;
    Registration(CancelWatcher* watcher, uint64_t id) : watcher_(watcher), id_(id) {}
    CancelWatcher* watcher_ = nullptr;
    uint64_t id_ = 0;
  };

  // Sets *flag (once, to true) when is_cancelled() returns true, until the Registration dies.
  // Not owned: flag and whatever is_cancelled uses must outlive the Registration.
  [[nodiscard]] Registration Watch(std::function<bool()> is_cancelled, std::atomic<bool>* flag);

 private:
  struct Entry {
    std::function<bool()> is_cancelled;
    std::atomic<bool>* flag;
  };
  void Unwatch(uint64_t id);
  void Loop();

  const std::chrono::milliseconds interval_;
  std::mutex mu_;  // guards the members below; held during a poll
  std::condition_variable cv_;
  std::map<uint64_t, Entry> entries_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace trove::server
