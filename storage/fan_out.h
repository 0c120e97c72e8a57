// FanOut: a few independent reads of one request spread over the machine's cores.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace trove {

// Calls fn(i) for every i in [0, n) and returns when all calls have returned. The calling
// thread takes part, and up to n - 1 calls run on a small process-wide set of helper threads
// (one fewer than the cores, at most 3; none on one core), so fetching the columns of a trace's
// events decodes them side by side instead of one after another. Helpers never wait, so a
// FanOut from inside any thread (a query worker, another FanOut's fn) cannot deadlock: when the
// helpers are busy, the caller runs the calls itself.
void FanOut(size_t n, const std::function<void(size_t)>& fn);

// How many helper threads FanOut has (0: it runs everything on the caller).
unsigned FanOutHelpers();

// The calls fn(0) … fn(n - 1) of one parallel loop, for FanOut and query::ThreadPool: any
// thread may Work() (claim and run calls, in increasing order, until none is left), and Wait()
// returns once every call has returned. Share it through a shared_ptr with the helper threads:
// a helper that starts after the loop is done claims nothing and never touches fn, so the
// caller waits for the calls, never for a helper to wake up.
class ParallelCalls {
 public:
  ParallelCalls(size_t n, const std::function<void(size_t)>* fn) : n_(n), fn_(fn) {}
  void Work();
  // Works until no call is left or `budget` has passed (checked now and then: up to about
  // twice the budget when calls are short); true when calls are left (worth waking helpers
  // for: a loop of a few microseconds of calls is over before one wakes up).
  bool WorkFor(std::chrono::nanoseconds budget);
  void Wait();

 private:
  const size_t n_;
  const std::function<void(size_t)>* fn_;  // valid until every call has returned
  std::atomic<size_t> next_{0};
  std::atomic<size_t> done_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace trove
