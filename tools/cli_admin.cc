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
  JsonObject& Add(std::string_view key, const std::string& v) {
    std::string s;
    ingest::AppendJsonString(v, &s);
    return Raw(key, s);
  }
  std::string Line() const { return (text_.empty() ? "{" : text_) + "}\n"; }

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
                     .Line()
                     .c_str());
    return kExitOk;
  }
  std::string ratio = "-";
  if (r.segment_bytes() > 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "1/%.1f",
             static_cast<double>(r.segment_raw_bytes()) / static_cast<double>(r.segment_bytes()));
    ratio = buf;
  }
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"data dir", r.data_dir()},
      {"uptime", FormatDuration(r.uptime_ns())},
      {"segments", std::to_string(r.segments()) + " (" + std::to_string(r.segment_rows()) +
                       " rows, " + HumanBytes(r.segment_bytes()) + " on disk, " +
                       HumanBytes(r.segment_raw_bytes()) + " raw, " + ratio + ")"},
      {"buffered",
       std::to_string(r.buffered_events()) + " events (" + HumanBytes(r.buffered_bytes()) + ")"},
      {"flushes", std::to_string(r.flushes())},
      {"merges", std::to_string(r.merges())},
      {"rocksdb", HumanBytes(r.db_bytes())},
      {"health", r.background_error().empty() ? "ok" : "READ-ONLY: " + r.background_error()},
  };
  for (const auto& [key, value] : rows) printf("%-10s %s\n", key.c_str(), Printable(value).c_str());
  // A read-only store is a failure a health check should see.
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
    done = "archived " + std::to_string(r.segments_archived()) + " segments, dropped " +
           std::to_string(r.partitions_dropped()) + " partitions";
    out.Add("segments_archived", r.segments_archived())
        .Add("partitions_dropped", r.partitions_dropped());
  } else {
    return UsageError("unknown admin command '" + what +
                      "' (stats, segments, flush, compact, archive)");
  }
  if (!status.ok()) return ReportRpcError(env, "admin " + what, status);
  printf("%s", json ? out.Line().c_str() : (done + "\n").c_str());
  return kExitOk;
}

}  // namespace trove::cli
