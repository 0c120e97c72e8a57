#include "tests/crash/ledger.h"

namespace trove::crash {

int64_t Ledger::Reserve(int count) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t first = static_cast<int64_t>(fates_.size());
  fates_.resize(fates_.size() + count, Fate::kInDoubt);
  return first;
}

void Ledger::Settle(int64_t first, int count, Fate fate, const std::string& trace_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t id = first; id < first + count; ++id) {
    if (fate == Fate::kAcked && fates_[id] != Fate::kAcked) ++acked_;
    fates_[id] = fate;
  }
  batches_.push_back({first, count, trace_id, fate});
}

void Ledger::SettleOne(int64_t id, Fate fate) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fate == Fate::kAcked && fates_[id] != Fate::kAcked) ++acked_;
  if (fate != Fate::kAcked && fates_[id] == Fate::kAcked) --acked_;
  fates_[id] = fate;
}

int64_t Ledger::reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(fates_.size());
}

int64_t Ledger::acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_;
}

std::vector<Fate> Ledger::Fates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fates_;
}

std::vector<BatchRecord> Ledger::Batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

}  // namespace trove::crash
