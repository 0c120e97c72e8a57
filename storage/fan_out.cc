#include "storage/fan_out.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace trove {
namespace {

class Helpers {
 public:
  explicit Helpers(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) std::thread([this] { Loop(); }).detach();
    size_ = threads;
  }
  unsigned size() const { return size_; }
  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  unsigned size_ = 0;
};

// Created on first use and never destroyed: the detached helpers may outlive static
// destructors at exit.
Helpers& Pool() {
  static Helpers* pool =
      new Helpers(std::min(3u, std::max(1u, std::thread::hardware_concurrency()) - 1));
  return *pool;
}

}  // namespace

unsigned FanOutHelpers() { return Pool().size(); }

void ParallelCalls::Work() {
  for (size_t i = next_.fetch_add(1); i < n_; i = next_.fetch_add(1)) {
    (*fn_)(i);
    if (done_.fetch_add(1) + 1 == n_) {
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_all();
    }
  }
}

bool ParallelCalls::WorkFor(std::chrono::nanoseconds budget) {
  const auto until = std::chrono::steady_clock::now() + budget;
  size_t ran = 0;
  while (next_.load() < n_) {
    const size_t i = next_.fetch_add(1);
    if (i >= n_) break;
    (*fn_)(i);
    if (done_.fetch_add(1) + 1 == n_) {
      std::lock_guard<std::mutex> lock(mu_);
      cv_.notify_all();
    }
    // Reading the clock costs about as much as a term lookup in a segment, so it is read after
    // the 1st, 2nd, 4th and 8th call and every 16th after: slow calls still wake the helpers
    // after the first, fast ones within about twice the budget.
    ++ran;
    if (((ran & (ran - 1)) == 0 || ran % 16 == 0) && std::chrono::steady_clock::now() >= until) {
      break;
    }
  }
  return next_.load() < n_;
}

void ParallelCalls::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_.load() == n_; });
}

void FanOut(size_t n, const std::function<void(size_t)>& fn) {
  Helpers& pool = Pool();
  if (n <= 1 || pool.size() == 0) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto calls = std::make_shared<ParallelCalls>(n, &fn);
  const size_t helpers = std::min<size_t>(pool.size(), n - 1);
  for (size_t h = 0; h < helpers; ++h) pool.Post([calls] { calls->Work(); });
  calls->Work();
  calls->Wait();
}

}  // namespace trove
