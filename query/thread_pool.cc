#include "query/thread_pool.h"

#include <memory>

#include "storage/fan_out.h"

namespace trove::query {

namespace {
thread_local bool in_worker = false;
}

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::WorkerLoop() {
  in_worker = true;
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n == 1 || in_worker) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto calls = std::make_shared<ParallelCalls>(n, &fn);
  // The first 50 µs on the caller alone: many queries touch ~200 segments for a microsecond
  // each (a term absent from most), and waking workers for that costs more than it saves.
  if (calls->WorkFor(std::chrono::microseconds(50))) {
    const size_t helpers = std::min<size_t>(workers_.size(), n - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t h = 0; h < helpers; ++h) queue_.emplace_back([calls] { calls->Work(); });
    }
    cv_.notify_all();
    calls->Work();
  }
  calls->Wait();
}

}  // namespace trove::query
