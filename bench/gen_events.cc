// trove-gen-events: writes generated microservice events (bench/event_gen.h) to stdout as
// JSON lines, for end-to-end ingest runs through `trove ingest` and for peers.
//
//   trove-gen-events [--events N | --bytes N] [--seed N] [--start-now]
//                    [--loghub DIR [--loghub-percent P]]
//
// --bytes stops after about that many bytes (e.g. 1000000000 for the 1 GB run). --start-now
// dates the events so the last one is about now (the default starts 2024-01-01). --loghub
// gives P% (default 10) of the events a real message from the Loghub samples in DIR
// (../shared/data/loghub), numbers re-randomised; without it the output is unchanged.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "bench/event_gen.h"
#include "bench/loghub_loader.h"
#include "tools/event_json.h"

int main(int argc, char** argv) {
  uint64_t events = 0, bytes = 0, seed = 1, loghub_percent = 10;
  bool start_now = false;
  std::string loghub;
  const char* kUsage =
      "usage: trove-gen-events [--events N | --bytes N] [--seed N] [--start-now]\n"
      "                        [--loghub DIR [--loghub-percent P]]\n";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto number = [&]() -> uint64_t {
      if (i + 1 >= argc) {
        fprintf(stderr, "trove-gen-events: %s needs a number\n", a.c_str());
        exit(2);
      }
      char* end = nullptr;
      uint64_t v = strtoull(argv[++i], &end, 10);
      if (*end != '\0') {
        fprintf(stderr, "trove-gen-events: %s wants a number, got '%s'\n", a.c_str(), argv[i]);
        exit(2);
      }
      return v;
    };
    if (a == "--events") events = number();
    else if (a == "--bytes") bytes = number();
    else if (a == "--seed") seed = number();
    else if (a == "--start-now") start_now = true;
    else if (a == "--loghub" && i + 1 < argc) loghub = argv[++i];
    else if (a == "--loghub-percent") loghub_percent = number();
    else {
      fprintf(stderr, "%s", kUsage);
      return 2;
    }
  }
  if (loghub_percent > 100) {
    fprintf(stderr, "trove-gen-events: --loghub-percent wants 0..100\n");
    return 2;
  }
  if (events == 0 && bytes == 0) events = 100000;
  trove::bench::EventGenOptions options;
  options.seed = seed;
  if (!loghub.empty()) {
    trove::Status status;
    auto messages = std::make_shared<const std::vector<std::string>>(
        trove::bench::LoadLoghubMessages(loghub, 2000, 512, &status));
    if (!status.ok()) {
      fprintf(stderr, "trove-gen-events: %s\n", status.ToString().c_str());
      return 1;
    }
    fprintf(stderr, "trove-gen-events: %zu Loghub messages from %s for %llu%% of events\n",
            messages->size(), loghub.c_str(), static_cast<unsigned long long>(loghub_percent));
    options.extra_messages = std::move(messages);
    options.extra_message_percent = static_cast<uint32_t>(loghub_percent);
  }
  if (start_now) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // ~1 ms apart: start as far back as the run is long, so the events end about now.
    const uint64_t expected = events ? events : bytes / 380;
    options.start_ns = now - static_cast<int64_t>(expected) * options.mean_step_ns;
  }
  trove::bench::EventGenerator gen(options);
  uint64_t written = 0, n = 0;
  std::string line;
  while (events ? n < events : written < bytes) {
    line = trove::ingest::ToJsonLine(gen.Next());
    line.push_back('\n');
    if (fwrite(line.data(), 1, line.size(), stdout) != line.size()) return 1;
    written += line.size();
    ++n;
  }
  fprintf(stderr, "trove-gen-events: %llu events, %llu bytes\n",
          static_cast<unsigned long long>(n), static_cast<unsigned long long>(written));
  return 0;
}
