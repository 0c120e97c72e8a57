// trove search, trove stats and trove tail: queries over gRPC and their output.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "query/parser.h"
#include "tools/cli_commands.h"
#include "tools/cli_flags.h"
#include "tools/cli_output.h"
#include "tools/event_json.h"

namespace trove::cli {

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The words of a query given without quotes ("trove search level:error checkout") are one
// query, as a shell user would expect.
std::string JoinQuery(const std::vector<std::string>& words) {
  std::string q;
  for (const std::string& w : words) q += (q.empty() ? "" : " ") + w;
  return q;
}

// A --from/--to value: a timestamp (RFC 3339 or a date), "now", or a duration meaning that
// long ago ("2h").
bool ParseTimeFlag(const std::string& text, int64_t now, int64_t* ns) {
  if (text == "now") {
    *ns = now;
    return true;
  }
  if (query::ParseTimestamp(text, ns)) return true;
  int64_t ago;
  if (query::ParseDuration(text, &ago)) {
    *ns = now - ago;
    return true;
  }
  return false;
}

// Fills *range from --since / --from / --to. Returns an empty string, or the usage problem.
std::string ParseRange(const FlagParser& flags, int64_t now, v1::TimeRange* range) {
  if (flags.Has("since")) {
    if (flags.Has("from") || flags.Has("to")) return "--since cannot be combined with --from/--to";
    int64_t d;
    if (!query::ParseDuration(flags.Value("since"), &d) || d <= 0) {
      return "--since wants a duration such as 15m, 1h or 2d, not '" + flags.Value("since") + "'";
    }
    range->set_from_ns(now - d);
    return "";
  }
  for (const char* name : {"from", "to"}) {
    if (!flags.Has(name)) continue;
    int64_t t;
    if (!ParseTimeFlag(flags.Value(name), now, &t)) {
      return std::string("--") + name + " wants a time such as 2026-01-01T10:00:00Z, " +
             "2026-01-01, now or 2h (ago), not '" + flags.Value(name) + "'";
    }
    if (std::string_view(name) == "from") {
      range->set_from_ns(t);
    } else {
      range->set_to_ns(t);
    }
  }
  if (range->from_ns() != 0 && range->to_ns() != 0 && range->from_ns() >= range->to_ns()) {
    return "--from must be before --to";
  }
  return "";
}

// Whether text parses locally as a query with a stats or top pipe (an aggregation). Queries
// that do not parse go to the server as they are, which names the position of the error.
bool IsAggregation(const std::string& text) {
  auto q = query::ParseQuery(text, NowNs());
  if (!q.ok()) return false;
  for (const query::Pipe& p : q->pipes) {
    if (p.kind == query::Pipe::Kind::kStats || p.kind == query::Pipe::Kind::kTop) return true;
  }
  return false;
}

int PrintAggregate(const CliEnv& env, const std::string& query_text, const v1::TimeRange& range,
                   bool json, bool explain) {
  v1::AggregateRequest request;
  request.set_query(query_text);
  *request.mutable_range() = range;
  request.set_explain(explain);
  grpc::ClientContext context;
  v1::AggregateResponse response;
  auto stub = v1::Trove::NewStub(env.channel);
  const grpc::Status status = stub->Aggregate(&context, request, &response);
  if (!status.ok()) return ReportRpcError(env, "stats", status);

  if (json) {
    for (const v1::Row& row : response.rows()) {
      std::string line = "{";
      for (int c = 0; c < row.cells_size() && c < response.columns_size(); ++c) {
        if (c > 0) line.push_back(',');
        ingest::AppendJsonString(response.columns(c), &line);
        line.push_back(':');
        AppendCellJson(row.cells(c), &line);
      }
      line += "}\n";
      fwrite(line.data(), 1, line.size(), stdout);
    }
  } else {
    TextTable table;
    table.header.assign(response.columns().begin(), response.columns().end());
    table.numeric.assign(table.header.size(), false);
    for (const v1::Row& row : response.rows()) {
      auto& cells = table.rows.emplace_back();
      for (int c = 0; c < row.cells_size(); ++c) {
        cells.push_back(CellText(row.cells(c)));
        if (static_cast<size_t>(c) < table.numeric.size() && CellIsNumeric(row.cells(c))) {
          table.numeric[static_cast<size_t>(c)] = true;
        }
      }
    }
    PrintTable(table, stdout);
  }
  if (explain) fprintf(stderr, "%s", FormatExplain(response.explain()).c_str());
  return kExitOk;
}

}  // namespace

int RunSearch(const CliEnv& env, const std::vector<std::string>& args) {
  FlagParser flags({"since", "from", "to", "limit", "timeout"}, {"json", "explain", "help"});
  if (Status st = flags.Parse(args); !st.ok()) return UsageError(st.message());
  const std::string query_text = JoinQuery(flags.positional());
  if (query_text.empty()) return UsageError("search needs a QUERY ('*' matches every event)");
  const int64_t now = NowNs();
  v1::SearchRequest request;
  request.set_query(query_text);
  if (std::string problem = ParseRange(flags, now, request.mutable_range()); !problem.empty()) {
    return UsageError(problem);
  }
  uint64_t limit = 0;
  if (flags.Has("limit") && !ParseCount(flags.Value("limit"), 1, &limit)) {
    return UsageError("--limit wants a number >= 1, not '" + flags.Value("limit") + "'");
  }
  request.set_limit(limit);
  if (flags.Has("timeout")) {
    int64_t t;
    if (!query::ParseDuration(flags.Value("timeout"), &t) || t < 1'000'000) {
      return UsageError("--timeout wants a duration such as 10s");
    }
    request.set_timeout_ms(static_cast<uint64_t>(t / 1'000'000));
  }
  const bool json = flags.Has("json");
  request.set_explain(flags.Has("explain"));
  if (IsAggregation(query_text)) {
    return PrintAggregate(env, query_text, request.range(), json, request.explain());
  }

  auto stub = v1::Trove::NewStub(env.channel);
  grpc::ClientContext context;
  auto reader = stub->Search(&context, request);
  v1::SearchResponse response;
  std::vector<Event> events;
  std::vector<std::string> fields;
  bool truncated = false;
  v1::Explain explain;
  while (reader->Read(&response)) {
    if (fields.empty() && response.fields_size() > 0) {
      fields.assign(response.fields().begin(), response.fields().end());
    }
    std::vector<Event> batch;
    for (const v1::Event& pe : response.events()) batch.push_back(EventFromProto(pe));
    if (json) {
      PrintEventsJson(batch, fields, stdout);  // stream: JSON needs no column widths
    } else {
      events.insert(events.end(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    }
    if (response.done()) {
      truncated = response.truncated();
      if (response.has_explain()) explain = response.explain();
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return ReportRpcError(env, "search", status);
  if (!json) PrintEventTable(events, fields, env.stdout_tty, stdout);
  fflush(stdout);
  if (truncated) {
    fprintf(stderr,
            "trove: more events match than were returned; raise --limit or narrow the "
            "query\n");
  }
  if (request.explain()) fprintf(stderr, "%s", FormatExplain(explain).c_str());
  return kExitOk;
}

int RunStats(const CliEnv& env, const std::vector<std::string>& args) {
  FlagParser flags({"since", "from", "to"}, {"json", "explain", "help"});
  if (Status st = flags.Parse(args); !st.ok()) return UsageError(st.message());
  const std::string query_text = JoinQuery(flags.positional());
  if (query_text.empty()) {
    return UsageError(
        "stats needs a QUERY with a stats pipe, e.g. '* | stats by (service) "
        "count()'");
  }
  v1::TimeRange range;
  if (std::string problem = ParseRange(flags, NowNs(), &range); !problem.empty()) {
    return UsageError(problem);
  }
  return PrintAggregate(env, query_text, range, flags.Has("json"), flags.Has("explain"));
}

int RunTail(const CliEnv& env, const std::vector<std::string>& args) {
  FlagParser flags({}, {"json", "help"});
  if (Status st = flags.Parse(args); !st.ok()) return UsageError(st.message());
  const bool json = flags.Has("json");
  v1::TailRequest request;
  request.set_query(JoinQuery(flags.positional()));

  auto stub = v1::Trove::NewStub(env.channel);
  grpc::ClientContext context;
  // Ctrl-C ends a tail normally: cancel the call, let Read return, exit 0.
  std::atomic<bool> interrupted{false};
  OnInterrupt([&] {
    interrupted = true;
    context.TryCancel();
  });
  auto reader = stub->Tail(&context, request);
  v1::TailResponse response;
  size_t service_width = 12;
  while (reader->Read(&response)) {
    for (const v1::Event& pe : response.events()) {
      const Event e = EventFromProto(pe);
      if (json) {
        PrintEventsJson({e}, {}, stdout);
      } else {
        service_width = std::max(service_width, std::min<size_t>(24, DisplayWidth(e.service)));
        printf("%s\n", FormatEventLine(e, service_width, env.stdout_tty).c_str());
      }
    }
    fflush(stdout);
    if (response.dropped() > 0) {
      fprintf(stderr, "trove: %" PRIu64 " events dropped (this client read too slowly)\n",
              response.dropped());
    }
  }
  const grpc::Status status = reader->Finish();
  OnInterrupt(nullptr);  // after this no handler runs: `context` may go
  if (interrupted) return kExitOk;
  if (!status.ok()) return ReportRpcError(env, "tail", status);
  return kExitOk;
}

}  // namespace trove::cli
