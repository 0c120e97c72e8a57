// The stats pipe: groups and aggregate states. Each segment task fills its own accumulator
// from columns (dictionary-encoded keys are mapped once per distinct value, not per row);
// buffered events go through AddEvent; accumulators merge at the end (query/engine.h gives the
// result semantics). Not thread-safe: one accumulator per task.
#pragma once

#include <roaring/roaring.hh>

#include <map>
#include <memory>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"
#include "query/sketch.h"
#include "storage/segment.h"

namespace trove::query {

struct QueryContext;

class StatsAccumulator {
 public:
  // `stats` must be a kStats pipe; InvalidArgument when it makes no sense (e.g. a `_time`
  // key without a bucket).
  static Result<StatsAccumulator> Create(const Pipe& stats, uint64_t max_groups);
  StatsAccumulator(StatsAccumulator&&) = default;
  StatsAccumulator& operator=(StatsAccumulator&&) = default;

  // An accumulator for the same pipe with no groups yet, for another task.
  StatsAccumulator CloneEmpty() const;

  Status AddEvent(const Event& event);
  // Adds rows (matching rows of segment) reading only the key and aggregate columns.
  Status AddSegmentRows(const SegmentReader& segment, const Roaring& rows,
                        const QueryContext& ctx);
  Status Merge(StatsAccumulator&& other);
  Table Finish() const;
  // Columns a columnar pass reads, for explain.
  std::vector<std::string> Fields() const;

 private:
  struct AggState {
    uint64_t count = 0;
    uint64_t n = 0;  // numeric values seen
    double sum = 0;
    double min = 0, max = 0;
    std::unique_ptr<DistinctCounter> uniq;
    std::unique_ptr<QuantileSketch> quantiles;
    void Merge(AggState&& other);
  };
  using GroupKeyCells = std::vector<Cell>;
  using Groups = std::map<GroupKeyCells, std::vector<AggState>>;

  StatsAccumulator() = default;
  Result<std::vector<AggState>*> GroupFor(GroupKeyCells key);
  std::vector<AggState> NewStates() const;
  void AddNumber(AggState* s, const Aggregate& a, double v) const;
  // AddSegmentRows of every row of segment, without keys, when every aggregate is count() or a
  // count_uniq of columns that are all dictionary-encoded there (from the dictionaries, no row
  // read): *done says whether it applied.
  Status AddWholeSegmentUniq(const SegmentReader& segment, bool* done);

  std::vector<GroupKey> keys_;
  std::vector<Aggregate> aggregates_;
  uint64_t max_groups_ = 0;
  Groups groups_;
};

}  // namespace trove::query
