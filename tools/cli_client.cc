#include "tools/cli_client.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <thread>

namespace trove::cli {

namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "OK";
  }
}

std::mutex interrupt_mu;
std::function<void()> interrupt_handler;

}  // namespace

std::shared_ptr<grpc::Channel> Connect(const std::string& server) {
  grpc::ChannelArguments args;
  // Results can be large (a 10000-row search of long lines); the server bounds them itself.
  args.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
}

int ReportRpcError(const CliEnv& env, const std::string& what, const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      fprintf(stderr, "trove: %s\n", status.error_message().c_str());
      return kExitUsage;
    case grpc::StatusCode::UNAVAILABLE:
      fprintf(stderr, "trove: cannot reach troved at %s: %s\n", env.server.c_str(),
              status.error_message().c_str());
      return kExitFailure;
    default:
      fprintf(stderr, "trove: %s failed: %s: %s\n", what.c_str(), CodeName(status.error_code()),
              status.error_message().c_str());
      return kExitFailure;
  }
}

Event EventFromProto(const v1::Event& in) {
  Event e;
  e.time_ns = in.time_ns();
  e.service = in.service();
  const int level = static_cast<int>(in.level());
  e.level = level >= 0 && level < kNumLevels ? static_cast<Level>(level) : Level::kUnknown;
  e.host = in.host();
  e.message = in.message();
  e.trace_id = in.trace_id();
  e.span_id = in.span_id();
  e.parent_span_id = in.parent_span_id();
  e.attributes.reserve(static_cast<size_t>(in.attributes_size()));
  for (const v1::Attribute& a : in.attributes()) {
    AttrValue value;
    switch (a.value().kind_case()) {
      case v1::Value::kIntValue:
        value = a.value().int_value();
        break;
      case v1::Value::kDoubleValue:
        value = a.value().double_value();
        break;
      case v1::Value::kBoolValue:
        value = a.value().bool_value();
        break;
      default:
        value = a.value().string_value();
    }
    e.attributes.push_back(Attribute{a.key(), std::move(value)});
  }
  return e;
}

void InstallInterruptHandling() {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // sigwait on a thread of our own, since the handler may call into gRPC (TryCancel), which
  // is not async-signal-safe.
  std::thread([] {
    while (true) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      // The handler runs under the lock, so that once OnInterrupt(nullptr) returns no handler
      // is running or will run (handlers reference their caller's stack).
      std::lock_guard<std::mutex> lock(interrupt_mu);
      if (interrupt_handler) {
        interrupt_handler();
      } else {
        fflush(stdout);
        _exit(128 + sig);
      }
    }
  }).detach();
}

void OnInterrupt(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(interrupt_mu);
  interrupt_handler = std::move(handler);
}

}  // namespace trove::cli
