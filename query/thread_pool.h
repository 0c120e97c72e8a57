// A fixed pool of worker threads for per-segment query work.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/status.h"

namespace trove::query {

// The first error of the tasks of one ParallelFor; later ones are dropped. Set and Failed are
// thread-safe; read `status` and `failed` once the tasks are done.
struct FirstError {
  std::mutex mu;
  Status status;
  bool failed = false;
  void Set(const Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    if (!failed) {
      status = s;
      failed = true;
    }
  }
  bool Failed() {
    std::lock_guard<std::mutex> lock(mu);
    return failed;
  }
};

class ThreadPool {
 public:
  // Starts `threads` workers (at least one).
  explicit ThreadPool(unsigned threads);
  // Finishes queued work, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }

  // Calls fn(i) for every i in [0, n), on the workers and the calling thread, and returns when
  // all calls have returned. Indexes are handed out in increasing order, so callers that put
  // the most useful work first (newest segments) see it started first. The workers are woken
  // only when the calls are still running after 50 µs on the caller. Thread-safe; nested
  // calls from inside fn run inline on the caller.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace trove::query
