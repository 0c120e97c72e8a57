#include "server/cancel_watcher.h"

#include <utility>

namespace trove::server {

CancelWatcher::CancelWatcher(std::chrono::milliseconds interval)
    : interval_(interval), thread_([this] { Loop(); }) {}

CancelWatcher::~CancelWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

CancelWatcher::Registration::Registration(Registration&& other) noexcept
    : watcher_(std::exchange(other.watcher_, nullptr)), id_(other.id_) {}

CancelWatcher::Registration& CancelWatcher::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    if (watcher_) watcher_->Unwatch(id_);
    watcher_ = std::exchange(other.watcher_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

CancelWatcher::Registration::~Registration() {
  if (watcher_) watcher_->Unwatch(id_);
}

CancelWatcher::Registration CancelWatcher::Watch(std::function<bool()> is_cancelled,
                                                 std::atomic<bool>* flag) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    entries_.emplace(id, Entry{std::move(is_cancelled), flag});
  }
  cv_.notify_all();
  return Registration(this, id);
}

void CancelWatcher::Unwatch(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(id);
}

void CancelWatcher::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (entries_.empty()) {
      cv_.wait(lock, [this] { return stopping_ || !entries_.empty(); });
      continue;
    }
    // Polling under mu_ is what makes Unwatch wait for a poll in progress.
    for (auto& [id, entry] : entries_) {
      if (!entry.flag->load(std::memory_order_relaxed) && entry.is_cancelled()) {
        entry.flag->store(true, std::memory_order_relaxed);
      }
    }
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace trove::server
