// The `trove` commands (DESIGN.md §5). Each takes the arguments after its name, prints its
// results on stdout and diagnostics on stderr, and returns the process exit status
// (kExitOk, kExitFailure, kExitUsage of tools/cli_client.h).
#pragma once

#include <string>
#include <vector>

#include "tools/cli_client.h"

namespace trove::cli {

// trove ingest [--format jsonl|text] [--service NAME] [--multiline] [--batch N]
//              [--max-line-bytes N] FILE...|-
int RunIngest(const CliEnv& env, const std::vector<std::string>& args);

// trove search QUERY [--since D | --from T --to T] [--limit N] [--json] [--explain]
int RunSearch(const CliEnv& env, const std::vector<std::string>& args);

// trove stats QUERY [--since D | --from T --to T] [--json] [--explain]
int RunStats(const CliEnv& env, const std::vector<std::string>& args);

// trove tail [QUERY] [--json]
int RunTail(const CliEnv& env, const std::vector<std::string>& args);

// trove trace ID [--json]
int RunTrace(const CliEnv& env, const std::vector<std::string>& args);

// trove admin stats|segments|flush|compact|archive [--json]
int RunAdmin(const CliEnv& env, const std::vector<std::string>& args);

// Prints "trove: <problem>" and a hint to run `trove help` on stderr; returns kExitUsage.
int UsageError(const std::string& problem);

}  // namespace trove::cli
