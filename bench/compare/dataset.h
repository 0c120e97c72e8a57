// The benchmark's data set: generated microservice events (bench/event_gen.h) written once as
// JSON lines (what Trove, SQLite and DuckDB load) and as plain text (what rg searches), with
// 20 needle events and a sample of trace IDs, described by a small meta file so that a rerun
// of the same size and seed reuses the files instead of regenerating them.
//
// Files in the work directory:
//   events.jsonl  one event a line, tools/event_json.h ToJsonLine
//   events.txt    the same events, one a line:
//                 <RFC 3339 time> <LEVEL> <service|-> <host|-> trace=<id|-> <message>
//                 The message comes last with line breaks as spaces, so search words chosen
//                 from messages never match another field.
//   events.meta   key=value lines: size, seed, counts, needles, sampled trace IDs, services;
//                 written last, so an interrupted generation is redone.
//
// Generation streams: memory stays small whatever the size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/status.h"

namespace trove::bench::compare {

struct DatasetOptions {
  std::string work_dir;
  // Bytes of JSON lines to generate (the last event crosses it).
  uint64_t target_bytes = 1'000'000'000;
  uint64_t seed = 1;
  // Mix in Loghub templates when the generator supports it and this directory exists
  // (empty: off).
  std::string loghub_dir;
};

struct Dataset {
  std::string jsonl_path, text_path;
  uint64_t target_bytes = 0, seed = 0;
  bool loghub = false;
  uint64_t events = 0;
  uint64_t jsonl_bytes = 0, text_bytes = 0;
  // Needle tokens as written in the data ("zqxneedle7Kq"): each in exactly one message.
  std::vector<std::string> needles;
  // Trace IDs of events spread over the file.
  std::vector<std::string> traces;
  // Every service name that occurs ("" when some events have none).
  std::vector<std::string> services;
  bool reused = false;    // the files were there already
  double generate_s = 0;  // generation time (0 when reused)
};

inline constexpr int kNeedles = 20;
inline constexpr int kTraceSamples = 64;
// The needle of index k as the data holds it (mixed case: every system must fold case).
std::string NeedleToken(int k);

// Returns the data set of options, generating it unless the work directory holds one with the
// same size, seed and mix. IOError when files cannot be written.
Result<Dataset> PrepareDataset(const DatasetOptions& options);

}  // namespace trove::bench::compare
