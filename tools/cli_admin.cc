// trove admin: store statistics, the segment list, and the flush / compact / archive actions.
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "tools/cli_commands.h"
#include "tools/cli_flags.h"
#include "tools/cli_output.h"
#include "tools/event_json.h"
#include "tools/human_bytes.h"
#include "tools/log_time.h"

namespace trove::cli {

namespace {

using trove::tools::HumanBytes;

// A flat JSON object built key by key.
class JsonObject {
 public:
  JsonObject& Add(std::string_view key, uint64_t v) { return Raw(key, std::to_string(v)); }
  JsonObject& Add(std::string_view key, int64_t v) { return Raw(key, std::to_string(v)); }
  JsonObject& Add(std::string_view key, bool v) { return Raw(key, v ? "true" : "false"); }
  JsonObject& Add(std::string_view key, const std::string& v) {
    std::string s;
    ingest::AppendJsonString(v, &s);
    return Raw(key, s);
  }
  // A nested object.
  JsonObject& Add(std::string_view key, const JsonObject& v) { return Raw(key, v.Text()); }
  std::string Text() const { return (text_.empty() ? "{" : text_) + "}"; }
  std::string Line() const { return Text() + "\n"; }

 private:
  JsonObject& Raw(std::string_view key, const std::string& json) {
    text_.push_back(text_.empty() ? '{' : ',');
    ingest::AppendJsonString(key, &text_);
    text_.push_back(':');
    text_ += json;
    return *this;
  }
  std::string text_;
};

JsonObject TierJson(const v1::TierStats& t) {
  return JsonObject()
      .Add("segments", t.segments())
      .Add("rows", t.rows())
      .Add("bytes", t.bytes())
      .Add("raw_bytes", t.raw_bytes());
}

JsonObject MaintenanceJson(const v1::MaintenanceCounts& c) {
  return JsonObject()
      .Add("archived_segments", c.archived_segments())
      .Add("archived_rows", c.archived_rows())
      .Add("archived_hot_bytes", c.archived_hot_bytes())
      .Add("archived_cold_bytes", c.archived_cold_bytes())
      .Add("dropped_partitions", c.dropped_partitions())
      .Add("dropped_segments", c.dropped_segments())
      .Add("dropped_rows", c.dropped_rows())
      .Add("dropped_bytes", c.dropped_bytes())
      .Add("dropped_by_retention", c.dropped_by_retention())
      .Add("dropped_by_disk", c.dropped_by_disk());
}

JsonObject AdmissionJson(const v1::AdmissionStats& a) {
  return JsonObject()
      .Add("queries_running", a.queries_running())
      .Add("queries_waiting", a.queries_waiting())
      .Add("ingest_inflight_bytes", a.ingest_inflight_bytes())
      .Add("ingest_waiting", a.ingest_waiting())
      .Add("tail_subscribers", a.tail_subscribers())
      .Add("rss_bytes", a.rss_bytes())
      .Add("peak_rss_bytes", a.peak_rss_bytes())
      .Add("queries_admitted", a.queries_admitted())
      .Add("ingest_admitted", a.ingest_admitted())
      .Add("rejected_queries_busy", a.rejected_queries_busy())
      .Add("rejected_ingest_busy", a.rejected_ingest_busy())
      .Add("rejected_queries_memory", a.rejected_queries_memory())
      .Add("rejected_ingest_memory", a.rejected_ingest_memory())
      .Add("rejected_tails", a.rejected_tails())
      .Add("rejected_store_backpressure", a.rejected_store_backpressure())
      .Add("max_concurrent_queries", a.max_concurrent_queries())
      .Add("max_queued_queries", a.max_queued_queries())
      .Add("queue_wait_ns", a.queue_wait_ns())
      .Add("max_inflight_ingest_bytes", a.max_inflight_ingest_bytes())
      .Add("max_tail_subscribers", a.max_tail_subscribers())
      .Add("memory_budget_bytes", a.memory_budget_bytes());
}

// "rss 312.0 MiB (peak 401.2 MiB) of a 1.0 GiB budget".
std::string MemoryText(const v1::AdmissionStats& a) {
  std::string out = "rss " + HumanBytes(a.rss_bytes()) + " (peak " +
                    HumanBytes(a.peak_rss_bytes()) + ")";
  if (a.memory_budget_bytes() == 0) return out + ", no budget";
  return out + " of a " + HumanBytes(a.memory_budget_bytes()) + " budget";
}

// "2/8 running, 0 waiting (at most 64, 1s); ingest 1.2 MiB of 256.0 MiB in flight; tails 1/64".
std::string LoadText(const v1::AdmissionStats& a) {
  return "queries " + Grouped(a.queries_running()) + "/" + Grouped(a.max_concurrent_queries()) +
         " running, " + Grouped(a.queries_waiting()) + " waiting (at most " +
         Grouped(a.max_queued_queries()) + ", " + FormatDurationSetting(a.queue_wait_ns()) +
         "); ingest " + HumanBytes(a.ingest_inflight_bytes()) + " of " +
         HumanBytes(a.max_inflight_ingest_bytes()) + " in flight; tails " +
         Grouped(a.tail_subscribers()) + "/" + Grouped(a.max_tail_subscribers());
}

// "queries 3 busy, 0 memory; ingest 1 busy, 0 memory, 2 store backpressure; tails 0".
std::string RejectedText(const v1::AdmissionStats& a) {
  return "queries " + Grouped(a.rejected_queries_busy()) + " busy, " +
         Grouped(a.rejected_queries_memory()) + " memory; ingest " +
         Grouped(a.rejected_ingest_busy()) + " busy, " + Grouped(a.rejected_ingest_memory()) +
         " memory, " + Grouped(a.rejected_store_backpressure()) + " store backpressure; tails " +
         Grouped(a.rejected_tails()) + " (admitted: " + Counted(a.queries_admitted(), "query",
         "queries") + ", " + Grouped(a.ingest_admitted()) + " ingest requests)";
}

// Compression as "1/x": the stored size is 1/x of the raw size ("-" when nothing is stored).
std::string Ratio(uint64_t raw_bytes, uint64_t stored_bytes) {
  if (stored_bytes == 0) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "1/%.1f",
           static_cast<double>(raw_bytes) / static_cast<double>(stored_bytes));
  return buf;
}

// "12 (1,234 events, 1.0 MiB stored, 9.5 MiB raw, 1/9.5)".
std::string TierLine(uint64_t segments, uint64_t rows, uint64_t bytes, uint64_t raw_bytes) {
  return Grouped(segments) + " (" + Counted(rows, "event") + ", " + HumanBytes(bytes) +
         " stored, " + HumanBytes(raw_bytes) + " raw, " + Ratio(raw_bytes, bytes) + ")";
}

// "archived 3 segments (120,000 events): 41.2 MiB hot -> 9.8 MiB cold; dropped 1 partition
// (2 segments, 5,000 events, 1.1 MiB): 1 by retention, 0 by disk budget".
std::string MaintenanceText(const v1::MaintenanceCounts& c) {
  std::string out = "archived " + Counted(c.archived_segments(), "segment");
  if (c.archived_segments() > 0) {
    out += " (" + Counted(c.archived_rows(), "event") + "): " + HumanBytes(c.archived_hot_bytes()) +
           " hot -> " + HumanBytes(c.archived_cold_bytes()) + " cold";
  }
  out += "; dropped " + Counted(c.dropped_partitions(), "partition");
  if (c.dropped_partitions() > 0) {
    out += " (" + Counted(c.dropped_segments(), "segment") + ", " +
           Counted(c.dropped_rows(), "event") + ", " + HumanBytes(c.dropped_bytes()) +
           "): " + Grouped(c.dropped_by_retention()) + " by retention, " +
           Grouped(c.dropped_by_disk()) + " by disk budget";
  }
  return out;
}

// "archive after 7d, retention forever, disk budget 465.7 GiB (12.0% used), every 1m".
std::string TieringText(const v1::StatsResponse& r) {
  std::string out = "archive after ";
  out += r.archive_after_ns() == 0 ? "never" : FormatDurationSetting(r.archive_after_ns());
  out += ", retention ";
  out += r.retention_ns() == 0 ? "forever" : FormatDurationSetting(r.retention_ns());
  out += ", disk budget ";
  if (r.max_disk_bytes() == 0) {
    out += "none";
  } else {
    char used[32];
    snprintf(
        used, sizeof used, " (%.1f%% used)",
        100.0 * static_cast<double>(r.segment_bytes()) / static_cast<double>(r.max_disk_bytes()));
    out += HumanBytes(r.max_disk_bytes()) + used;
  }
  return out + ", every " + FormatDurationSetting(r.maintenance_interval_ns());
}

int Stats(const CliEnv& env, v1::Admin::Stub* stub, bool json) {
  grpc::ClientContext context;
  v1::StatsResponse r;
  const grpc::Status status = stub->Stats(&context, v1::StatsRequest(), &r);
  if (!status.ok()) return ReportRpcError(env, "admin stats", status);
  if (json) {
    printf("%s", JsonObject()
                     .Add("segments", r.segments())
                     .Add("segment_rows", r.segment_rows())
                     .Add("segment_bytes", r.segment_bytes())
                     .Add("segment_raw_bytes", r.segment_raw_bytes())
                     .Add("buffered_events", r.buffered_events())
                     .Add("buffered_bytes", r.buffered_bytes())
                     .Add("flushes", r.flushes())
                     .Add("merges", r.merges())
                     .Add("db_bytes", r.db_bytes())
                     .Add("background_error", r.background_error())
                     .Add("data_dir", r.data_dir())
                     .Add("uptime_ns", r.uptime_ns())
                     .Add("hot", TierJson(r.hot()))
                     .Add("cold", TierJson(r.cold()))
                     .Add("cold_tier", r.cold_tier())
                     .Add("cold_cache_bytes", r.cold_cache_bytes())
                     .Add("archive_after_ns", r.archive_after_ns())
                     .Add("retention_ns", r.retention_ns())
                     .Add("max_disk_bytes", r.max_disk_bytes())
                     .Add("maintenance_interval_ns", r.maintenance_interval_ns())
                     .Add("maintenance", MaintenanceJson(r.maintenance()))
                     .Add("maintenance_passes", r.maintenance_passes())
                     .Add("maintenance_error", r.maintenance_error())
                     .Add("read_only", r.read_only())
                     .Add("recoveries", r.recoveries())
                     .Add("admission", AdmissionJson(r.admission()))
                     .Line()
                     .c_str());
    return kExitOk;
  }
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"data dir", r.data_dir()},
      {"uptime", FormatDuration(r.uptime_ns())},
      {"segments",
       TierLine(r.segments(), r.segment_rows(), r.segment_bytes(), r.segment_raw_bytes())},
      {"  hot", TierLine(r.hot().segments(), r.hot().rows(), r.hot().bytes(), r.hot().raw_bytes())},
      {"  cold",
       TierLine(r.cold().segments(), r.cold().rows(), r.cold().bytes(), r.cold().raw_bytes())},
      {"cold tier", (r.cold_tier().empty() ? std::string("none") : r.cold_tier()) +
                        ", index cache " + HumanBytes(r.cold_cache_bytes())},
      {"tiering", TieringText(r)},
      {"maintenance",
       Counted(r.maintenance_passes(), "pass", "passes") + ": " + MaintenanceText(r.maintenance())},
      {"last pass", r.maintenance_passes() == 0     ? "-"
                    : r.maintenance_error().empty() ? "ok"
                                                    : "FAILED: " + r.maintenance_error()},
      {"buffered",
       std::to_string(r.buffered_events()) + " events (" + HumanBytes(r.buffered_bytes()) + ")"},
      {"flushes", std::to_string(r.flushes())},
      {"merges", std::to_string(r.merges())},
      {"rocksdb", HumanBytes(r.db_bytes())},
      {"health", r.background_error().empty() ? "ok" : "READ-ONLY: " + r.background_error()},
      {"recoveries", Grouped(r.recoveries()) + " (times the store left read-only mode)"},
      {"memory", MemoryText(r.admission())},
      {"load", LoadText(r.admission())},
      {"refused", RejectedText(r.admission())},
  };
  for (const auto& [key, value] : rows) printf("%-12s %s\n", key.c_str(), Printable(value).c_str());
  // A read-only store is a failure a health check should see. A failed maintenance pass is
  // not: it is retried at the next interval and the store keeps serving.
  return r.background_error().empty() ? kExitOk : kExitFailure;
}

int Segments(const CliEnv& env, v1::Admin::Stub* stub, bool json) {
  grpc::ClientContext context;
  v1::ListSegmentsResponse r;
  const grpc::Status status = stub->ListSegments(&context, v1::ListSegmentsRequest(), &r);
  if (!status.ok()) return ReportRpcError(env, "admin segments", status);
  if (json) {
    for (const v1::SegmentInfo& s : r.segments()) {
      printf("%s", JsonObject()
                       .Add("id", s.id())
                       .Add("partition", ingest::FormatRfc3339(s.partition_start_ns(), 9))
                       .Add("min_time", ingest::FormatRfc3339(s.min_time_ns(), 9))
                       .Add("max_time", ingest::FormatRfc3339(s.max_time_ns(), 9))
                       .Add("rows", s.rows())
                       .Add("bytes", s.bytes())
                       .Add("raw_bytes", s.raw_bytes())
                       .Add("tier", s.tier())
                       .Add("path", s.path())
                       .Line()
                       .c_str());
    }
    return kExitOk;
  }
  TextTable t;
  t.header = {"ID", "PARTITION", "FIRST", "LAST", "ROWS", "SIZE", "RAW", "TIER", "PATH"};
  t.numeric = {true, false, false, false, true, true, true, false, false};
  for (const v1::SegmentInfo& s : r.segments()) {
    t.rows.push_back({std::to_string(s.id()), ingest::FormatRfc3339(s.partition_start_ns(), 0),
                      ingest::FormatRfc3339(s.min_time_ns(), 3),
                      ingest::FormatRfc3339(s.max_time_ns(), 3), std::to_string(s.rows()),
                      HumanBytes(s.bytes()), HumanBytes(s.raw_bytes()), s.tier(), s.path()});
  }
  PrintTable(t, stdout);
  return kExitOk;
}

}  // namespace

int RunAdmin(const CliEnv& env, const std::vector<std::string>& args) {
  FlagParser flags({}, {"json", "help"});
  if (Status st = flags.Parse(args); !st.ok()) return UsageError(st.message());
  if (flags.positional().size() != 1) {
    return UsageError("admin needs one of: stats, segments, flush, compact, archive");
  }
  const std::string& what = flags.positional()[0];
  const bool json = flags.Has("json");
  auto stub = v1::Admin::NewStub(env.channel);
  if (what == "stats") return Stats(env, stub.get(), json);
  if (what == "segments") return Segments(env, stub.get(), json);
  grpc::ClientContext context;
  grpc::Status status;
  std::string done;
  JsonObject out;
  if (what == "flush") {
    v1::FlushResponse r;
    status = stub->Flush(&context, v1::FlushRequest(), &r);
    done = "flushed: every buffered event is in a segment";
  } else if (what == "compact") {
    v1::CompactResponse r;
    status = stub->Compact(&context, v1::CompactRequest(), &r);
    done = "compacted: flushed, and merged until the merge policy picked nothing";
  } else if (what == "archive") {
    v1::ArchiveResponse r;
    status = stub->Archive(&context, v1::ArchiveRequest(), &r);
    done = MaintenanceText(r.counts());
    out = MaintenanceJson(r.counts());
  } else {
    return UsageError("unknown admin command '" + what +
                      "' (stats, segments, flush, compact, archive)");
  }
  if (!status.ok()) return ReportRpcError(env, "admin " + what, status);
  printf("%s", json ? out.Line().c_str() : (done + "\n").c_str());
  return kExitOk;
}

}  // namespace trove::cli
