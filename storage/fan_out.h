// FanOut: a few independent reads of one request spread over the machine's cores.
#pragma once

#include <cstddef>
#include <functional>

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

}  // namespace trove
