// TrovedProcess: one troved child process for programs that drive the real server: the gRPC
// crash loop (kills and restarts it) and the side-by-side benchmark (bench/compare_bench.cc,
// which samples its memory). Its stdout and stderr go to a log file that every start appends
// to, so a failure can show what the server said across all its lives.
//
// Not thread-safe: one thread starts, kills and stops it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "storage/status.h"

namespace trove::harness {

class TrovedProcess {
 public:
  // `troved` is the binary; `args` are its flags except --listen (Start adds
  // "--listen 127.0.0.1:0" and reads the port troved picked from its first log line).
  TrovedProcess(std::string troved, std::vector<std::string> args, std::string log_path);
  ~TrovedProcess();  // SIGKILLs a running child

  TrovedProcess(const TrovedProcess&) = delete;
  TrovedProcess& operator=(const TrovedProcess&) = delete;

  // Starts troved and waits up to timeout_ms for its "troved listening on ADDR" line.
  // REQUIRES: not running. IOError (with the log's tail) when it exits or stays silent.
  Status Start(int timeout_ms);
  // "127.0.0.1:PORT" of the current (or last) run.
  const std::string& address() const { return address_; }
  bool running() const { return pid_ > 0; }
  // The child's process id while running (for /proc/PID/status), else -1.
  pid_t pid() const { return pid_; }

  // OK while the child has not exited; otherwise IOError saying how it ended (a crash of the
  // server on its own, e.g. a sanitizer report, is a failure of the test).
  Status CheckAlive();
  // SIGKILL and reap. REQUIRES: running.
  void Kill();
  // SIGTERM, then waits up to timeout_ms for exit status 0 (a clean shutdown). IOError
  // otherwise (the child is SIGKILLed if it is still there).
  Status Stop(int timeout_ms);

  // Descriptors the child holds open (/proc/PID/fd), or -1 when that cannot be read.
  int OpenFiles() const;

  // The last `lines` lines of the log, for failure messages.
  std::string LogTail(int lines) const;

 private:
  std::string troved_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace trove::harness
