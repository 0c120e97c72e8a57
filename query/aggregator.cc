#include "query/aggregator.h"

#include <cmath>
#include <unordered_map>

#include "query/field_value.h"
#include "query/segment_search.h"

namespace trove::query {

namespace {

bool NeedsNumbers(Aggregate::Fn fn) {
  return fn != Aggregate::Fn::kCount && fn != Aggregate::Fn::kCountUniq;
}

int64_t BucketStart(int64_t t, int64_t width) {
  int64_t r = t % width;
  if (r < 0) r += width;
  return t - r;
}

std::vector<const ColumnMeta*> ColumnsNamed(const SegmentReader& segment, std::string_view name) {
  std::vector<const ColumnMeta*> out;
  for (const ColumnMeta& c : segment.meta().columns) {
    if (c.name == name && c.present > 0) out.push_back(&c);
  }
  return out;
}

// One field of one segment read row by row through cursors over its columns (an attribute
// key may have a column per value type; a row has a value in at most one).
class FieldReader {
 public:
  FieldReader(const SegmentReader& segment, std::string_view field) : field_(field) {
    for (const ColumnMeta* c : ColumnsNamed(segment, field)) {
      cursors_.emplace_back(&segment, c);
    }
  }
  // Calls fn(column, block, i) for the column holding row's value; returns false if absent.
  template <typename Fn>
  Result<bool> Visit(uint32_t row, Fn&& fn) {
    for (size_t k = 0; k < cursors_.size(); ++k) {
      const ColumnBlock* block;
      TROVE_RETURN_IF_ERROR(cursors_[k].Seek(row, &block));
      uint32_t i = row - block->first_row;
      if (!block->IsPresent(i)) continue;
      fn(k, cursors_[k].column(), *block, i);
      return true;
    }
    return false;
  }
  // The text form of a value (not for _time).
  static std::string_view Text(const ColumnMeta& c, const ColumnBlock& b, uint32_t i,
                               std::string* scratch) {
    if (c.name == kFieldLevel) return LevelName(static_cast<Level>(b.ints[i]));
    switch (c.type) {
      case ValueType::kString: return b.StringAt(i);
      case ValueType::kInt64: *scratch = std::to_string(b.ints[i]); return *scratch;
      case ValueType::kDouble: *scratch = ValueToString(AttrValue(b.doubles[i])); return *scratch;
      case ValueType::kBool: return b.ints[i] ? "true" : "false";
    }
    return {};
  }
  // The numeric value, if the column is numeric (_time, level, int64, double).
  static std::optional<double> Number(const ColumnMeta& c, const ColumnBlock& b, uint32_t i) {
    if (c.type == ValueType::kDouble) return b.doubles[i];
    if (c.type == ValueType::kInt64) return static_cast<double>(b.ints[i]);
    return std::nullopt;
  }
  size_t columns() const { return cursors_.size(); }

 private:
  std::string field_;
  std::vector<ColumnCursor> cursors_;
};

// Maps a group key's values in one segment to small ids. Dictionary-encoded columns map each
// dictionary entry once, so grouping by a dictionary column never touches strings per row.
class KeyInterner {
 public:
  KeyInterner(const SegmentReader& segment, const GroupKey& key)
      : key_(key), reader_(segment, key.bucket_ns ? std::string(kFieldTime) : key.field) {
    cells_.push_back(Cell());  // id 0: absent
  }
  Result<uint32_t> Id(uint32_t row) {
    uint32_t id = 0;
    std::string scratch;
    TROVE_ASSIGN_OR_RETURN(bool present, reader_.Visit(row, [&](size_t k, const ColumnMeta& c,
                                                                const ColumnBlock& b,
                                                                uint32_t i) {
      if (key_.bucket_ns) {
        int64_t start = BucketStart(b.ints[i], key_.bucket_ns);
        auto [it, fresh] = bucket_ids_.try_emplace(start, static_cast<uint32_t>(cells_.size()));
        if (fresh) cells_.push_back(TimeValue{start});
        id = it->second;
        return;
      }
      if (b.dictionary) {
        if (dict_memo_.size() <= k) dict_memo_.resize(k + 1);
        auto& memo = dict_memo_[k];
        if (memo.empty()) memo.assign(b.dictionary->size(), UINT32_MAX);
        uint32_t& m = memo[b.dict_ids[i]];
        if (m == UINT32_MAX) m = Intern(b.StringAt(i));
        id = m;
        return;
      }
      id = Intern(FieldReader::Text(c, b, i, &scratch));
    }));
    (void)present;
    return id;
  }
  const Cell& cell(uint32_t id) const { return cells_[id]; }

 private:
  uint32_t Intern(std::string_view text) {
    auto [it, fresh] = text_ids_.try_emplace(std::string(text), static_cast<uint32_t>(cells_.size()));
    if (fresh) cells_.push_back(std::string(text));
    return it->second;
  }

  const GroupKey& key_;
  FieldReader reader_;
  std::vector<Cell> cells_;
  std::unordered_map<std::string, uint32_t> text_ids_;
  std::unordered_map<int64_t, uint32_t> bucket_ids_;
  std::vector<std::vector<uint32_t>> dict_memo_;
};

}  // namespace

void StatsAccumulator::AggState::Merge(AggState&& o) {
  count += o.count;
  if (o.n) {
    if (n == 0) {
      min = o.min;
      max = o.max;
    } else {
      min = std::min(min, o.min);
      max = std::max(max, o.max);
    }
    n += o.n;
    sum += o.sum;
  }
  if (o.uniq) {
    if (uniq) uniq->Merge(*o.uniq);
    else uniq = std::move(o.uniq);
  }
  if (o.quantiles) {
    if (quantiles) quantiles->Merge(*o.quantiles);
    else quantiles = std::move(o.quantiles);
  }
}

Result<StatsAccumulator> StatsAccumulator::Create(const Pipe& stats, uint64_t max_groups) {
  StatsAccumulator acc;
  acc.keys_ = stats.by;
  acc.aggregates_ = stats.aggregates;
  acc.max_groups_ = max_groups;
  for (const GroupKey& k : acc.keys_) {
    if (k.field == kFieldTime && k.bucket_ns <= 0) {
      return Status::InvalidArgument("stats by _time needs a bucket, e.g. by (_time:1m)");
    }
    if (k.bucket_ns < 0) return Status::InvalidArgument("negative time bucket");
  }
  for (const Aggregate& a : acc.aggregates_) {
    if (a.fn != Aggregate::Fn::kCount && a.field.empty()) {
      return Status::InvalidArgument(a.name + " needs a field");
    }
    if ((a.fn == Aggregate::Fn::kQuantile || a.fn == Aggregate::Fn::kMedian) &&
        !(a.q >= 0 && a.q <= 1)) {
      return Status::InvalidArgument(a.name + ": quantile must be between 0 and 1");
    }
  }
  if (acc.keys_.empty()) acc.groups_.emplace(GroupKeyCells(), acc.NewStates());
  return acc;
}

StatsAccumulator StatsAccumulator::CloneEmpty() const {
  StatsAccumulator acc;
  acc.keys_ = keys_;
  acc.aggregates_ = aggregates_;
  acc.max_groups_ = max_groups_;
  if (acc.keys_.empty()) acc.groups_.emplace(GroupKeyCells(), acc.NewStates());
  return acc;
}

std::vector<StatsAccumulator::AggState> StatsAccumulator::NewStates() const {
  return std::vector<AggState>(aggregates_.size());
}

Result<std::vector<StatsAccumulator::AggState>*> StatsAccumulator::GroupFor(GroupKeyCells key) {
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    if (groups_.size() >= max_groups_) {
      return Status::ResourceExhausted("stats built more than " + std::to_string(max_groups_) +
                                       " groups; use fewer or coarser `by` keys");
    }
    it = groups_.emplace(std::move(key), NewStates()).first;
  }
  return &it->second;
}

void StatsAccumulator::AddNumber(AggState* s, const Aggregate& a, double v) const {
  if (std::isnan(v)) return;
  if (s->n == 0) {
    s->min = s->max = v;
  } else {
    s->min = std::min(s->min, v);
    s->max = std::max(s->max, v);
  }
  ++s->n;
  s->sum += v;
  if (a.fn == Aggregate::Fn::kMedian || a.fn == Aggregate::Fn::kQuantile) {
    if (!s->quantiles) s->quantiles = std::make_unique<QuantileSketch>();
    s->quantiles->Add(v);
  }
}

Status StatsAccumulator::AddEvent(const Event& event) {
  GroupKeyCells key;
  key.reserve(keys_.size());
  std::string scratch;
  for (const GroupKey& k : keys_) {
    if (k.bucket_ns) {
      key.push_back(TimeValue{BucketStart(event.time_ns, k.bucket_ns)});
    } else if (auto text = TextForm(event, k.field, &scratch)) {
      key.push_back(std::string(*text));
    } else {
      key.push_back(Cell());
    }
  }
  TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor(std::move(key)));
  for (size_t j = 0; j < aggregates_.size(); ++j) {
    const Aggregate& a = aggregates_[j];
    AggState& s = (*states)[j];
    ++s.count;
    if (a.fn == Aggregate::Fn::kCountUniq) {
      if (auto text = TextForm(event, a.field, &scratch)) {
        if (!s.uniq) s.uniq = std::make_unique<DistinctCounter>();
        s.uniq->AddHash(HashBytes(*text));
      }
    } else if (NeedsNumbers(a.fn)) {
      if (auto v = NumericValue(event, a.field)) AddNumber(&s, a, *v);
    }
  }
  return Status::OK();
}

Status StatsAccumulator::AddSegmentRows(const SegmentReader& segment, const Roaring& rows,
                                        const QueryContext& ctx) {
  if (rows.isEmpty()) return Status::OK();
  std::vector<KeyInterner> keys;
  keys.reserve(keys_.size());
  for (const GroupKey& k : keys_) keys.emplace_back(segment, k);
  std::vector<std::unique_ptr<FieldReader>> values(aggregates_.size());
  for (size_t j = 0; j < aggregates_.size(); ++j) {
    if (aggregates_[j].fn != Aggregate::Fn::kCount) {
      values[j] = std::make_unique<FieldReader>(segment, aggregates_[j].field);
    }
  }
  // Local groups by their key ids; one key uses the id directly.
  std::vector<std::vector<AggState>> local;
  std::vector<std::vector<uint32_t>> local_keys;
  std::unordered_map<std::string, uint32_t> multi;
  std::vector<uint32_t> single;  // key id → local group + 1
  std::vector<uint32_t> ids(keys.size());
  std::string packed, scratch;
  uint64_t processed = 0;
  // Cost per row: one cursor check per key and value column, a memo lookup per key, the
  // aggregate updates; strings are touched only for non-dictionary keys and count_uniq.
  for (uint32_t row : rows) {
    if ((++processed & 0xffff) == 0) TROVE_RETURN_IF_ERROR(ctx.Check());
    for (size_t k = 0; k < keys.size(); ++k) {
      TROVE_ASSIGN_OR_RETURN(ids[k], keys[k].Id(row));
    }
    uint32_t g;
    if (keys.size() <= 1) {
      uint32_t id = keys.empty() ? 0 : ids[0];
      if (single.size() <= id) single.resize(id + 1, 0);
      if (single[id] == 0) {
        local.push_back(NewStates());
        local_keys.push_back(ids);
        single[id] = static_cast<uint32_t>(local.size());
      }
      g = single[id] - 1;
    } else {
      packed.assign(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(uint32_t));
      auto [it, fresh] = multi.try_emplace(packed, static_cast<uint32_t>(local.size()));
      if (fresh) {
        local.push_back(NewStates());
        local_keys.push_back(ids);
      }
      g = it->second;
    }
    if (local.size() > max_groups_) {
      return Status::ResourceExhausted("stats built more than " + std::to_string(max_groups_) +
                                       " groups; use fewer or coarser `by` keys");
    }
    std::vector<AggState>& states = local[g];
    for (size_t j = 0; j < aggregates_.size(); ++j) {
      const Aggregate& a = aggregates_[j];
      AggState& s = states[j];
      ++s.count;
      if (a.fn == Aggregate::Fn::kCount) continue;
      TROVE_ASSIGN_OR_RETURN(
          bool present,
          values[j]->Visit(row, [&](size_t, const ColumnMeta& c, const ColumnBlock& b,
                                    uint32_t i) {
            if (a.fn == Aggregate::Fn::kCountUniq) {
              if (c.name == kFieldTime) return;  // _time has no text form
              if (!s.uniq) s.uniq = std::make_unique<DistinctCounter>();
              s.uniq->AddHash(HashBytes(FieldReader::Text(c, b, i, &scratch)));
            } else if (auto v = FieldReader::Number(c, b, i)) {
              AddNumber(&s, a, *v);
            }
          }));
      (void)present;
    }
  }
  for (size_t g = 0; g < local.size(); ++g) {
    GroupKeyCells cells;
    for (size_t k = 0; k < keys.size(); ++k) cells.push_back(keys[k].cell(local_keys[g][k]));
    TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor(std::move(cells)));
    for (size_t j = 0; j < aggregates_.size(); ++j) (*states)[j].Merge(std::move(local[g][j]));
  }
  return Status::OK();
}

Status StatsAccumulator::Merge(StatsAccumulator&& other) {
  for (auto& [key, states] : other.groups_) {
    TROVE_ASSIGN_OR_RETURN(auto* mine, GroupFor(key));
    for (size_t j = 0; j < states.size(); ++j) (*mine)[j].Merge(std::move(states[j]));
  }
  other.groups_.clear();
  return Status::OK();
}

std::vector<std::string> StatsAccumulator::Fields() const {
  std::vector<std::string> out;
  for (const GroupKey& k : keys_) out.push_back(k.bucket_ns ? std::string(kFieldTime) : k.field);
  for (const Aggregate& a : aggregates_) {
    if (!a.field.empty()) out.push_back(a.field);
  }
  return out;
}

Table StatsAccumulator::Finish() const {
  Table t;
  for (const GroupKey& k : keys_) t.columns.push_back(k.name.empty() ? k.field : k.name);
  for (const Aggregate& a : aggregates_) t.columns.push_back(a.name);
  for (const auto& [key, states] : groups_) {
    std::vector<Cell> row(key.begin(), key.end());
    for (size_t j = 0; j < aggregates_.size(); ++j) {
      const Aggregate& a = aggregates_[j];
      const AggState& s = states[j];
      switch (a.fn) {
        case Aggregate::Fn::kCount: row.push_back(static_cast<int64_t>(s.count)); break;
        case Aggregate::Fn::kCountUniq:
          row.push_back(static_cast<int64_t>(s.uniq ? s.uniq->Estimate() : 0));
          break;
        case Aggregate::Fn::kSum: row.push_back(s.n ? Cell(s.sum) : Cell()); break;
        case Aggregate::Fn::kAvg:
          row.push_back(s.n ? Cell(s.sum / static_cast<double>(s.n)) : Cell());
          break;
        case Aggregate::Fn::kMin: row.push_back(s.n ? Cell(s.min) : Cell()); break;
        case Aggregate::Fn::kMax: row.push_back(s.n ? Cell(s.max) : Cell()); break;
        case Aggregate::Fn::kMedian:
        case Aggregate::Fn::kQuantile: {
          std::optional<double> v;
          if (s.quantiles) v = s.quantiles->Quantile(a.q);
          row.push_back(v ? Cell(*v) : Cell());
          break;
        }
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace trove::query
