#include "query/segment_search.h"

#include <algorithm>
#include <chrono>

#include "index/tokenizer.h"
#include "storage/format.h"

namespace trove::query {

Status QueryContext::Check() const {
  if (!options) return Status::OK();
  if (options->cancel && options->cancel->load(std::memory_order_relaxed)) {
    return Status::Aborted("query cancelled");
  }
  if (options->deadline != std::chrono::steady_clock::time_point::max() &&
      std::chrono::steady_clock::now() > options->deadline) {
    return Status::Aborted("query deadline exceeded");
  }
  return Status::OK();
}

RowSet SegmentSearcher::All() const { return RowSet::Range(0, segment_->rows()); }

std::string IndexTerm::ToString() const {
  if (!field) return "trace_id index";
  return *field + ":" + *token + (prefix ? "*" : "");
}

namespace {
// Level names as the term index holds them, with a stable address for IndexTerm.
const std::string& IndexedLevelName(int level) {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (int l = 0; l < kNumLevels; ++l) {
      out.push_back(index::AsciiLower(LevelName(static_cast<Level>(l))));
    }
    return out;
  }();
  return names[static_cast<size_t>(level)];
}
}  // namespace

namespace {

// Whether TextCandidates takes a leaf's candidates from its tokens' postings, so that a token
// absent from the term index means no candidates; and which tokens are looked up as prefixes.
bool UsesTokenPostings(const CompiledLeaf& leaf) {
  switch (leaf.pred.kind) {
    case Predicate::Kind::kTimeRange:
    case Predicate::Kind::kRange:
    case Predicate::Kind::kExists:
    case Predicate::Kind::kRegex: return false;
    default: break;
  }
  switch (leaf.field_kind) {
    case FieldKind::kTime:
    case FieldKind::kLevel:
    case FieldKind::kTraceId:
    case FieldKind::kSpanId:
    case FieldKind::kParentSpanId: return false;
    default: return !leaf.tokens.empty();
  }
}

bool TokenIsPrefix(const CompiledLeaf& leaf, size_t i) {
  return leaf.pred.kind == Predicate::Kind::kPrefix && leaf.last_token_is_prefix &&
         i + 1 == leaf.tokens.size();
}

}  // namespace

TermPruner::TermPruner(const CompiledFilter& filter) : filter_(&filter) {
  leaf_terms_.resize(filter.leaves().size());
  for (size_t l = 0; l < filter.leaves().size(); ++l) {
    const CompiledLeaf& leaf = filter.leaves()[l];
    if (!UsesTokenPostings(leaf)) continue;
    for (size_t i = 0; i < leaf.tokens.size(); ++i) {
      if (TokenIsPrefix(leaf, i)) continue;
      leaf_terms_[l].push_back(index::FilterHash(TermKey(leaf.pred.field, leaf.tokens[i])));
      active_ = true;
    }
  }
}

bool TermPruner::NodeMayMatch(const CompiledFilter::Node& node,
                              const SegmentReader& segment) const {
  switch (node.op) {
    case Filter::Op::kLeaf:
      for (uint64_t h : leaf_terms_[static_cast<size_t>(node.leaf)]) {
        if (!segment.MayHaveTerm(h)) return false;
      }
      return true;
    case Filter::Op::kAnd:
      for (const auto& c : node.children) {
        if (!NodeMayMatch(c, segment)) return false;
      }
      return true;
    case Filter::Op::kOr:
      for (const auto& c : node.children) {
        if (NodeMayMatch(c, segment)) return true;
      }
      return false;
    case Filter::Op::kAll:
    case Filter::Op::kNot: return true;  // a negation matches where its child does not
  }
  return true;
}

void SegmentSearcher::UseTerm(const IndexTerm& term) {
  if (std::find(terms_.begin(), terms_.end(), term) == terms_.end()) terms_.push_back(term);
}

Result<std::shared_ptr<const Roaring>> SegmentSearcher::Postings(const std::string& field,
                                                                 const std::string& token,
                                                                 bool prefix) {
  UseTerm(IndexTerm{&field, &token, prefix});
  if (!prefix) return segment_->SharedPostings(field, token);
  TROVE_ASSIGN_OR_RETURN(Roaring rows, segment_->PrefixPostings(field, token));
  return std::make_shared<const Roaring>(std::move(rows));
}

// Per-block sets from column metadata alone: presence counts and min/max.
SegmentSearcher::Candidates SegmentSearcher::BlockCandidates(const CompiledLeaf& leaf) {
  Roaring sure, maybe;
  const Predicate& p = leaf.pred;
  auto columns_of = [&]() {
    std::vector<const ColumnMeta*> cols;
    for (const ColumnMeta& c : segment_->meta().columns) {
      if (c.name == p.field) cols.push_back(&c);
    }
    return cols;
  };
  for (const ColumnMeta* c : columns_of()) {
    for (const ColumnBlockMeta& b : c->blocks) {
      if (b.present == 0) continue;
      const uint64_t lo = b.first_row, hi = uint64_t{b.first_row} + b.num_rows;
      const bool full = b.present == b.num_rows;
      if (p.kind == Predicate::Kind::kExists) {
        (full ? sure : maybe).addRange(lo, hi);
        continue;
      }
      bool numeric = c->type == ValueType::kInt64 || c->type == ValueType::kDouble;
      if (!numeric || c->type == ValueType::kBool) continue;
      double mn = c->type == ValueType::kDouble ? b.min_double : static_cast<double>(b.min_int);
      double mx = c->type == ValueType::kDouble ? b.max_double : static_cast<double>(b.max_int);
      bool all_in, none_in;
      if (p.kind == Predicate::Kind::kTimeRange) {
        all_in = b.min_int >= p.from_ns && b.max_int < p.to_ns;
        none_in = b.max_int < p.from_ns || b.min_int >= p.to_ns;
      } else {
        all_in = leaf.MatchesNumber(mn) && leaf.MatchesNumber(mx);
        none_in = (p.lo_inclusive ? mx < p.lo : mx <= p.lo) ||
                  (p.hi_inclusive ? mn > p.hi : mn >= p.hi);
      }
      if (none_in) {
        ++blocks_pruned_;
        continue;
      }
      (all_in && full ? sure : maybe).addRange(lo, hi);
    }
  }
  maybe |= sure;
  Candidates out;
  out.sure = RowSet(std::move(sure));
  out.maybe = RowSet(std::move(maybe));
  return out;
}

Result<SegmentSearcher::Candidates> SegmentSearcher::TextCandidates(const CompiledLeaf& leaf) {
  Candidates out;
  const Predicate& p = leaf.pred;
  switch (leaf.field_kind) {
    case FieldKind::kTime: return out;  // _time has no text form
    case FieldKind::kLevel:
      // Seven possible values: decide each name, then take its postings. Exact.
      for (int l = 0; l < kNumLevels; ++l) {
        if (!leaf.MatchesText(LevelName(static_cast<Level>(l)))) continue;
        TROVE_ASSIGN_OR_RETURN(auto rows, Postings(p.field, IndexedLevelName(l), false));
        out.maybe |= RowSet(std::move(rows));
      }
      if (segment_->exact_term_postings()) out.sure = out.maybe;
      return out;
    case FieldKind::kTraceId: {
      // The correlation index holds every distinct ID: exact equality is one lookup, other
      // predicates are decided once per distinct ID.
      UseTerm(IndexTerm{});
      if (p.kind == Predicate::Kind::kExact) {
        TROVE_ASSIGN_OR_RETURN(Roaring rows, segment_->TraceRows(p.text));
        out.sure = RowSet(std::move(rows));
      } else {
        std::vector<std::string> ids;
        TROVE_RETURN_IF_ERROR(segment_->ForEachTraceId([&](const std::string& id) {
          if (leaf.MatchesText(id)) ids.push_back(id);
        }));
        Roaring all_ids;
        for (const std::string& id : ids) {
          TROVE_ASSIGN_OR_RETURN(Roaring rows, segment_->TraceRows(id));
          all_ids |= rows;
        }
        out.sure = RowSet(std::move(all_ids));
      }
      out.maybe = out.sure;
      return out;
    }
    case FieldKind::kSpanId:
    case FieldKind::kParentSpanId:
      out.maybe = All();  // not indexed
      return out;
    default: break;
  }
  if (!UsesTokenPostings(leaf)) {
    out.maybe = All();  // a regex, or text without a token
    return out;
  }
  // Every token of a phrase or exact value is a whole token of a matching value, except the
  // last token of a prefix, which is a token prefix. Intersect the rarest first.
  std::vector<std::shared_ptr<const Roaring>> lists;
  for (size_t i = 0; i < leaf.tokens.size(); ++i) {
    TROVE_ASSIGN_OR_RETURN(auto rows, Postings(p.field, leaf.tokens[i], TokenIsPrefix(leaf, i)));
    if (rows->isEmpty()) return out;
    lists.push_back(std::move(rows));
  }
  std::sort(lists.begin(), lists.end(), [](const auto& a, const auto& b) {
    return a->cardinality() < b->cardinality();
  });
  out.maybe = RowSet(std::move(lists[0]));
  for (size_t i = 1; i < lists.size() && !out.maybe.isEmpty(); ++i) {
    out.maybe &= RowSet(std::move(lists[i]));
  }
  if (leaf.single_token && segment_->exact_term_postings() &&
      (p.kind == Predicate::Kind::kPhrase || p.kind == Predicate::Kind::kPrefix)) {
    out.sure = out.maybe;
  }
  return out;
}

Result<SegmentSearcher::Candidates> SegmentSearcher::LeafCandidates(const CompiledLeaf& leaf) {
  const Predicate& p = leaf.pred;
  switch (p.kind) {
    case Predicate::Kind::kTimeRange: {
      Candidates out;
      if (segment_->meta().min_time >= p.from_ns && segment_->meta().max_time < p.to_ns) {
        out.sure = All();
        out.maybe = out.sure;
        return out;
      }
      CompiledLeaf time = leaf;
      time.pred.field = std::string(kFieldTime);
      return BlockCandidates(time);
    }
    case Predicate::Kind::kRange: {
      Candidates out;
      if (leaf.field_kind == FieldKind::kLevel) {
        for (int l = 0; l < kNumLevels; ++l) {
          if (!leaf.MatchesNumber(l)) continue;
          TROVE_ASSIGN_OR_RETURN(auto rows, Postings(p.field, IndexedLevelName(l), false));
          out.maybe |= RowSet(std::move(rows));
        }
        if (segment_->exact_term_postings()) out.sure = out.maybe;
        return out;
      }
      if (leaf.field_kind != FieldKind::kAttribute && leaf.field_kind != FieldKind::kTime) {
        return out;  // strings and IDs are never numeric
      }
      return BlockCandidates(leaf);
    }
    case Predicate::Kind::kExists: {
      Candidates out;
      if (leaf.field_kind == FieldKind::kLevel || leaf.field_kind == FieldKind::kTime) {
        out.sure = All();
        out.maybe = out.sure;
        return out;
      }
      return BlockCandidates(leaf);
    }
    default: return TextCandidates(leaf);
  }
}

SegmentSearcher::Candidates SegmentSearcher::Combine(const CompiledFilter::Node& node) const {
  switch (node.op) {
    case Filter::Op::kAll: {
      Candidates all;
      all.sure = All();
      all.maybe = all.sure;
      return all;
    }
    case Filter::Op::kLeaf: return leaves_[node.leaf];
    case Filter::Op::kAnd: {
      Candidates out = Combine(node.children[0]);
      for (size_t i = 1; i < node.children.size() && !out.maybe.isEmpty(); ++i) {
        Candidates c = Combine(node.children[i]);
        out.sure &= c.sure;
        out.maybe &= c.maybe;
      }
      return out;
    }
    case Filter::Op::kOr: {
      Candidates out = Combine(node.children[0]);
      for (size_t i = 1; i < node.children.size(); ++i) {
        Candidates c = Combine(node.children[i]);
        out.sure |= c.sure;
        out.maybe |= c.maybe;
      }
      return out;
    }
    case Filter::Op::kNot: {
      Candidates c = Combine(node.children[0]);
      Candidates out;
      out.sure = All() - c.maybe;
      out.maybe = All() - c.sure;
      return out;
    }
  }
  return {};
}

Status SegmentSearcher::Plan() {
  leaves_.clear();
  for (const CompiledLeaf& leaf : filter_->leaves()) {
    TROVE_ASSIGN_OR_RETURN(Candidates c, LeafCandidates(leaf));
    leaves_.push_back(std::move(c));
  }
  root_ = Combine(filter_->root());
  return Status::OK();
}

Result<Roaring> SegmentSearcher::VerifyLeaf(const CompiledLeaf& leaf, const Roaring& rows) {
  Roaring out;
  if (rows.isEmpty()) return out;
  const Predicate& p = leaf.pred;
  std::string scratch;
  for (const ColumnMeta& c : segment_->meta().columns) {
    const bool time_column = c.name == kFieldTime;
    if (c.name != p.field && !(time_column && p.kind == Predicate::Kind::kTimeRange)) continue;
    if (c.present == 0) continue;
    columns_read_.insert(c.name);
    // Per-dictionary-entry memo: each distinct value is checked once per segment.
    std::vector<int8_t> memo;
    std::vector<uint32_t> in_block;  // the rows of one block, relative to it
    for (auto next = rows.begin(); next != rows.end();) {
      const size_t b = c.BlockForRow(*next);
      if (b >= c.blocks.size()) {
        return Status::Corruption(segment_->path() + ": column '" + c.name + "' has no row " +
                                  std::to_string(*next));
      }
      const ColumnBlockMeta& bm = c.blocks[b];
      in_block.clear();
      for (; next != rows.end() && *next - bm.first_row < bm.num_rows; ++next) {
        in_block.push_back(*next - bm.first_row);
      }
      // A few candidates of a block read just them (RowsOfBlock): a phrase over a large store
      // verifies a few rows in each of hundreds of blocks.
      TROVE_ASSIGN_OR_RETURN(std::shared_ptr<const ColumnBlock> holder,
                             segment_->RowsOfBlock(c, b, in_block));
      const ColumnBlock* block = holder.get();
      if (block->first_row != bm.first_row || block->num_rows != bm.num_rows) {
        return Status::Corruption(segment_->path() + ": block of column '" + c.name +
                                  "' does not hold row " + std::to_string(bm.first_row));
      }
      for (uint32_t r : in_block) {
        const uint32_t row = bm.first_row + r;
        const uint32_t i = block->Slot(r);  // indexes the block's values
        if (!block->IsPresent(i)) continue;
        bool match = false;
        if (p.kind == Predicate::Kind::kTimeRange) {
          match = leaf.MatchesTime(block->ints[i]);
        } else if (p.kind == Predicate::Kind::kExists) {
          match = true;
        } else if (c.kind == format::kKindAttribute) {
          switch (c.type) {
            case ValueType::kString:
              if (block->dictionary) {
                uint32_t id = block->dict_ids[i];
                if (memo.empty()) memo.assign(block->dictionary->size(), -1);
                if (memo[id] < 0) memo[id] = leaf.MatchesText((*block->dictionary)[id]) ? 1 : 0;
                match = memo[id] == 1;
              } else {
                match = leaf.MatchesText(block->StringAt(i));
              }
              break;
            case ValueType::kInt64:
              match = p.kind == Predicate::Kind::kRange
                          ? leaf.MatchesNumber(static_cast<double>(block->ints[i]))
                          : leaf.MatchesText(std::to_string(block->ints[i]));
              break;
            case ValueType::kDouble:
              match = p.kind == Predicate::Kind::kRange
                          ? leaf.MatchesNumber(block->doubles[i])
                          : leaf.MatchesText(ValueToString(AttrValue(block->doubles[i])));
              break;
            case ValueType::kBool:
              match = p.kind != Predicate::Kind::kRange &&
                      leaf.MatchesText(block->ints[i] ? "true" : "false");
              break;
          }
        } else if (leaf.field_kind == FieldKind::kLevel) {
          match = p.kind == Predicate::Kind::kRange
                      ? leaf.MatchesNumber(static_cast<double>(block->ints[i]))
                      : leaf.MatchesText(LevelName(static_cast<Level>(block->ints[i])));
        } else if (leaf.field_kind == FieldKind::kTime) {
          match = p.kind == Predicate::Kind::kRange &&
                  leaf.MatchesNumber(static_cast<double>(block->ints[i]));
        } else if (block->dictionary) {
          uint32_t id = block->dict_ids[i];
          if (memo.empty()) memo.assign(block->dictionary->size(), -1);
          if (memo[id] < 0) memo[id] = leaf.MatchesText((*block->dictionary)[id]) ? 1 : 0;
          match = memo[id] == 1;
        } else {
          match = p.kind != Predicate::Kind::kRange && leaf.MatchesText(block->StringAt(i));
        }
        if (match) out.add(row);
      }
    }
  }
  return out;
}

Roaring SegmentSearcher::EvaluateExact(const CompiledFilter::Node& node, const Roaring& universe,
                                       const std::vector<Roaring>& exact) const {
  switch (node.op) {
    case Filter::Op::kAll: return universe;
    case Filter::Op::kLeaf: return exact[node.leaf] & universe;
    case Filter::Op::kAnd: {
      Roaring out = EvaluateExact(node.children[0], universe, exact);
      for (size_t i = 1; i < node.children.size() && !out.isEmpty(); ++i) {
        out &= EvaluateExact(node.children[i], out, exact);
      }
      return out;
    }
    case Filter::Op::kOr: {
      Roaring out;
      for (const auto& c : node.children) out |= EvaluateExact(c, universe, exact);
      return out;
    }
    case Filter::Op::kNot: return universe - EvaluateExact(node.children[0], universe, exact);
  }
  return {};
}

Result<Roaring> SegmentSearcher::Verify(const Roaring& rows) {
  verified_rows_ += rows.cardinality();
  std::vector<Roaring> exact(leaves_.size());
  for (size_t l = 0; l < leaves_.size(); ++l) {
    const Candidates& c = leaves_[l];
    if (c.exact()) {
      exact[l] = c.sure.rows();
      continue;
    }
    Roaring undecided = (rows & c.maybe.rows()) - c.sure.rows();
    TROVE_ASSIGN_OR_RETURN(Roaring verified, VerifyLeaf(filter_->leaves()[l], undecided));
    exact[l] = c.sure.rows() | verified;
  }
  return EvaluateExact(filter_->root(), rows, exact);
}

Result<Roaring> SegmentSearcher::MatchingRows(uint64_t limit) {
  const Roaring& sure = root_.sure.rows();
  Roaring undecided = root_.maybe.rows() - sure;
  if (limit == UINT64_MAX || limit >= root_.maybe.cardinality()) {
    if (undecided.isEmpty()) return sure;
    TROVE_ASSIGN_OR_RETURN(Roaring verified, Verify(undecided));
    return sure | verified;
  }
  // Newest first, one block-sized window at a time, until `limit` rows matched.
  constexpr uint32_t kWindow = 8192;
  Roaring out;
  uint64_t found = 0;
  for (uint64_t hi = segment_->rows(); hi > 0 && found < limit;) {
    TROVE_RETURN_IF_ERROR(ctx_->Check());
    uint64_t lo = hi > kWindow ? hi - kWindow : 0;
    Roaring window;
    window.addRange(lo, hi);
    Roaring matched = sure & window;
    Roaring todo = undecided & window;
    if (!todo.isEmpty()) {
      TROVE_ASSIGN_OR_RETURN(Roaring verified, Verify(todo));
      matched |= verified;
    }
    uint64_t n = matched.cardinality();
    if (found + n > limit) {
      // Keep the newest (largest) rows only.
      uint64_t drop = n - (limit - found);
      uint32_t cut;
      matched.select(static_cast<uint32_t>(drop), &cut);
      Roaring keep;
      keep.addRange(cut, hi);
      matched &= keep;
      n = limit - found;
    }
    out |= matched;
    found += n;
    hi = lo;
  }
  return out;
}

}  // namespace trove::query
