#include "bench/compare/trove_embedded.h"

#include <chrono>

#include "bench/compare/trove_system.h"
#include "proto/trove.pb.h"
#include "query/engine.h"
#include "query/parser.h"
#include "server/convert.h"
#include "storage/store.h"

namespace trove::bench::compare {

struct TroveEmbedded::Impl {
  std::unique_ptr<Store> store;
  query::QueryEngine engine;
  query::QueryOptions options;
};

TroveEmbedded::TroveEmbedded(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TroveEmbedded::~TroveEmbedded() = default;

Result<std::unique_ptr<TroveEmbedded>> TroveEmbedded::Open(const std::string& data_dir) {
  auto impl = std::make_unique<Impl>();
  StoreOptions options;
  options.background = false;  // nothing to flush, merge or archive: only reads
  auto store = Store::Open(options, data_dir);
  if (!store.ok()) {
    return Status::IOError("cannot open the store in " + data_dir + ": " +
                           store.status().ToString());
  }
  impl->store = std::move(store).value();
  // As troved runs for the benchmark (--max-result-rows 1000000); no deadline.
  impl->options.max_result_rows = 1'000'000;
  impl->options.max_trace_events = 1'000'000;
  return std::unique_ptr<TroveEmbedded>(new TroveEmbedded(std::move(impl)));
}

Status TroveEmbedded::Run(const Workload& w, const Dataset& data, size_t variant,
                          Answer* answer) {
  Impl& m = *impl_;
  const auto snapshot = m.store->GetSnapshot();
  if (w.id == WorkloadId::kTraceLookup) {
    const std::string& id = TraceFor(data, variant);
    TROVE_ASSIGN_OR_RETURN(query::Trace trace, m.engine.GetTrace(*snapshot, id, m.options));
    (*answer)[id] = static_cast<double>(trace.events.size());
    return Status::OK();
  }
  std::string key;
  const std::string text = TroveQueryText(w, data, variant, &key);
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  TROVE_ASSIGN_OR_RETURN(query::Query parsed, query::ParseQuery(text, now));
  TROVE_ASSIGN_OR_RETURN(query::QueryResult result, m.engine.Run(*snapshot, parsed, m.options));
  v1::AggregateResponse response;
  server::TableToProto(result.table, &response);
  AnswerFromAggregate(w, key, response, answer);
  return Status::OK();
}

}  // namespace trove::bench::compare
