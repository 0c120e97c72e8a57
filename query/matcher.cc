#include "query/matcher.h"

#include <re2/re2.h>

#include <algorithm>
#include <functional>
#include <limits>

#include "index/tokenizer.h"

namespace trove::query {

bool CompiledLeaf::IsTextPredicate() const {
  switch (pred.kind) {
    case Predicate::Kind::kPhrase:
    case Predicate::Kind::kPrefix:
    case Predicate::Kind::kExact:
    case Predicate::Kind::kRegex:
    case Predicate::Kind::kExists: return true;
    default: return false;
  }
}

bool CompiledLeaf::MatchesText(std::string_view text) const {
  switch (pred.kind) {
    case Predicate::Kind::kPhrase: return index::MatchesLowerPhrase(text, lower, false);
    case Predicate::Kind::kPrefix: return index::MatchesLowerPhrase(text, lower, true);
    case Predicate::Kind::kExact: return text == pred.text;
    case Predicate::Kind::kRegex:
      return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *regex);
    case Predicate::Kind::kExists: return true;
    default: return false;
  }
}

bool CompiledLeaf::MatchesNumber(double v) const {
  if (pred.kind == Predicate::Kind::kExists) return true;
  if (pred.kind != Predicate::Kind::kRange) return false;
  if (pred.lo_inclusive ? v < pred.lo : v <= pred.lo) return false;
  if (pred.hi_inclusive ? v > pred.hi : v >= pred.hi) return false;
  return true;
}

bool CompiledLeaf::Matches(const Event& event) const {
  if (pred.kind == Predicate::Kind::kTimeRange) return MatchesTime(event.time_ns);
  if (pred.kind == Predicate::Kind::kRange) {
    if (field_kind == FieldKind::kTime) return MatchesNumber(static_cast<double>(event.time_ns));
    auto v = NumericValue(event, pred.field);
    return v && MatchesNumber(*v);
  }
  if (field_kind == FieldKind::kTime) return pred.kind == Predicate::Kind::kExists;
  std::string scratch;
  auto text = TextForm(event, pred.field, &scratch);
  return text && MatchesText(*text);
}

Result<CompiledFilter> CompiledFilter::Compile(const Filter& filter, int64_t from_ns,
                                               int64_t to_ns) {
  CompiledFilter out;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (from_ns != kMin || to_ns != kMax) {
    Filter time;
    time.op = Filter::Op::kLeaf;
    time.leaf.kind = Predicate::Kind::kTimeRange;
    time.leaf.field = std::string(kFieldTime);
    time.leaf.from_ns = from_ns;
    time.leaf.to_ns = to_ns;
    Filter both;
    both.op = Filter::Op::kAnd;
    both.children = {filter, time};
    if (filter.op == Filter::Op::kAll) both = time;
    TROVE_RETURN_IF_ERROR(out.CompileNode(both, &out.root_));
  } else {
    TROVE_RETURN_IF_ERROR(out.CompileNode(filter, &out.root_));
  }
  // The implied time range: AND narrows, OR widens, NOT and other leaves know nothing.
  struct Range {
    int64_t from, to;
  };
  std::function<Range(const Node&)> implied = [&](const Node& n) -> Range {
    switch (n.op) {
      case Filter::Op::kLeaf: {
        const Predicate& p = out.leaves_[n.leaf].pred;
        if (p.kind == Predicate::Kind::kTimeRange) return {p.from_ns, p.to_ns};
        return {kMin, kMax};
      }
      case Filter::Op::kAnd: {
        Range r{kMin, kMax};
        for (const Node& c : n.children) {
          Range cr = implied(c);
          r.from = std::max(r.from, cr.from);
          r.to = std::min(r.to, cr.to);
        }
        return r;
      }
      case Filter::Op::kOr: {
        Range r{kMax, kMin};
        for (const Node& c : n.children) {
          Range cr = implied(c);
          r.from = std::min(r.from, cr.from);
          r.to = std::max(r.to, cr.to);
        }
        return r;
      }
      default: return {kMin, kMax};
    }
  };
  Range r = implied(out.root_);
  out.min_time_ = r.from;
  out.max_time_ = r.to;
  return out;
}

Status CompiledFilter::CompileNode(const Filter& filter, Node* node) {
  node->op = filter.op;
  if (filter.op == Filter::Op::kLeaf) {
    CompiledLeaf leaf;
    leaf.pred = filter.leaf;
    leaf.field_kind = KindOfField(leaf.pred.field);
    leaf.lower = index::AsciiLower(leaf.pred.text);
    leaf.tokens = index::Tokenize(leaf.pred.text);
    leaf.single_token = leaf.tokens.size() == 1 && leaf.tokens[0].size() == leaf.pred.text.size();
    leaf.last_token_is_prefix =
        !leaf.pred.text.empty() &&
        index::IsTokenByte(static_cast<unsigned char>(leaf.pred.text.back()));
    if (leaf.pred.kind == Predicate::Kind::kRegex) {
      RE2::Options options;
      options.set_log_errors(false);
      // Bounds the memory of a pathological pattern; RE2 itself runs in linear time.
      options.set_max_mem(8 << 20);
      auto re = std::make_shared<RE2>(leaf.pred.text, options);
      if (!re->ok()) {
        return Status::InvalidArgument("invalid regular expression \"" + leaf.pred.text +
                                       "\": " + re->error());
      }
      leaf.regex = std::move(re);
    }
    node->leaf = static_cast<int>(leaves_.size());
    leaves_.push_back(std::move(leaf));
    return Status::OK();
  }
  node->children.resize(filter.children.size());
  for (size_t i = 0; i < filter.children.size(); ++i) {
    TROVE_RETURN_IF_ERROR(CompileNode(filter.children[i], &node->children[i]));
  }
  if ((filter.op == Filter::Op::kNot && filter.children.size() != 1) ||
      ((filter.op == Filter::Op::kAnd || filter.op == Filter::Op::kOr) &&
       filter.children.empty())) {
    return Status::InvalidArgument("malformed filter: " + ToString(filter));
  }
  return Status::OK();
}

bool CompiledFilter::Matches(const Event& event) const {
  return Evaluate(root_, [&](int leaf) { return leaves_[leaf].Matches(event); });
}

}  // namespace trove::query
