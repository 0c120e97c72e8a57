// A fixed pool of worker threads for per-segment query work.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace trove::query {

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
  // the most useful work first (newest segments) see it started first. Thread-safe; nested
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
