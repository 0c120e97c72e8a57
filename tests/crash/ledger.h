// Ledger: what the crash loop's writers did with every event id, so the verifier can say which
// ids must be stored exactly once (acknowledged), at most once (sent, outcome unknown) or not at
// all (refused by the server, or never sent).
//
// Ids are dense from 0 in the order they are reserved. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace trove::crash {

// What a writer knows about an event it sent.
enum class Fate : uint8_t {
  kInDoubt,   // sent; the call failed in a way that does not say (the server was killed)
  kAcked,     // the call returned OK with the event accepted: must be stored exactly once
  kRefused,   // rejected, or the call failed with RESOURCE_EXHAUSTED: must not be stored
};

// The events of one ingest message; they share a trace id.
struct BatchRecord {
  int64_t first_id = 0;
  int32_t count = 0;
  std::string trace_id;
  Fate fate = Fate::kInDoubt;  // when the writer settled it
};

class Ledger {
 public:
  // Reserves `count` consecutive ids, all kInDoubt, and returns the first.
  int64_t Reserve(int count);
  // Records the outcome of the batch of ids [first, first + count) and remembers the batch (for
  // trace lookups and the all-or-nothing check of batches in doubt).
  void Settle(int64_t first, int count, Fate fate, const std::string& trace_id);
  // Changes one id's fate (an event the server rejected within an acknowledged batch).
  void SettleOne(int64_t id, Fate fate);

  int64_t reserved() const;
  int64_t acked() const;
  // Copies of the state, for the verifier (call when writers are quiet for a stable picture).
  std::vector<Fate> Fates() const;
  std::vector<BatchRecord> Batches() const;

 private:
  mutable std::mutex mu_;
  std::vector<Fate> fates_;
  int64_t acked_ = 0;
  std::vector<BatchRecord> batches_;
};

}  // namespace trove::crash
