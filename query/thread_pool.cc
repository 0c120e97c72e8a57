#include "query/thread_pool.h"

#include <atomic>
#include <memory>

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
  // Shared state outlives this call only through the helpers, which finish before we return.
  struct State {
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    size_t active = 0;
  };
  auto state = std::make_shared<State>();
  auto drain = [state, n, &fn] {
    for (size_t i; (i = state->next.fetch_add(1)) < n;) fn(i);
  };
  const size_t helpers = std::min<size_t>(workers_.size(), n - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    state->active = helpers;
    for (size_t h = 0; h < helpers; ++h) {
      queue_.emplace_back([state, drain] {
        drain();
        std::lock_guard<std::mutex> l(state->mu);
        if (--state->active == 0) state->cv.notify_all();
      });
    }
  }
  cv_.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait(lock, [&] { return state->active == 0; });
}

}  // namespace trove::query
