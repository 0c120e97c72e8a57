// What every `trove` command shares: the connection to troved, the mapping of gRPC failures to
// messages and exit statuses (DESIGN.md §5), event conversion, and Ctrl-C handling.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "proto/trove.pb.h"
#include "storage/event.h"

namespace trove::cli {

// Exit statuses (DESIGN.md §5).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // server or I/O errors, an unreachable server
inline constexpr int kExitUsage = 2;    // usage errors and queries the server refuses

inline constexpr char kDefaultServer[] = "127.0.0.1:7070";

// Settings common to every command. Filled once in main; read-only afterwards.
struct CliEnv {
  std::string server = kDefaultServer;  // --server, else $TROVE_SERVER, else the default
  bool stdout_tty = false;              // human output is coloured only on a terminal
  bool stderr_tty = false;              // progress lines only on a terminal
  std::shared_ptr<grpc::Channel> channel;
};

// An insecure channel to server (troved has no TLS yet; it listens on loopback by default).
// Connects lazily: an unreachable server shows up as UNAVAILABLE on the first call.
std::shared_ptr<grpc::Channel> Connect(const std::string& server);

// Prints the failure of a call to stderr and returns the exit status for it:
//   INVALID_ARGUMENT   "trove: <server message>" (it names the position in a query)  → 2
//   UNAVAILABLE        "trove: cannot reach troved at ADDR: <detail>"                  → 1
//   anything else      "trove: <what> failed: <CODE>: <message>"                       → 1
// `what` names the call ("search").
int ReportRpcError(const CliEnv& env, const std::string& what, const grpc::Status& status);

// Events go into requests with trove::EventToProto (proto/event_convert.h): strings are made
// valid UTF-8 (U+FFFD replacements, DESIGN.md §1) on the way, as the server would store them.
// The event a proto describes.
Event EventFromProto(const v1::Event& in);

// Ctrl-C (SIGINT) and SIGTERM. InstallInterruptHandling blocks both in every thread and runs
// a watcher thread; REQUIRES: called first in main, before any other thread exists (threads
// inherit the blocked mask). On a signal the watcher calls the handler set by OnInterrupt, or,
// with none set, exits the process with status 130 (128 + SIGINT), as a shell would.
void InstallInterruptHandling();
// Sets (or with nullptr clears) the handler; it runs on the watcher thread and must not call
// OnInterrupt. Thread-safe; once a clearing call returns, the old handler is not running.
void OnInterrupt(std::function<void()> handler);

}  // namespace trove::cli
