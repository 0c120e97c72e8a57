// trove: the command-line client of troved (DESIGN.md §5).
//
//   trove [--server ADDR] COMMAND [ARGS]        (run `trove help` for the commands)
//
// --server may appear anywhere; it defaults to $TROVE_SERVER, else 127.0.0.1:7070. Exit
// status: 0 on success, 1 for server and I/O errors (an unreachable server: "cannot reach
// troved at ADDR: …"), 2 for usage errors and queries the server refuses (its message names
// the position), 130 when interrupted (except tail, which Ctrl-C ends normally).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/cli_commands.h"

namespace {

constexpr char kUsage[] =
    "usage: trove [--server ADDR] COMMAND [ARGS]\n"
    "\n"
    "  ingest [--format jsonl|text] [--service NAME] [--multiline] [--batch N] FILE...|-\n"
    "        send log lines; prints accepted/rejected counts. The format is detected from\n"
    "        the first line when not given ('{' → jsonl). --multiline (text) joins indented\n"
    "        continuation lines such as stack traces to their event. --max-line-bytes N\n"
    "        rejects longer lines (default 1 MiB).\n"
    "  search QUERY [--since 1h | --from T --to T] [--limit N] [--json] [--explain]\n"
    "        [--timeout D]  matching events, newest first. T is RFC 3339, a date, now, or a\n"
    "        duration ago. A query with a stats pipe prints a table, as stats does.\n"
    "  trace ID [--json]              every event of a correlation ID: services, spans,\n"
    "        timeline (an unknown ID prints a note on stderr and exits 0)\n"
    "  stats QUERY [--since D | --from T --to T] [--json] [--explain]\n"
    "        an aggregation table, e.g. 'level:error | stats by (service) count()'\n"
    "  tail [QUERY] [--json]          new matching events as they arrive, until Ctrl-C\n"
    "  admin stats|segments|flush|compact|archive [--json]\n"
    "\n"
    "--server ADDR: troved's address (default $TROVE_SERVER, else 127.0.0.1:7070).\n"
    "--json: one JSON object per line (per event, row or segment), for scripts.\n"
    "Exit status: 0 ok, 1 server or I/O error, 2 usage or query error.\n";

}  // namespace

namespace trove::cli {

int UsageError(const std::string& problem) {
  fprintf(stderr, "trove: %s\n(run 'trove help' for usage)\n", problem.c_str());
  return kExitUsage;
}

}  // namespace trove::cli

int main(int argc, char** argv) {
  using namespace trove::cli;
  InstallInterruptHandling();  // first: before gRPC starts any thread

  CliEnv env;
  if (const char* s = std::getenv("TROVE_SERVER"); s != nullptr && *s != '\0') env.server = s;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {  // the rest belongs to the command
      args.insert(args.end(), argv + i, argv + argc);
      break;
    }
    if (arg == "--server") {
      if (i + 1 >= argc) return UsageError("--server needs an address (HOST:PORT)");
      env.server = argv[++i];
    } else if (arg.rfind("--server=", 0) == 0) {
      env.server = arg.substr(9);
    } else {
      args.push_back(arg);
    }
  }
  if (args.empty()) {
    fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  const bool help = command == "help" || command == "--help" || command == "-h" ||
                    std::find(args.begin(), args.end(), "--help") != args.end() ||
                    std::find(args.begin(), args.end(), "-h") != args.end();
  if (help) {
    fputs(kUsage, stdout);
    return kExitOk;
  }
  if (env.server.empty()) return UsageError("--server needs an address (HOST:PORT)");
  env.stdout_tty = isatty(STDOUT_FILENO) == 1;
  env.stderr_tty = isatty(STDERR_FILENO) == 1;
  env.channel = Connect(env.server);

  if (command == "ingest") return RunIngest(env, args);
  if (command == "search") return RunSearch(env, args);
  if (command == "trace") return RunTrace(env, args);
  if (command == "stats") return RunStats(env, args);
  if (command == "tail") return RunTail(env, args);
  if (command == "admin") return RunAdmin(env, args);
  return UsageError("unknown command '" + command + "'");
}
