#include "query/aggregator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "query/field_value.h"
#include "query/segment_search.h"
#include "storage/format.h"

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

// The text form of a value in a decoded block (not for _time).
std::string_view TextAt(const ColumnMeta& c, const ColumnBlock& b, uint32_t i,
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
std::optional<double> NumberAt(const ColumnMeta& c, const ColumnBlock& b, uint32_t i) {
  if (c.type == ValueType::kDouble) return b.doubles[i];
  if (c.type == ValueType::kInt64) return static_cast<double>(b.ints[i]);
  return std::nullopt;
}

// count_uniq of a dictionary-encoded column within one segment: each dictionary value is
// hashed once, and each (group, value) pair reaches the group's counter once, so a row whose
// value its group has seen costs a bit test instead of a string hash and a set probe. The
// seen-bits of all groups stay under kMaxSeenBits; groups past that add every row's (memoised)
// hash, which gives the same answer.
class DictionaryUniq {
 public:
  static constexpr size_t kMaxSeenBits = size_t{1} << 22;  // 512 KiB

  explicit DictionaryUniq(std::shared_ptr<const StringTable> dictionary)
      : dictionary_(std::move(dictionary)),
        hashes_(dictionary_->size()),
        hashed_(dictionary_->size()) {}

  void Add(size_t group, uint32_t id, DistinctCounter* counter) {
    if (group >= seen_.size()) seen_.resize(group + 1);
    std::vector<uint64_t>& seen = seen_[group];
    if (seen.empty() && seen_bits_ + dictionary_->size() <= kMaxSeenBits) {
      seen.assign((dictionary_->size() + 63) / 64, 0);
      seen_bits_ += seen.size() * 64;
    }
    if (!seen.empty()) {
      uint64_t& word = seen[id >> 6];
      const uint64_t bit = uint64_t{1} << (id & 63);
      if (word & bit) return;
      word |= bit;
    }
    if (!hashed_[id]) {
      hashes_[id] = HashBytes((*dictionary_)[id]);
      hashed_[id] = 1;
    }
    counter->AddHash(hashes_[id]);
  }

 private:
  std::shared_ptr<const StringTable> dictionary_;
  std::vector<uint64_t> hashes_;
  std::vector<uint8_t> hashed_;
  std::vector<std::vector<uint64_t>> seen_;  // by local group: a bit per dictionary value
  size_t seen_bits_ = 0;
};

// Maps a group key's values in one segment to small ids (0 = absent). Dictionary-encoded
// columns map each dictionary entry once, and time buckets reuse the previous row's bucket
// (rows are in time order), so the common keys never hash per row.
class KeyInterner {
 public:
  KeyInterner(const SegmentReader& segment, const GroupKey& key)
      : key_(key), columns_(ColumnsNamed(segment, key.bucket_ns ? kFieldTime : key.field)) {
    cells_.push_back(Cell());
    dict_memo_.resize(columns_.size());
  }
  const std::vector<const ColumnMeta*>& columns() const { return columns_; }
  // Sets ids[j] for the rows offsets[j] of block that have a value in column k.
  void Map(size_t k, const ColumnBlock& block, const std::vector<uint32_t>& offsets,
           std::vector<uint32_t>* ids) {
    const ColumnMeta& c = *columns_[k];
    if (block.dictionary && !key_.bucket_ns) {
      // The common case, kept tight: one memo load per row.
      auto& memo = dict_memo_[k];
      if (memo.empty()) memo.assign(block.dictionary->size(), UINT32_MAX);
      const uint32_t* dict_ids = block.dict_ids.data();
      const bool all_present = block.present.empty();
      for (size_t j = 0; j < offsets.size(); ++j) {
        const uint32_t i = offsets[j];
        if (!all_present && !block.present[i]) continue;
        uint32_t& m = memo[dict_ids[i]];
        if (m == UINT32_MAX) m = Intern(block.StringAt(i));
        (*ids)[j] = m;
      }
      return;
    }
    std::string scratch;
    for (size_t j = 0; j < offsets.size(); ++j) {
      const uint32_t i = offsets[j];
      if (!block.IsPresent(i)) continue;
      uint32_t& id = (*ids)[j];
      if (key_.bucket_ns) {
        int64_t start = BucketStart(block.ints[i], key_.bucket_ns);
        if (start != last_bucket_ || last_bucket_id_ == 0) {
          auto [it, fresh] =
              bucket_ids_.try_emplace(start, static_cast<uint32_t>(cells_.size()));
          if (fresh) cells_.push_back(TimeValue{start});
          last_bucket_ = start;
          last_bucket_id_ = it->second;
        }
        id = last_bucket_id_;
      } else if (block.dictionary) {
        auto& memo = dict_memo_[k];
        if (memo.empty()) memo.assign(block.dictionary->size(), UINT32_MAX);
        uint32_t& m = memo[block.dict_ids[i]];
        if (m == UINT32_MAX) m = Intern(block.StringAt(i));
        id = m;
      } else if (c.name == kFieldLevel) {
        uint32_t& m = level_memo_[block.ints[i] & 7];
        if (m == 0) m = Intern(LevelName(static_cast<Level>(block.ints[i])));
        id = m;
      } else {
        id = Intern(TextAt(c, block, i, &scratch));
      }
    }
  }
  const Cell& cell(uint32_t id) const { return cells_[id]; }
  // Ids handed out so far (all below this).
  size_t size() const { return cells_.size(); }

 private:
  uint32_t Intern(std::string_view text) {
    auto [it, fresh] =
        text_ids_.try_emplace(std::string(text), static_cast<uint32_t>(cells_.size()));
    if (fresh) cells_.push_back(std::string(text));
    return it->second;
  }

  const GroupKey& key_;
  std::vector<const ColumnMeta*> columns_;
  std::vector<Cell> cells_;
  std::unordered_map<std::string, uint32_t> text_ids_;
  std::unordered_map<int64_t, uint32_t> bucket_ids_;
  int64_t last_bucket_ = 0;
  uint32_t last_bucket_id_ = 0;
  std::vector<std::vector<uint32_t>> dict_memo_;
  uint32_t level_memo_[8] = {};
};

Status TooManyGroups(uint64_t max_groups) {
  return Status::ResourceExhausted("stats built more than " + std::to_string(max_groups) +
                                   " groups; use fewer or coarser `by` keys");
}

// Adds block's rows (all, or those at offsets) of the _time column to tally, by bucket of
// `width` ns: a bucket's rows are a run of the block (rows are in time order), whose end is
// the first row at or past the bucket's end. Runs continue the last entry of tally when they
// are in its bucket (a bucket spanning blocks).
Status TallyTimeRuns(const ColumnBlock& block, const std::vector<uint32_t>* offsets,
                     int64_t width, std::vector<std::pair<int64_t, uint64_t>>* tally) {
  if (!block.present.empty()) return Status::Corruption("_time block with rows without a time");
  const int64_t* times = block.ints.data();
  const size_t n = offsets ? offsets->size() : block.num_rows;
  auto time_at = [&](size_t j) { return times[offsets ? (*offsets)[j] : j]; };
  for (size_t j = 0; j < n;) {
    const int64_t start = BucketStart(time_at(j), width);
    // The first row past the bucket: [start, start + width) without overflow.
    size_t lo = j + 1, hi = n;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      // Unsigned: no overflow between far-apart times (and a row before start, which time
      // order rules out, counts as past the bucket rather than in it).
      if (static_cast<uint64_t>(time_at(mid)) - static_cast<uint64_t>(start) <
          static_cast<uint64_t>(width)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (!tally->empty() && tally->back().first == start) {
      tally->back().second += lo - j;
    } else {
      tally->emplace_back(start, lo - j);
    }
    j = lo;
  }
  return Status::OK();
}

// Adds block's rows (all, or those at offsets) to tally by dictionary id, and those without a
// value to *keyless. The blocks of one column share the segment's dictionary (decoded once,
// or again after an eviction): *dictionary keeps the first block's, to name the ids.
Status TallyDictionaryIds(const ColumnBlock& block, const std::vector<uint32_t>* offsets,
                          std::shared_ptr<const StringTable>* dictionary,
                          std::vector<uint64_t>* tally, uint64_t* keyless) {
  if (!block.dictionary) return Status::Corruption("dictionary column block without dictionary");
  if (!*dictionary) {
    *dictionary = block.dictionary;
    tally->assign(block.dictionary->size(), 0);
  } else if (block.dictionary->size() != (*dictionary)->size()) {
    return Status::Corruption("blocks of one column with different dictionaries");
  }
  uint64_t* counts = tally->data();
  const uint32_t* ids = block.dict_ids.data();  // each < the dictionary's size (decoding checks)
  const uint8_t* present = block.present.empty() ? nullptr : block.present.data();
  const size_t n = offsets ? offsets->size() : block.num_rows;
  for (size_t j = 0; j < n; ++j) {
    const uint32_t i = offsets ? (*offsets)[j] : static_cast<uint32_t>(j);
    if (present && !present[i]) {
      ++*keyless;
    } else {
      ++counts[ids[i]];
    }
  }
  return Status::OK();
}

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
      return TooManyGroups(max_groups_);
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

// `stats count_uniq(K) …` without keys over every row of a segment, each K dictionary-encoded
// there (user IDs, hosts…): a dictionary holds exactly its column's distinct values
// (FORMAT.md §4.2), so its values are hashed once each and no row is read. The counter ends
// in the state the rows would have left it in (a hash added twice counts once).
Status StatsAccumulator::AddWholeSegmentUniq(const SegmentReader& segment, bool* done) {
  *done = false;
  std::vector<std::vector<const ColumnMeta*>> columns(aggregates_.size());
  for (size_t a = 0; a < aggregates_.size(); ++a) {
    const Aggregate& agg = aggregates_[a];
    if (agg.fn == Aggregate::Fn::kCount) continue;
    if (agg.fn != Aggregate::Fn::kCountUniq) return Status::OK();
    columns[a] = ColumnsNamed(segment, agg.field);
    for (const ColumnMeta* c : columns[a]) {
      if (c->encoding != format::kEncodingStringDict) return Status::OK();
    }
  }
  TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor({}));
  for (size_t a = 0; a < aggregates_.size(); ++a) {
    AggState& s = (*states)[a];
    s.count += segment.rows();
    for (const ColumnMeta* c : columns[a]) {
      TROVE_ASSIGN_OR_RETURN(auto dictionary, segment.Dictionary(*c));
      if (!s.uniq) s.uniq = std::make_unique<DistinctCounter>();
      for (size_t i = 0; i < dictionary->size(); ++i) s.uniq->AddHash(HashBytes((*dictionary)[i]));
    }
  }
  *done = true;
  return Status::OK();
}

Status StatsAccumulator::AddSegmentRows(const SegmentReader& segment, const Roaring& rows,
                                        const QueryContext& ctx) {
  if (rows.isEmpty()) return Status::OK();
  // `stats count()` and the like (no keys, only counts): the answer is the set's size.
  if (keys_.empty() && std::all_of(aggregates_.begin(), aggregates_.end(), [](const Aggregate& a) {
        return a.fn == Aggregate::Fn::kCount;
      })) {
    TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor({}));
    const uint64_t n = rows.cardinality();
    for (AggState& state : *states) state.count += n;
    return Status::OK();
  }
  if (keys_.empty() && rows.cardinality() == segment.rows()) {
    bool done = false;
    TROVE_RETURN_IF_ERROR(AddWholeSegmentUniq(segment, &done));
    if (done) return Status::OK();
  }
  const ColumnMeta* time = segment.FindColumn(kFieldTime, ValueType::kInt64);
  if (!time) return Status::Corruption(segment.path() + ": no _time column");
  std::vector<KeyInterner> keys;
  keys.reserve(keys_.size());
  for (const GroupKey& k : keys_) keys.emplace_back(segment, k);
  std::vector<std::vector<const ColumnMeta*>> value_columns(aggregates_.size());
  for (size_t j = 0; j < aggregates_.size(); ++j) {
    if (aggregates_[j].fn != Aggregate::Fn::kCount) {
      value_columns[j] = ColumnsNamed(segment, aggregates_[j].field);
    }
  }
  // Local groups by their key ids; one key uses its id directly.
  std::vector<std::vector<AggState>> local;
  std::vector<std::vector<uint32_t>> local_keys;
  std::unordered_map<std::string, uint32_t> multi;
  std::vector<uint32_t> single;  // key id → local group + 1
  const bool all_rows = rows.cardinality() == segment.rows();
  std::vector<uint32_t> offsets, group_of;
  std::vector<std::vector<uint32_t>> ids(keys.size());
  std::vector<uint32_t> row_ids(keys.size());
  std::string packed, scratch;
  std::shared_ptr<const ColumnBlock> block;
  std::map<std::pair<size_t, const ColumnMeta*>, std::unique_ptr<DictionaryUniq>>
      dictionary_uniq;  // by (aggregate, column)
  const bool tally_one_key =
      keys.size() == 1 && std::all_of(aggregates_.begin(), aggregates_.end(), [](const auto& a) {
        return a.fn == Aggregate::Fn::kCount;
      });
  std::vector<uint64_t> tally;  // rows by key id, when tally_one_key
  // `stats by (key) count()` with one dictionary-encoded key column (service, host, route…):
  // rows are tallied by dictionary id, and the ids become keys once a segment, so a row costs
  // one increment (no memo lookup, no key-id vector).
  const ColumnMeta* dict_key = nullptr;
  if (tally_one_key && !keys_[0].bucket_ns && keys[0].columns().size() == 1 &&
      keys[0].columns()[0]->encoding == format::kEncodingStringDict) {
    dict_key = keys[0].columns()[0];
  }
  // `stats by (_time:STEP) count()`: a segment's rows are in time order (FORMAT.md §4), so
  // each bucket's rows of a block are one run, found by binary search instead of row by row.
  const bool time_runs = tally_one_key && keys_[0].bucket_ns > 0 &&
                         keys[0].columns().size() == 1 && keys[0].columns()[0] == time;
  std::vector<std::pair<int64_t, uint64_t>> time_tally;  // (bucket start, rows), ascending
  std::vector<uint64_t> dict_tally;  // rows by dictionary id, when dict_key
  uint64_t keyless = 0;              // rows without a value, when dict_key
  std::shared_ptr<const StringTable> dictionary;
  auto next_row = rows.begin();
  // Block by block (all columns share the row ranges of _time's blocks): gather the block's
  // matching rows, map each key column once per block, then update the aggregates. Cost per
  // row: a memo lookup per key and the aggregate updates; strings are touched only for
  // non-dictionary keys and count_uniq.
  for (size_t b = 0; b < time->blocks.size(); ++b) {
    TROVE_RETURN_IF_ERROR(ctx.Check());
    const uint32_t first = time->blocks[b].first_row, n = time->blocks[b].num_rows;
    offsets.clear();
    if (!all_rows) {
      while (next_row != rows.end() && *next_row < first + n) {
        offsets.push_back(*next_row - first);
        ++next_row;
      }
      if (offsets.empty()) continue;
    }
    // The tallies read the block's rows in place (all of them: no offsets).
    const std::vector<uint32_t>* subset = all_rows ? nullptr : &offsets;
    if (time_runs) {
      TROVE_ASSIGN_OR_RETURN(block, segment.ColumnBlockAt(*time, b));
      TROVE_RETURN_IF_ERROR(TallyTimeRuns(*block, subset, keys_[0].bucket_ns, &time_tally));
      continue;
    }
    if (dict_key) {
      if (dict_key->blocks[b].present == 0) {
        keyless += all_rows ? n : offsets.size();
        continue;
      }
      TROVE_ASSIGN_OR_RETURN(block, segment.ColumnBlockAt(*dict_key, b));
      TROVE_RETURN_IF_ERROR(
          TallyDictionaryIds(*block, subset, &dictionary, &dict_tally, &keyless));
      continue;
    }
    if (all_rows) {
      for (uint32_t i = 0; i < n; ++i) offsets.push_back(i);
    }
    for (size_t k = 0; k < keys.size(); ++k) {
      ids[k].assign(offsets.size(), 0);
      for (size_t c = 0; c < keys[k].columns().size(); ++c) {
        const ColumnMeta& column = *keys[k].columns()[c];
        if (column.blocks[b].present == 0) continue;
        TROVE_ASSIGN_OR_RETURN(block, segment.ColumnBlockAt(column, b));
        keys[k].Map(c, *block, offsets, &ids[k]);
      }
    }
    if (tally_one_key) {
      // `stats by (key) count()`: tally the rows by key id; groups are made once a segment.
      if (keys[0].size() > max_groups_ + 1) {
        return TooManyGroups(max_groups_);
      }
      tally.resize(keys[0].size(), 0);
      for (uint32_t id : ids[0]) ++tally[id];
      continue;
    }
    group_of.resize(offsets.size());
    if (keys.size() <= 1) single.resize(keys.empty() ? 1 : keys[0].size(), 0);
    for (size_t j = 0; j < offsets.size(); ++j) {
      uint32_t g;
      if (keys.size() <= 1) {
        const uint32_t id = keys.empty() ? 0 : ids[0][j];
        if (single[id] == 0) {
          local.push_back(NewStates());
          local_keys.push_back({id});
          single[id] = static_cast<uint32_t>(local.size());
        }
        g = single[id] - 1;
      } else {
        for (size_t k = 0; k < keys.size(); ++k) row_ids[k] = ids[k][j];
        packed.assign(reinterpret_cast<const char*>(row_ids.data()),
                      row_ids.size() * sizeof(uint32_t));
        auto [it, fresh] = multi.try_emplace(packed, static_cast<uint32_t>(local.size()));
        if (fresh) {
          local.push_back(NewStates());
          local_keys.push_back(row_ids);
        }
        g = it->second;
      }
      group_of[j] = g;
    }
    if (local.size() > max_groups_) {
      return TooManyGroups(max_groups_);
    }
    for (size_t a = 0; a < aggregates_.size(); ++a) {
      const Aggregate& agg = aggregates_[a];
      for (size_t j = 0; j < offsets.size(); ++j) ++local[group_of[j]][a].count;
      if (agg.fn == Aggregate::Fn::kCount) continue;
      for (const ColumnMeta* column : value_columns[a]) {
        if (column->blocks[b].present == 0) continue;
        if (agg.fn == Aggregate::Fn::kCountUniq && column->name == kFieldTime) continue;
        TROVE_ASSIGN_OR_RETURN(block, segment.ColumnBlockAt(*column, b));
        if (agg.fn == Aggregate::Fn::kCountUniq && block->dictionary) {
          auto [memo, fresh] = dictionary_uniq.try_emplace({a, column});
          if (fresh) memo->second = std::make_unique<DictionaryUniq>(block->dictionary);
          for (size_t j = 0; j < offsets.size(); ++j) {
            const uint32_t i = offsets[j];
            if (!block->IsPresent(i)) continue;
            AggState& s = local[group_of[j]][a];
            if (!s.uniq) s.uniq = std::make_unique<DistinctCounter>();
            memo->second->Add(group_of[j], block->dict_ids[i], s.uniq.get());
          }
          continue;
        }
        for (size_t j = 0; j < offsets.size(); ++j) {
          const uint32_t i = offsets[j];
          if (!block->IsPresent(i)) continue;
          AggState& s = local[group_of[j]][a];
          if (agg.fn == Aggregate::Fn::kCountUniq) {
            if (!s.uniq) s.uniq = std::make_unique<DistinctCounter>();
            s.uniq->AddHash(HashBytes(TextAt(*column, *block, i, &scratch)));
          } else if (auto v = NumberAt(*column, *block, i)) {
            AddNumber(&s, agg, *v);
          }
        }
      }
    }
  }
  if (time_runs) {
    if (time_tally.size() > max_groups_) {
      return TooManyGroups(max_groups_);
    }
    for (const auto& [start, count] : time_tally) {
      TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor({Cell(TimeValue{start})}));
      for (AggState& state : *states) state.count += count;
    }
  }
  if (dict_key) {
    size_t groups = keyless > 0 ? 1 : 0;
    for (uint64_t c : dict_tally) groups += c > 0;
    if (groups > max_groups_) {
      return TooManyGroups(max_groups_);
    }
    for (uint32_t id = 0; id < dict_tally.size(); ++id) {
      if (dict_tally[id] == 0) continue;
      TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor({Cell(std::string((*dictionary)[id]))}));
      for (AggState& state : *states) state.count += dict_tally[id];
    }
    if (keyless > 0) {
      TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor({Cell()}));
      for (AggState& state : *states) state.count += keyless;
    }
  }
  for (uint32_t id = 0; id < tally.size(); ++id) {
    if (tally[id] == 0) continue;
    TROVE_ASSIGN_OR_RETURN(auto* states, GroupFor({keys[0].cell(id)}));
    for (AggState& state : *states) state.count += tally[id];
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
