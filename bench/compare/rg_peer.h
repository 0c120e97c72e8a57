// ripgrep as a peer on the search rows: `rg -c` over the plain-text export (events.txt), one
// process per run, timed from spawn to exit. Words and phrases are `-i -w -F` (whole words,
// case-insensitive, as Trove's token-boundary match for ASCII text); the field + term and
// boolean rows are regexes over the line layout `TIME LEVEL SERVICE HOST trace=ID MESSAGE`;
// a trace lookup is `-F ID`. Aggregations are not rg's job ("n/a").
#pragma once

#include <string>
#include <vector>

#include "bench/compare/dataset.h"
#include "bench/compare/workload.h"
#include "storage/status.h"

namespace trove::bench::compare {

class RgPeer {
 public:
  explicit RgPeer(std::string rg) : rg_(std::move(rg)) {}

  static bool Supports(const Workload& w) { return w.search; }
  // The command line of one run (for the report and for Run).
  std::vector<std::string> Command(const Workload& w, const Dataset& data, size_t variant) const;
  // One run into *answer; *wall_ms is the process's wall time.
  Status Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer,
             double* wall_ms) const;

 private:
  std::string rg_;
};

}  // namespace trove::bench::compare
