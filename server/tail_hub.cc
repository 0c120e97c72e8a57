#include "server/tail_hub.h"

#include <algorithm>

namespace trove::server {

TailHub::Subscription::~Subscription() { hub_->Unsubscribe(this); }

bool TailHub::Subscription::Next(std::chrono::milliseconds timeout, size_t max_events,
                                 size_t max_bytes, std::vector<Event>* out, uint64_t* dropped) {
  out->clear();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return closed_ || !queue_.empty() || dropped_ > 0; });
  if (closed_) return false;
  size_t bytes = 0;
  while (!queue_.empty() && out->size() < max_events && (out->empty() || bytes < max_bytes)) {
    bytes += queue_.front().ApproximateSize();
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  *dropped = std::exchange(dropped_, 0);
  return true;
}

std::unique_ptr<TailHub::Subscription> TailHub::Subscribe(query::CompiledFilter filter) {
  std::unique_ptr<Subscription> sub(new Subscription(this, std::move(filter)));
  std::lock_guard<std::mutex> lock(mu_);
  sub->closed_ = closed_;
  subs_.push_back(sub.get());
  subscribers_.fetch_add(1, std::memory_order_relaxed);
  return sub;
}

void TailHub::Unsubscribe(Subscription* sub) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(subs_.begin(), subs_.end(), sub);
  if (it != subs_.end()) {
    subs_.erase(it);
    subscribers_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void TailHub::Publish(const std::vector<Event>& events) {
  if (events.empty() || !HasSubscribers()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (Subscription* sub : subs_) {
    // Match outside the subscriber's lock: its reader only ever waits on it briefly.
    std::vector<const Event*> matching;
    for (const Event& e : events) {
      if (sub->filter_.Matches(e)) matching.push_back(&e);
    }
    if (matching.empty()) continue;
    {
      std::lock_guard<std::mutex> sub_lock(sub->mu_);
      for (const Event* e : matching) {
        if (sub->queue_.size() >= options_.queue_events) {
          ++sub->dropped_;
        } else {
          sub->queue_.push_back(*e);
        }
      }
    }
    sub->cv_.notify_one();
  }
}

void TailHub::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (Subscription* sub : subs_) {
    {
      std::lock_guard<std::mutex> sub_lock(sub->mu_);
      sub->closed_ = true;
    }
    sub->cv_.notify_all();
  }
}

}  // namespace trove::server
