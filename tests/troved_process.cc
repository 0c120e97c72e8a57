#include "tests/troved_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace trove::harness {
namespace {

std::string ReadFrom(const std::string& path, std::streamoff offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(offset);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::streamoff FileSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<std::streamoff>(in.tellg()) : 0;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

TrovedProcess::TrovedProcess(std::string troved, std::vector<std::string> args,
                             std::string log_path)
    : troved_(std::move(troved)), args_(std::move(args)), log_path_(std::move(log_path)) {}

TrovedProcess::~TrovedProcess() {
  if (running()) Kill();
}

Status TrovedProcess::Start(int timeout_ms) {
  if (running()) return Status::InvalidArgument("troved is already running");
  const std::streamoff offset = FileSize(log_path_);
  std::vector<std::string> argv_strings = {troved_};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  argv_strings.insert(argv_strings.end(), {"--listen", "127.0.0.1:0"});
  // Built before fork: between fork and exec the child of a multi-threaded process may only
  // make async-signal-safe calls.
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Status::IOError("fork failed");
  if (pid == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;

  const std::string prefix = "troved listening on ";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = ReadFrom(log_path_, offset);
    if (size_t at = text.find(prefix); at != std::string::npos) {
      const size_t end = text.find(',', at);
      if (end != std::string::npos) {
        address_ = text.substr(at + prefix.size(), end - at - prefix.size());
        return Status::OK();
      }
    }
    if (Status s = CheckAlive(); !s.ok()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Kill();
  return Status::IOError("troved did not report its address within " + std::to_string(timeout_ms) +
                         " ms; log:\n" + LogTail(20));
}

Status TrovedProcess::CheckAlive() {
  if (!running()) return Status::IOError("troved is not running");
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return Status::OK();
  pid_ = -1;
  return Status::IOError("troved " + DescribeExit(status) + " on its own; log:\n" + LogTail(30));
}

void TrovedProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

Status TrovedProcess::Stop(int timeout_ms) {
  if (!running()) return Status::IOError("troved is not running");
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
      return Status::IOError("troved " + DescribeExit(status) + " after SIGTERM; log:\n" +
                             LogTail(30));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return Status::IOError("troved did not exit within " + std::to_string(timeout_ms) +
                         " ms of SIGTERM; log:\n" + LogTail(30));
}

int TrovedProcess::OpenFiles() const {
  if (!running()) return -1;
  std::error_code ec;
  int n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

std::string TrovedProcess::LogTail(int lines) const {
  const std::string text = ReadFrom(log_path_, 0);
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;  // the final newline ends the last line
  for (int n = 0; n < lines; ++n) {
    const size_t nl = at == 0 ? std::string::npos : text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return text.substr(at + 1);
}

}  // namespace trove::harness
