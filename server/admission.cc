#include "server/admission.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

// jemalloc's control call: defined when troved links jemalloc (server/CMakeLists.txt), a null
// weak reference in every other binary.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace trove::server {

namespace {

// "950MiB", "12KiB", "100B": rounded, for messages (FormatSize shows exact values only).
std::string Mib(uint64_t bytes) {
  if (bytes >= (1 << 20)) return std::to_string((bytes + (1 << 19)) >> 20) + "MiB";
  if (bytes >= (1 << 10)) return std::to_string((bytes + (1 << 9)) >> 10) + "KiB";
  return std::to_string(bytes) + "B";
}

// "1 query running, 3 waiting".
std::string Queries(uint64_t running, uint64_t waiting) {
  return std::to_string(running) + (running == 1 ? " query" : " queries") + " running, " +
         std::to_string(waiting) + " waiting";
}

std::string Duration(std::chrono::nanoseconds d) { return FormatDurationSetting(d.count()); }

// The time to stop waiting: queue_wait from now, or the call's deadline when earlier.
std::chrono::steady_clock::time_point WaitUntil(std::chrono::nanoseconds queue_wait,
                                                std::chrono::system_clock::time_point deadline) {
  const auto now = std::chrono::steady_clock::now();
  auto wait = queue_wait;
  if (deadline != std::chrono::system_clock::time_point::max()) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        deadline - std::chrono::system_clock::now());
    wait = std::max(std::chrono::nanoseconds(0), std::min(wait, left));
  }
  return now + wait;
}

}  // namespace

uint64_t ResidentBytes() {
  // statm: size resident shared text lib data dt, in pages. One short read, no allocation.
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = fscanf(f, "%llu %llu", &size, &resident);
  fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t PeakResidentBytes() {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  uint64_t kib = 0;
  while (fgets(line, sizeof line, f) != nullptr) {
    unsigned long long v = 0;
    if (strncmp(line, "VmHWM:", 6) == 0 && sscanf(line + 6, "%llu", &v) == 1) {
      kib = v;
      break;
    }
  }
  fclose(f);
  return kib * 1024;
}

AdmissionControl::Options AdmissionControl::FromConfig(const ServerConfig& c) {
  Options o;
  o.max_concurrent_queries = c.max_concurrent_queries;
  o.max_queued_queries = c.max_queued_queries;
  o.queue_wait = std::chrono::nanoseconds(c.queue_wait_ns);
  o.max_inflight_ingest_bytes = c.max_inflight_ingest_bytes;
  o.max_tail_subscribers = c.max_tail_subscribers;
  o.memory_budget_bytes = c.memory_budget_bytes;
  return o;
}

AdmissionControl::Ticket& AdmissionControl::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    kind_ = other.kind_;
    bytes_ = other.bytes_;
    other.owner_ = nullptr;
    other.kind_ = Kind::kNone;
    other.bytes_ = 0;
  }
  return *this;
}

void AdmissionControl::Ticket::Release() {
  if (owner_ != nullptr) owner_->Release(this);
  owner_ = nullptr;
  kind_ = Kind::kNone;
  bytes_ = 0;
}

AdmissionControl::AdmissionControl(Options options)
    : options_(std::move(options)),
      high_water_bytes_(static_cast<uint64_t>(options_.memory_high_water *
                                              static_cast<double>(options_.memory_budget_bytes))) {
  if (options_.memory_budget_bytes != 0) {
    SampleMemory();
    memory_thread_ = std::thread([this] { MemoryLoop(); });
  }
}

AdmissionControl::~AdmissionControl() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (memory_thread_.joinable()) memory_thread_.join();
}

namespace {

// Returns the allocator's free pages to the kernel: jemalloc's when troved links it (its
// mallctl is then defined; the weak reference is null otherwise), else glibc's.
void ReleaseFreeMemory() {
  if (mallctl != nullptr) {
    // "arena.<MALLCTL_ARENAS_ALL>.purge"; MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
  malloc_trim(0);
}

// jemalloc hands freed pages back to the kernel after dirty_decay_ms (troved: 1 s). Under memory
// pressure that second of freed-but-resident pages is what pushes a busy server past its
// budget, so the decay is set to 0 (pages go back as they are freed, for some CPU) while RSS is
// high and restored once it is low again. Returns the setting it replaced (-2 when there is no
// jemalloc or the call failed).
ssize_t SetDirtyDecay(ssize_t ms) {
  if (mallctl == nullptr) return -2;
  ssize_t old = -2;
  size_t old_len = sizeof(old);
  if (mallctl("arenas.dirty_decay_ms", &old, &old_len, &ms, sizeof(ms)) != 0) return -2;
  unsigned arenas = 0;
  size_t len = sizeof(arenas);
  if (mallctl("arenas.narenas", &arenas, &len, nullptr, 0) != 0) return old;
  for (unsigned i = 0; i < arenas; ++i) {
    // Arenas not created yet answer an error; they start from the default set above.
    const std::string name = "arena." + std::to_string(i) + ".dirty_decay_ms";
    mallctl(name.c_str(), nullptr, nullptr, &ms, sizeof(ms));
  }
  return old;
}

// How often ReleaseFreeMemory may run while RSS is above the mark. jemalloc's purge only
// returns pages it already holds free, cheap enough for every sample; glibc's malloc_trim walks
// every chunk of every arena.
std::chrono::milliseconds ReleaseInterval() {
  return std::chrono::milliseconds(mallctl != nullptr ? 0 : 1000);
}

}  // namespace

void AdmissionControl::SampleMemory() {
  if (options_.memory_budget_bytes == 0) return;
  std::lock_guard<std::mutex> lock(sample_mu_);
  const auto& read = options_.rss ? options_.rss : ResidentBytes;
  uint64_t rss = read();
  // Pressure mode (jemalloc only): from 3/4 of the budget until RSS is back under 3/5.
  if (!pressure_ && rss > options_.memory_budget_bytes / 4 * 3) {
    const ssize_t normal = SetDirtyDecay(0);
    if (normal != -2) {
      pressure_ = true;
      normal_decay_ms_ = normal;
      ReleaseFreeMemory();
      rss = read();
    }
  } else if (pressure_ && rss < options_.memory_budget_bytes / 5 * 3) {
    SetDirtyDecay(normal_decay_ms_);
    pressure_ = false;
  }
  if (rss > high_water_bytes_) {
    // Freed memory the allocator keeps counts as resident; hand it back before refusing calls
    // for it.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_trim_ >= ReleaseInterval()) {
      last_trim_ = now;
      ReleaseFreeMemory();
      rss = read();
    }
  }
  rss_.store(rss, std::memory_order_relaxed);
  over_budget_.store(rss > high_water_bytes_, std::memory_order_relaxed);
}

void AdmissionControl::MemoryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.memory_poll);
    if (stopping_) break;
    lock.unlock();
    SampleMemory();
    lock.lock();
  }
}

Status AdmissionControl::CheckMemory(std::atomic<uint64_t>* rejected) {
  if (!over_budget_.load(std::memory_order_relaxed)) return Status::OK();
  rejected->fetch_add(1);
  return Status::ResourceExhausted("memory budget: RSS " + Mib(rss_.load()) + " of " +
                                   FormatSize(options_.memory_budget_bytes) +
                                   " (--memory-budget); retry later");
}

Status AdmissionControl::AdmitQuery(std::chrono::system_clock::time_point deadline,
                                    Ticket* ticket) {
  ticket->Release();  // before mu_: releasing takes it
  TROVE_RETURN_IF_ERROR(CheckMemory(&rejected_queries_memory_));
  std::unique_lock<std::mutex> lock(mu_);
  auto admit = [&] {
    ++queries_running_;
    queries_admitted_.fetch_add(1);
    ticket->owner_ = this;
    ticket->kind_ = Ticket::Kind::kQuery;
    return Status::OK();
  };
  if (queries_running_ < options_.max_concurrent_queries && query_waiters_.empty()) {
    return admit();
  }
  auto busy = [&](const std::string& why) {
    rejected_queries_busy_.fetch_add(1);
    return Status::ResourceExhausted(
        "server busy: " + Queries(queries_running_, query_waiters_.size()) + why + "; retry later");
  };
  if (query_waiters_.size() >= options_.max_queued_queries) {
    return busy(" (--max-concurrent-queries " + std::to_string(options_.max_concurrent_queries) +
                ", --max-queued-queries " + std::to_string(options_.max_queued_queries) + ")");
  }
  const uint64_t me = next_waiter_++;
  auto it = query_waiters_.insert(query_waiters_.end(), me);
  const auto until = WaitUntil(options_.queue_wait, deadline);
  const bool got = cv_.wait_until(lock, until, [&] {
    return stopping_ ||
           (queries_running_ < options_.max_concurrent_queries && query_waiters_.front() == me);
  });
  query_waiters_.erase(it);
  // The next in line may be able to go now (or be the new head after a timeout).
  cv_.notify_all();
  if (got && !stopping_) return admit();
  return busy(", no slot within " + Duration(options_.queue_wait) + " (--max-concurrent-queries " +
              std::to_string(options_.max_concurrent_queries) + ", --queue-wait)");
}

Status AdmissionControl::AdmitIngest(uint64_t bytes, std::chrono::system_clock::time_point deadline,
                                     Ticket* ticket) {
  ticket->Release();
  TROVE_RETURN_IF_ERROR(CheckMemory(&rejected_ingest_memory_));
  std::unique_lock<std::mutex> lock(mu_);
  auto fits = [&] {
    return ingest_running_ == 0 || ingest_bytes_ + bytes <= options_.max_inflight_ingest_bytes;
  };
  auto admit = [&] {
    ingest_bytes_ += bytes;
    ++ingest_running_;
    ingest_admitted_.fetch_add(1);
    ticket->owner_ = this;
    ticket->kind_ = Ticket::Kind::kIngest;
    ticket->bytes_ = bytes;
    return Status::OK();
  };
  if (ingest_waiters_.empty() && fits()) return admit();
  const uint64_t me = next_waiter_++;
  auto it = ingest_waiters_.insert(ingest_waiters_.end(), me);
  const auto until = WaitUntil(options_.queue_wait, deadline);
  const bool got = cv_.wait_until(
      lock, until, [&] { return stopping_ || (ingest_waiters_.front() == me && fits()); });
  ingest_waiters_.erase(it);
  cv_.notify_all();
  if (got && !stopping_) return admit();
  rejected_ingest_busy_.fetch_add(1);
  return Status::ResourceExhausted(
      "server busy: " + Mib(ingest_bytes_) + " of ingest requests in flight, this one " +
      Mib(bytes) + "; no room within " + Duration(options_.queue_wait) +
      " (--max-inflight-ingest-bytes " + FormatSize(options_.max_inflight_ingest_bytes) +
      "); retry later");
}

Status AdmissionControl::AdmitTail(Ticket* ticket) {
  ticket->Release();
  std::lock_guard<std::mutex> lock(mu_);
  if (tails_ >= options_.max_tail_subscribers) {
    rejected_tails_.fetch_add(1);
    return Status::ResourceExhausted("server busy: " + std::to_string(tails_) +
                                     (tails_ == 1 ? " live tail" : " live tails") +
                                     " running (--max-tail-subscribers); retry later");
  }
  ++tails_;
  ticket->owner_ = this;
  ticket->kind_ = Ticket::Kind::kTail;
  return Status::OK();
}

void AdmissionControl::Release(Ticket* ticket) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (ticket->kind_) {
      case Ticket::Kind::kQuery:
        --queries_running_;
        break;
      case Ticket::Kind::kIngest:
        ingest_bytes_ -= ticket->bytes_;
        --ingest_running_;
        break;
      case Ticket::Kind::kTail:
        --tails_;
        return;  // nobody waits for a tail slot
      case Ticket::Kind::kNone:
        return;
    }
  }
  cv_.notify_all();
}

AdmissionControl::Stats AdmissionControl::GetStats() const {
  Stats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.queries_running = queries_running_;
    s.queries_waiting = query_waiters_.size();
    s.ingest_inflight_bytes = ingest_bytes_;
    s.ingest_waiting = ingest_waiters_.size();
    s.tail_subscribers = tails_;
  }
  s.rss_bytes = options_.memory_budget_bytes != 0 ? rss_.load() : ResidentBytes();
  s.peak_rss_bytes = PeakResidentBytes();
  s.queries_admitted = queries_admitted_.load();
  s.ingest_admitted = ingest_admitted_.load();
  s.rejected_queries_busy = rejected_queries_busy_.load();
  s.rejected_ingest_busy = rejected_ingest_busy_.load();
  s.rejected_queries_memory = rejected_queries_memory_.load();
  s.rejected_ingest_memory = rejected_ingest_memory_.load();
  s.rejected_tails = rejected_tails_.load();
  s.rejected_store_backpressure = rejected_store_backpressure_.load();
  return s;
}

}  // namespace trove::server
