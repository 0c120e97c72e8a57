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

// 2 x the hardware threads, at least 4: the default of ServerConfig::max_concurrent_queries.
uint64_t DefaultMaxConcurrentQueries();

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

  // ---- tiering and retention (StoreOptions; storage/cold_tier.h) ----
  // Where archived segments go; empty means DATA/cold (ColdDir()). troved always opens a cold
  // tier, even with archival off, so a store that already holds cold segments stays readable.
  // Must not be shared by two stores: each removes cold objects its catalog does not name.
  std::string cold_dir;
  // Segments whose newest event is older than this are recompressed and moved to the cold
  // tier; 0 turns archival off. A week keeps the days people search most on the fast disk.
  int64_t archive_after_ns = int64_t{7} * 24 * 3600 * 1'000'000'000;
  // Whole partitions that ended longer ago than this are dropped; 0 keeps data forever, because
  // deleting logs must be a decision, not a default.
  int64_t retention_ns = 0;
  // While segment files of both tiers take more than this, the oldest partitions are dropped
  // (the newest is always kept); 0 means no budget.
  uint64_t max_disk_bytes = 0;
  // How often the background retention and archival pass runs. A minute keeps the store
  // within its budget promptly; a pass with nothing to do only walks the in-memory segment
  // list.
  int64_t maintenance_interval_ns = int64_t{60} * 1'000'000'000;

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

  // ---- admission control (server/admission.h) ----
  // Search, Aggregate and GetTrace calls that run at once; more wait for a slot. Twice the
  // hardware threads (at least 4) keeps the cores busy while queries wait on I/O, without
  // letting a burst of expensive scans pile up memory and starve each other.
  uint64_t max_concurrent_queries = DefaultMaxConcurrentQueries();
  // Queries that may wait for a slot; one more is refused with RESOURCE_EXHAUSTED at once.
  // 0 means none wait. 64 absorbs a dashboard's burst while bounding the threads held.
  uint64_t max_queued_queries = 64;
  // How long a query waits for a slot, and an ingest request for room in the in-flight budget,
  // before RESOURCE_EXHAUSTED. A second rides out a burst; longer only hides overload.
  int64_t queue_wait_ns = int64_t{1'000'000'000};
  // Live-tail subscriptions at once. They are long-lived, so they are not counted as queries;
  // each holds a thread and a queue of up to tail_queue_events.
  uint64_t max_tail_subscribers = 64;
  // Sum of the wire sizes of the ingest requests being appended at once; a request that does
  // not fit waits up to queue_wait_ns. Decoded, a request takes a few times its wire size, so
  // 256 MiB bounds ingest's transient memory to a part of the default memory budget. A single
  // request larger than the budget (it passed max_message_bytes) is admitted alone.
  uint64_t max_inflight_ingest_bytes = uint64_t{256} << 20;
  // The process's resident memory budget; 0 turns the check off. While RSS is above 90% of it,
  // new ingest requests and new queries are refused with RESOURCE_EXHAUSTED (running calls
  // finish). 1 GiB is DESIGN.md §6's ingest memory budget.
  uint64_t memory_budget_bytes = uint64_t{1} << 30;
  // Capacity of the process-wide caches of decoded blocks (storage/block_cache.h): 1/8 for
  // term-index blocks, the rest for column blocks.
  uint64_t block_cache_bytes = uint64_t{256} << 20;

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

// Checks relations between fields (positive sizes, limits that make sense together, a cold
// directory that is not one of the store's own).
Status ValidateServerConfig(const ServerConfig& config);

// The cold-tier directory in effect: config.cold_dir, or DefaultColdDir(data_dir) (DATA/cold,
// where trove-inspect and trove-query look too) when it is empty.
std::string ColdDir(const ServerConfig& config);

// The memory the store may hold by configuration: the block cache, the write buffer (flush
// bytes, up to the store's backpressure limit) and the in-flight ingest budget. ValidateServerConfig
// refuses a memory budget below it.
uint64_t ConfiguredStoreMemory(const ServerConfig& config);

// The admission limits as one line for troved's start-up log, e.g. "queries 8 at once, 64
// waiting up to 1s; ingest 256MiB in flight; tails 64; memory budget 1GiB".
std::string AdmissionSummary(const ServerConfig& config);

// The tiering settings as one line for troved's start-up log, e.g. "cold tier dir:./d/cold,
// archive after 7d, retention forever, disk budget 500GB, maintenance every 1m" ("never",
// "forever", "none" for the settings that are off).
std::string TieringSummary(const ServerConfig& config);

// The --help text.
std::string ServerUsage();

// Sizes: a byte count ("65536") or a whole number with a unit, case-insensitive. KiB, MiB,
// GiB, TiB and the short K, M, G, T are powers of 1024 ("64KiB", "32M"); KB, MB, GB, TB are
// powers of 1000, as disks are sold and `df -H` counts ("500GB" = 500,000,000,000). False on
// anything else (fractions, signs) or on overflow.
bool ParseSize(std::string_view text, uint64_t* bytes);

// The inverse of ParseSize for display: the largest unit that divides bytes exactly ("32MiB",
// "500GB", "1023"), so a logged value can be pasted back into a config file.
std::string FormatSize(uint64_t bytes);

// A duration as query/parser.h ParseDuration reads it, largest units first: "7d", "1h30m",
// "500ms"; "0" for zero.
std::string FormatDurationSetting(int64_t ns);

}  // namespace trove::server
