// Running a peer program (rg, node) as a child process: its stdin fed from a string, its
// stdout captured, its stderr passed through, wall time measured from spawn to exit.
#pragma once

#include <string>
#include <vector>

#include "storage/status.h"

namespace trove::bench::compare {

struct ProcessResult {
  int exit_code = -1;  // the exit status; -1 when the child was killed by a signal
  std::string out;     // everything it wrote to stdout
  double wall_ms = 0;  // spawn to exit
};

// Runs argv (argv[0] is looked up on PATH when it has no '/'), writing `input` to its stdin
// and closing it. IOError when it cannot be started; any exit status is returned as is.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::string& input);

// The full path of an executable on PATH (or `name` itself when it holds a '/' and is
// executable); "" when there is none.
std::string FindExecutable(const std::string& name);

}  // namespace trove::bench::compare
