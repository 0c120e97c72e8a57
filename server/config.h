// ServerConfig: everything troved can be told, from command-line flags and an optional
// config file of `key = value` lines. Defaults work with no arguments (DESIGN.md §5).
//
// Precedence: built-in defaults < the config file (--config FILE) < flags. Every error names
// the flag or the file and line that was wrong; troved exits 2 on them.
//
// Plain data and free functions: thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace trove::server {

struct ServerConfig {
  // The store directory (created when missing). Relative to the working directory, so that
  // `troved` with no arguments keeps its data beside where it was started.
  std::string data_dir = "./trove-data";
  // gRPC listen address, "HOST:PORT" (port 0 picks a free port; TroveServer::address() says
  // which) or "unix:PATH". Loopback by default: the API has no authentication yet.
  std::string listen = "127.0.0.1:7070";

  // ---- storage (StoreOptions) ----
  // Width of a time partition. An hour keeps busy services' segments a useful size while letting
  // time filters skip whole files.
  int64_t partition_ns = int64_t{3600} * 1'000'000'000;
  // Buffered bytes that trigger a flush into segments (StoreOptions::flush_bytes).
  uint64_t flush_bytes = 32 << 20;
  // Buffered events older than this are flushed even when the buffer is small.
  int64_t flush_age_ns = int64_t{10} * 1'000'000'000;
  // Larger events are rejected one by one with a reason (DESIGN.md §1: 1 MiB).
  uint64_t max_event_bytes = 1 << 20;

  // ---- request limits ----
  // Largest request message gRPC accepts. 64 MiB holds a max_batch_events batch of typical
  // 300–500-byte events with room to spare, while bounding the memory one call can pin.
  uint64_t max_message_bytes = 64 << 20;
  // Ingest batches with more events fail with INVALID_ARGUMENT; bounds one Append's memory and
  // latency (clients split larger inputs).
  uint64_t max_batch_events = 100000;
  // Longest a query may run; a request's timeout_ms can only shorten it. 30 s stops runaway
  // regex scans without cutting off honest day-wide aggregations.
  int64_t max_query_ns = int64_t{30} * 1'000'000'000;
  // Most events a search returns and most rows an aggregation may produce; keeps one answer to
  // a few MiB.
  uint64_t max_result_rows = 10000;
  // Events a search returns when the request says limit = 0.
  uint64_t default_search_limit = 100;

  // ---- live tail ----
  // Events queued per tail subscriber before new ones are dropped (and counted in
  // TailResponse.dropped): a slow reader must not grow server memory or slow ingest.
  uint64_t tail_queue_events = 10000;

  // ---- lifecycle ----
  // Worker threads for per-segment query work; 0 means one per hardware thread.
  unsigned query_threads = 0;
  // How long Shutdown lets in-flight calls finish before cancelling them.
  int64_t shutdown_grace_ns = int64_t{5} * 1'000'000'000;
};

// Parses command-line arguments (argv without the program name) over the defaults: first the
// file named by --config, then every flag. Sets *help when --help/-h is given (nothing else is
// checked then). Errors are InvalidArgument naming the flag, or the file and line.
Status ParseServerArgs(const std::vector<std::string>& args, ServerConfig* config, bool* help);

// Applies `key = value` lines ('#' starts a comment; blank lines are skipped) to *config. Keys
// are the flag names without the leading dashes; '-' and '_' are interchangeable. `source`
// names the text in error messages ("troved.conf").
Status ApplyConfigText(std::string_view text, std::string_view source, ServerConfig* config);
// Reads path and applies it with ApplyConfigText. IOError when it cannot be read.
Status ApplyConfigFile(const std::string& path, ServerConfig* config);

// Checks relations between fields (positive sizes, limits that make sense together).
Status ValidateServerConfig(const ServerConfig& config);

// The --help text.
std::string ServerUsage();

// Sizes: "65536", "64KiB", "64K", "32MiB", "32M", "1GiB", "1G" (binary multiples). False on
// anything else or on overflow.
bool ParseSize(std::string_view text, uint64_t* bytes);

}  // namespace trove::server
