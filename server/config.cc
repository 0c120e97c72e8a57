#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "query/parser.h"
#include "storage/store.h"

namespace trove::server {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// One setting: its flag name (also the config-file key), the kind of value, and how to store
// it. The table drives flag parsing, file parsing and --help, so they cannot disagree.
struct Setting {
  const char* name;
  const char* arg;  // placeholder in --help
  const char* help;
  // Stores value into *c; on failure returns what a valid value looks like.
  bool (*apply)(std::string_view value, ServerConfig* c, std::string* expected);
};

bool ParseUint(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool SetDuration(std::string_view v, int64_t* out, std::string* expected) {
  int64_t ns = 0;
  if (!query::ParseDuration(v, &ns) || ns <= 0) {
    *expected = "a positive duration such as 30s, 5m, 1h, 1d";
    return false;
  }
  *out = ns;
  return true;
}

// A duration where 0 means "off" (archive_after, retention).
bool SetDurationOrOff(std::string_view v, const char* off, int64_t* out, std::string* expected) {
  int64_t ns = 0;
  if (v != "0" && !query::ParseDuration(v, &ns)) {
    *expected = std::string("a duration such as 30m, 12h, 7d, or 0 for ") + off;
    return false;
  }
  *out = ns;
  return true;
}

bool SetSize(std::string_view v, uint64_t* out, std::string* expected) {
  if (!ParseSize(v, out) || *out == 0) {
    *expected = "a positive size such as 1048576, 64KiB, 32MiB, 1GiB";
    return false;
  }
  return true;
}

bool SetCount(std::string_view v, uint64_t* out, std::string* expected) {
  if (!ParseUint(v, out) || *out == 0) {
    *expected = "a positive integer";
    return false;
  }
  return true;
}

const Setting kSettings[] = {
    {"data", "DIR", "store directory (default ./trove-data)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (v.empty()) {
         *expected = "a directory";
         return false;
       }
       c->data_dir = std::string(v);
       return true;
     }},
    {"listen", "ADDR",
     "listen address HOST:PORT or unix:PATH; port 0 picks one (default "
     "127.0.0.1:7070)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (v.empty() || (v.substr(0, 5) != "unix:" && v.rfind(':') == std::string_view::npos)) {
         *expected = "HOST:PORT or unix:PATH";
         return false;
       }
       c->listen = std::string(v);
       return true;
     }},
    {"partition", "DUR", "time partition width (default 1h)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDuration(v, &c->partition_ns, e);
     }},
    {"flush-bytes", "SIZE", "buffered bytes that trigger a flush into segments (default 32MiB)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetSize(v, &c->flush_bytes, e);
     }},
    {"flush-age", "DUR", "flush buffered events older than this (default 10s)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDuration(v, &c->flush_age_ns, e);
     }},
    {"max-event-bytes", "SIZE", "larger events are rejected one by one (default 1MiB)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetSize(v, &c->max_event_bytes, e);
     }},
    {"cold-dir", "DIR", "cold-tier directory for archived segments (default DATA/cold)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (v.empty()) {
         *expected = "a directory";
         return false;
       }
       c->cold_dir = std::string(v);
       return true;
     }},
    {"archive-after", "DUR",
     "move segments older than this to the cold tier; 0 = never (default 7d)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDurationOrOff(v, "never", &c->archive_after_ns, e);
     }},
    {"retention", "DUR", "drop partitions older than this; 0 = keep forever (default 0)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDurationOrOff(v, "forever", &c->retention_ns, e);
     }},
    {"max-disk-bytes", "SIZE",
     "drop the oldest partitions while segments exceed this; 0 = no budget (default 0)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (!ParseSize(v, &c->max_disk_bytes)) {
         *expected = "a size such as 500GB, 200GiB, 1TB, or 0 for no budget";
         return false;
       }
       return true;
     }},
    {"maintenance-interval", "DUR", "how often archival and retention run (default 1m)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDuration(v, &c->maintenance_interval_ns, e);
     }},
    {"max-message-bytes", "SIZE", "largest gRPC request message (default 64MiB)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetSize(v, &c->max_message_bytes, e);
     }},
    {"max-batch", "N", "most events in one ingest request (default 100000)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetCount(v, &c->max_batch_events, e);
     }},
    {"max-query-time", "DUR", "longest a query may run (default 30s)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDuration(v, &c->max_query_ns, e);
     }},
    {"max-result-rows", "N",
     "most events a search returns / rows an aggregation makes "
     "(default 10000)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetCount(v, &c->max_result_rows, e);
     }},
    {"default-limit", "N",
     "events a search returns when the request sets no limit "
     "(default 100)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetCount(v, &c->default_search_limit, e);
     }},
    {"tail-queue", "N", "events queued per live-tail client before dropping (default 10000)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetCount(v, &c->tail_queue_events, e);
     }},
    {"max-concurrent-queries", "N",
     "Search/Aggregate/GetTrace calls running at once; more wait (default 2 x cores, >= 4)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetCount(v, &c->max_concurrent_queries, e);
     }},
    {"max-queued-queries", "N",
     "queries that may wait for a slot; more are refused at once (default 64)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (!ParseUint(v, &c->max_queued_queries)) {
         *expected = "a non-negative integer";
         return false;
       }
       return true;
     }},
    {"queue-wait", "DUR",
     "how long a query waits for a slot / ingest for in-flight room (default 1s)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDurationOrOff(v, "no waiting", &c->queue_wait_ns, e);
     }},
    {"max-tail-subscribers", "N", "live-tail subscriptions at once (default 64)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetCount(v, &c->max_tail_subscribers, e);
     }},
    {"max-inflight-ingest-bytes", "SIZE",
     "ingest request bytes being appended at once; more wait (default 256MiB)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetSize(v, &c->max_inflight_ingest_bytes, e);
     }},
    {"memory-budget", "SIZE",
     "refuse new ingest and queries while RSS is above 90% of this; 0 = off (default 1GiB)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (!ParseSize(v, &c->memory_budget_bytes)) {
         *expected = "a size such as 512MiB, 2GiB, or 0 for no budget";
         return false;
       }
       return true;
     }},
    {"block-cache", "SIZE", "caches of decoded column and term-index blocks (default 256MiB)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       if (!ParseSize(v, &c->block_cache_bytes)) {
         *expected = "a size such as 64MiB, 1GiB, or 0 for no cache";
         return false;
       }
       return true;
     }},
    {"query-threads", "N", "query worker threads; 0 = one per core (default 0)",
     [](std::string_view v, ServerConfig* c, std::string* expected) {
       uint64_t n = 0;
       if (!ParseUint(v, &n) || n > 1024) {
         *expected = "an integer from 0 to 1024";
         return false;
       }
       c->query_threads = static_cast<unsigned>(n);
       return true;
     }},
    {"shutdown-grace", "DUR", "how long shutdown waits for in-flight calls (default 5s)",
     [](std::string_view v, ServerConfig* c, std::string* e) {
       return SetDuration(v, &c->shutdown_grace_ns, e);
     }},
};

// Flag and key names compare with '-' and '_' interchangeable.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] == '_' ? '-' : a[i];
    char y = b[i] == '_' ? '-' : b[i];
    if (x != y) return false;
  }
  return true;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& s : kSettings) {
    if (SameName(s.name, name)) return &s;
  }
  return nullptr;
}

// Size units of ParseSize, largest first (FormatSize picks the first that divides exactly).
struct SizeUnit {
  const char* name;        // lower case
  const char* short_name;  // also accepted, or null
  uint64_t bytes;
};
constexpr SizeUnit kSizeUnits[] = {
    {"tib", "t", uint64_t{1} << 40}, {"tb", nullptr, 1'000'000'000'000},
    {"gib", "g", uint64_t{1} << 30}, {"gb", nullptr, 1'000'000'000},
    {"mib", "m", uint64_t{1} << 20}, {"mb", nullptr, 1'000'000},
    {"kib", "k", uint64_t{1} << 10}, {"kb", nullptr, 1'000},
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

bool ParseSize(std::string_view text, uint64_t* bytes) {
  size_t digits = 0;
  while (digits < text.size() && isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  uint64_t n = 0;
  if (!ParseUint(text.substr(0, digits), &n)) return false;
  std::string unit;
  for (char c : text.substr(digits))
    unit += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  uint64_t multiple = 0;
  for (const SizeUnit& u : kSizeUnits) {
    if (unit == u.name || (u.short_name != nullptr && unit == u.short_name)) multiple = u.bytes;
  }
  if (unit.empty() || unit == "b") multiple = 1;
  if (multiple == 0 || n > std::numeric_limits<uint64_t>::max() / multiple) return false;
  *bytes = n * multiple;
  return true;
}

std::string FormatSize(uint64_t bytes) {
  if (bytes == 0) return "0";
  for (const SizeUnit& u : kSizeUnits) {  // largest first
    if (bytes % u.bytes == 0) {
      std::string name = u.name;
      // Display spelling: "KiB", "GB".
      name[0] = static_cast<char>(toupper(static_cast<unsigned char>(name[0])));
      name.back() = 'B';
      return std::to_string(bytes / u.bytes) + name;
    }
  }
  return std::to_string(bytes);
}

std::string FormatDurationSetting(int64_t ns) {
  if (ns == 0) return "0";
  static constexpr struct {
    const char* name;
    int64_t ns;
  } kUnits[] = {{"d", 24 * 3600 * kSecond},
                {"h", 3600 * kSecond},
                {"m", 60 * kSecond},
                {"s", kSecond},
                {"ms", 1'000'000},
                {"us", 1'000},
                {"ns", 1}};
  std::string out = ns < 0 ? "-" : "";
  uint64_t left = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  for (const auto& u : kUnits) {
    const uint64_t unit = static_cast<uint64_t>(u.ns);
    if (left >= unit) {
      out += std::to_string(left / unit) + u.name;
      left %= unit;
    }
  }
  return out;
}

Status ApplyConfigText(std::string_view text, std::string_view source, ServerConfig* config) {
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    // '#' starts a comment at the start of a line or after a space, so values such as paths
    // may still contain '#'.
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || isspace(static_cast<unsigned char>(line[i - 1])))) {
        line = line.substr(0, i);
        break;
      }
    }
    line = Trim(line);
    if (line.empty()) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(where + ": expected 'key = value', found '" +
                                     std::string(line) + "'");
    }
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const Setting* s = FindSetting(key);
    if (s == nullptr || SameName(key, "config")) {
      return Status::InvalidArgument(where + ": unknown key '" + std::string(key) + "'");
    }
    std::string expected;
    if (!s->apply(value, config, &expected)) {
      return Status::InvalidArgument(where + ": " + std::string(key) + " = '" + std::string(value) +
                                     "': expected " + expected);
    }
  }
  return Status::OK();
}

Status ApplyConfigFile(const std::string& path, ServerConfig* config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read config file " + path);
  return ApplyConfigText(text.str(), path, config);
}

Status ParseServerArgs(const std::vector<std::string>& args, ServerConfig* config, bool* help) {
  *help = false;
  // Split "--name=value" / "--name value" first, so --config can be applied before the flags
  // that override it.
  struct Flag {
    std::string name, value;
  };
  std::vector<Flag> flags;
  std::string config_file;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return Status::OK();
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return Status::InvalidArgument("unexpected argument '" + arg + "' (see --help)");
    }
    Flag f;
    size_t eq = arg.find('=');
    f.name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (f.name != "config" && FindSetting(f.name) == nullptr) {
      return Status::InvalidArgument("unknown flag --" + f.name + " (see --help)");
    }
    if (eq != std::string::npos) {
      f.value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      f.value = args[++i];
    } else {
      return Status::InvalidArgument("--" + f.name + " needs a value");
    }
    if (f.name == "config") {
      config_file = f.value;
    } else {
      flags.push_back(std::move(f));
    }
  }
  if (!config_file.empty()) {
    Status s = ApplyConfigFile(config_file, config);
    if (!s.ok()) return Status::InvalidArgument(s.message());
  }
  for (const Flag& f : flags) {
    std::string expected;
    if (!FindSetting(f.name)->apply(f.value, config, &expected)) {
      return Status::InvalidArgument("--" + f.name + " '" + f.value + "': expected " + expected);
    }
  }
  return ValidateServerConfig(*config);
}

Status ValidateServerConfig(const ServerConfig& c) {
  if (c.partition_ns < kSecond) {
    return Status::InvalidArgument("partition must be at least 1s");
  }
  if (c.max_message_bytes > std::numeric_limits<int>::max()) {
    return Status::InvalidArgument("max-message-bytes must be below 2GiB (a gRPC limit)");
  }
  if (c.archive_after_ns < 0 || c.retention_ns < 0) {
    return Status::InvalidArgument("archive-after and retention must not be negative");
  }
  if (c.maintenance_interval_ns <= 0) {
    return Status::InvalidArgument("maintenance-interval must be positive");
  }
  // The store deletes files in its own directories that its catalog does not name, so cold
  // objects there (or store files in the cold tier) would be deleted.
  // (Lexical: symlinks are not followed. The error_code overloads keep exceptions in.)
  std::error_code ignored;
  const std::filesystem::path data =
      std::filesystem::absolute(c.data_dir, ignored).lexically_normal();
  const std::filesystem::path cold =
      std::filesystem::absolute(ColdDir(c), ignored).lexically_normal();
  auto within = [](const std::filesystem::path& dir, const std::filesystem::path& p) {
    const auto rel = p.lexically_relative(dir);
    return !rel.empty() && *rel.begin() != "..";
  };
  if (cold.lexically_relative(data) == "." || within(data / "segments", cold) ||
      within(data / "db", cold) || within(data / "cold-cache", cold)) {
    return Status::InvalidArgument("cold-dir " + ColdDir(c) +
                                   " must not be the data directory or inside its segments/, "
                                   "db/ or cold-cache/");
  }
  if (c.max_concurrent_queries == 0 || c.max_tail_subscribers == 0 ||
      c.max_inflight_ingest_bytes == 0) {
    return Status::InvalidArgument(
        "max-concurrent-queries, max-tail-subscribers and max-inflight-ingest-bytes must be "
        "positive");
  }
  // Each is a thread of the gRPC server (SetMaxThreads); bound them to something a machine has.
  if (c.max_concurrent_queries > 4096 || c.max_queued_queries > 4096 ||
      c.max_tail_subscribers > 4096) {
    return Status::InvalidArgument(
        "max-concurrent-queries, max-queued-queries and max-tail-subscribers must be at most "
        "4096 (each call in flight holds a server thread)");
  }
  if (c.queue_wait_ns < 0) return Status::InvalidArgument("queue-wait must not be negative");
  if (c.memory_budget_bytes != 0 && c.memory_budget_bytes < ConfiguredStoreMemory(c)) {
    StoreOptions store;
    return Status::InvalidArgument(
        "memory-budget " + FormatSize(c.memory_budget_bytes) +
        " is smaller than what the store is configured to hold: block-cache " +
        FormatSize(c.block_cache_bytes) + " + write buffer " +
        FormatSize(std::max<uint64_t>(c.flush_bytes, store.max_buffer_bytes)) +
        " (flush-bytes, at least the store's " + FormatSize(store.max_buffer_bytes) +
        " backpressure limit) + max-inflight-ingest-bytes " +
        FormatSize(c.max_inflight_ingest_bytes) + " = " + FormatSize(ConfiguredStoreMemory(c)) +
        "; raise memory-budget or lower those (memory-budget 0 turns the budget off)");
  }
  if (c.max_event_bytes > c.max_message_bytes) {
    return Status::InvalidArgument("max-event-bytes (" + std::to_string(c.max_event_bytes) +
                                   ") must not exceed max-message-bytes (" +
                                   std::to_string(c.max_message_bytes) + ")");
  }
  return Status::OK();
}

uint64_t DefaultMaxConcurrentQueries() {
  return std::max<uint64_t>(4, 2 * uint64_t{std::thread::hardware_concurrency()});
}

uint64_t ConfiguredStoreMemory(const ServerConfig& c) {
  const uint64_t buffer = std::max<uint64_t>(c.flush_bytes, StoreOptions().max_buffer_bytes);
  return c.block_cache_bytes + buffer + c.max_inflight_ingest_bytes;
}

std::string AdmissionSummary(const ServerConfig& c) {
  return "queries " + std::to_string(c.max_concurrent_queries) + " at once, " +
         std::to_string(c.max_queued_queries) + " waiting up to " +
         FormatDurationSetting(c.queue_wait_ns) + "; ingest " +
         FormatSize(c.max_inflight_ingest_bytes) + " in flight; tails " +
         std::to_string(c.max_tail_subscribers) + "; memory budget " +
         (c.memory_budget_bytes == 0 ? std::string("none") : FormatSize(c.memory_budget_bytes)) +
         ", block cache " + FormatSize(c.block_cache_bytes);
}

std::string ColdDir(const ServerConfig& c) {
  return c.cold_dir.empty() ? DefaultColdDir(c.data_dir) : c.cold_dir;
}

std::string TieringSummary(const ServerConfig& c) {
  auto duration_or = [](int64_t ns, const char* off) {
    return ns == 0 ? std::string(off) : FormatDurationSetting(ns);
  };
  return "cold tier dir:" + ColdDir(c) + ", archive after " +
         duration_or(c.archive_after_ns, "never") + ", retention " +
         duration_or(c.retention_ns, "forever") + ", disk budget " +
         (c.max_disk_bytes == 0 ? std::string("none") : FormatSize(c.max_disk_bytes)) +
         ", maintenance every " + FormatDurationSetting(c.maintenance_interval_ns);
}

std::string ServerUsage() {
  std::string out =
      "usage: troved [--config FILE] [--data DIR] [--listen ADDR] [flags]\n"
      "\n"
      "Trove's gRPC server. Flags override the config file; the file holds `key = value`\n"
      "lines with the flag names as keys ('#' starts a comment).\n"
      "\n"
      "  --config FILE              read settings from FILE first\n";
  for (const Setting& s : kSettings) {
    std::string left = std::string("  --") + s.name + " " + s.arg;
    left.resize(std::max<size_t>(left.size() + 1, 29), ' ');
    out += left + s.help + "\n";
  }
  out += "  --help                     this text\n";
  out +=
      "\nDurations: 500ms, 30s, 5m, 1h, 1d, 1w. Sizes: 1048576, 64KiB, 32MiB, 1GiB, 2TiB\n"
      "(K/M/G/T and KiB..TiB are powers of 1024), or 500MB, 100GB, 1TB (powers of 1000).\n"
      "Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for configuration errors,\n"
      "1 when the server cannot start (data directory, address in use).\n";
  return out;
}

}  // namespace trove::server
