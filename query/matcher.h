// A filter compiled for evaluation: lowercased phrases, tokens for index lookups, compiled
// regular expressions. Evaluates the exact predicate semantics of query/ast.h on one value or
// one Event; the planner (segment_search.h) uses the same leaves for index lookups.
// Immutable after Compile and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/field_value.h"
#include "storage/event.h"
#include "storage/status.h"

namespace re2 {
class RE2;
}

namespace trove::query {

struct CompiledLeaf {
  Predicate pred;
  FieldKind field_kind = FieldKind::kMessage;
  std::string lower;                // pred.text lowercased (phrase, prefix)
  std::vector<std::string> tokens;  // lowercased tokens of pred.text
  // kPhrase/kPrefix: pred.text is one token and nothing else, so term postings are exact.
  bool single_token = false;
  // kPrefix: the text ends inside a token, so its last token is looked up as a prefix.
  bool last_token_is_prefix = false;
  std::shared_ptr<const re2::RE2> regex;

  // For text predicates (phrase, prefix, exact, regex; exists is always true): whether a
  // present value with this text form matches.
  bool MatchesText(std::string_view text) const;
  // For kRange: whether a numeric value matches.
  bool MatchesNumber(double value) const;
  bool MatchesTime(int64_t time_ns) const {
    return time_ns >= pred.from_ns && time_ns < pred.to_ns;
  }
  bool IsTextPredicate() const;
  bool Matches(const Event& event) const;
};

class CompiledFilter {
 public:
  struct Node {
    Filter::Op op = Filter::Op::kAll;
    int leaf = -1;  // kLeaf: index into leaves()
    std::vector<Node> children;
  };

  // Compiles filter ANDed with from_ns <= _time < to_ns. InvalidArgument for a regex RE2
  // rejects.
  static Result<CompiledFilter> Compile(const Filter& filter, int64_t from_ns, int64_t to_ns);

  const Node& root() const { return root_; }
  const std::vector<CompiledLeaf>& leaves() const { return leaves_; }
  // No event outside [min_time_ns, max_time_ns) can match: the time range implied by the
  // filter, for pruning segments and buffered batches.
  int64_t min_time_ns() const { return min_time_; }
  int64_t max_time_ns() const { return max_time_; }
  bool MatchesAll() const { return root_.op == Filter::Op::kAll; }

  bool Matches(const Event& event) const;
  // Evaluates the tree with leaf results from leaf_value(leaf index).
  template <typename LeafFn>
  bool Evaluate(const Node& node, LeafFn&& leaf_value) const {
    switch (node.op) {
      case Filter::Op::kAll: return true;
      case Filter::Op::kLeaf: return leaf_value(node.leaf);
      case Filter::Op::kAnd:
        for (const Node& c : node.children) {
          if (!Evaluate(c, leaf_value)) return false;
        }
        return true;
      case Filter::Op::kOr:
        for (const Node& c : node.children) {
          if (Evaluate(c, leaf_value)) return true;
        }
        return false;
      case Filter::Op::kNot: return !Evaluate(node.children[0], leaf_value);
    }
    return false;
  }

 private:
  Status CompileNode(const Filter& filter, Node* node);

  Node root_;
  std::vector<CompiledLeaf> leaves_;
  int64_t min_time_ = 0, max_time_ = 0;
};

}  // namespace trove::query
