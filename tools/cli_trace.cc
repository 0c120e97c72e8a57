// trove trace: every event of one correlation ID, as a per-service summary, a span tree and a
// timeline (or JSON lines). An unknown ID is not an error (the server answers it with no
// events, and a script asking "anything for this ID?" gets an empty stdout): the command says
// so on stderr and exits 0.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "proto/trove.grpc.pb.h"
#include "tools/cli_commands.h"
#include "tools/cli_flags.h"
#include "tools/cli_output.h"
#include "tools/log_time.h"

namespace trove::cli {

int RunTrace(const CliEnv& env, const std::vector<std::string>& args) {
  FlagParser flags({}, {"json", "help"});
  if (Status st = flags.Parse(args); !st.ok()) return UsageError(st.message());
  if (flags.positional().size() != 1) return UsageError("trace needs exactly one ID");
  v1::GetTraceRequest request;
  request.set_trace_id(flags.positional()[0]);
  auto stub = v1::Trove::NewStub(env.channel);
  grpc::ClientContext context;
  v1::GetTraceResponse response;
  const grpc::Status status = stub->GetTrace(&context, request, &response);
  if (!status.ok()) return ReportRpcError(env, "trace", status);

  std::vector<Event> events;
  events.reserve(static_cast<size_t>(response.events_size()));
  for (const v1::Event& pe : response.events()) events.push_back(EventFromProto(pe));
  if (events.empty()) {
    fprintf(stderr, "trove: no events for trace ID %s\n", Printable(request.trace_id()).c_str());
    return kExitOk;
  }
  if (flags.Has("json")) {
    PrintEventsJson(events, {}, stdout);
    return kExitOk;
  }

  const int64_t start = response.start_ns();
  auto offset = [&](int64_t t) { return "+" + FormatDuration(t - start); };
  printf("trace %s: %zu events, %d services, %s (%s .. %s)\n",
         Printable(request.trace_id()).c_str(), events.size(), response.services_size(),
         FormatDuration(response.end_ns() - start).c_str(), ingest::FormatRfc3339(start, 3).c_str(),
         ingest::FormatRfc3339(response.end_ns(), 3).c_str());

  printf("\n");
  TextTable services;
  services.header = {"SERVICE", "EVENTS", "ERRORS", "FIRST", "LAST"};
  services.numeric = {false, true, true, true, true};
  for (const v1::ServiceSummary& s : response.services()) {
    services.rows.push_back({s.service().empty() ? "-" : s.service(), std::to_string(s.events()),
                             std::to_string(s.errors()), offset(s.first_ns()),
                             offset(s.last_ns())});
  }
  PrintTable(services, stdout);

  if (response.spans_size() > 0) {
    printf("\nspans (offset from the trace start, duration):\n");
    TextTable spans;
    spans.header = {"SPAN", "SERVICE", "START", "DURATION", "EVENTS"};
    spans.numeric = {false, false, true, true, true};
    for (const v1::Span& span : response.spans()) {
      spans.rows.push_back({std::string(2 * span.depth(), ' ') + span.span_id(), span.service(),
                            offset(span.start_ns()),
                            FormatDuration(span.end_ns() - span.start_ns()),
                            std::to_string(span.event_indexes_size())});
    }
    PrintTable(spans, stdout);
  }

  printf("\ntimeline:\n");
  size_t service_width = 0;
  for (const Event& e : events) service_width = std::max(service_width, DisplayWidth(e.service));
  for (Event& e : events) {
    e.trace_id.clear();  // the same on every line: said once in the heading
    // start_ns may be 0 only for an event at the epoch; base 0 means absolute times.
    printf("%s\n", FormatEventLine(e, std::min<size_t>(service_width, 24), env.stdout_tty,
                                   start > 0 ? start : 0)
                       .c_str());
  }
  return kExitOk;
}

}  // namespace trove::cli
