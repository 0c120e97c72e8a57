// A set of segment rows that copies by sharing: a query's candidate sets are copied from leaf
// to combination, and a leaf's set is often a frequent term's posting list straight from
// PostingsCache (thousands of rows per segment). Copies share one immutable bitmap; every
// change makes a new one, so a cached list is never modified.
#pragma once

#include <roaring/roaring.hh>

#include <cstdint>
#include <memory>

namespace trove::query {

class RowSet {
 public:
  RowSet() : rows_(Empty()) {}
  explicit RowSet(Roaring rows) : rows_(std::make_shared<const Roaring>(std::move(rows))) {}
  explicit RowSet(std::shared_ptr<const Roaring> rows) : rows_(std::move(rows)) {}
  // Rows [lo, hi).
  static RowSet Range(uint64_t lo, uint64_t hi) {
    Roaring r;
    r.addRange(lo, hi);
    return RowSet(std::move(r));
  }

  const Roaring& rows() const { return *rows_; }
  bool isEmpty() const { return rows_->isEmpty(); }
  uint64_t cardinality() const { return rows_->cardinality(); }
  bool operator==(const RowSet& o) const { return rows_ == o.rows_ || *rows_ == *o.rows_; }

  RowSet& operator&=(const RowSet& o) {
    if (rows_ != o.rows_) *this = RowSet(*rows_ & *o.rows_);
    return *this;
  }
  RowSet& operator|=(const RowSet& o) {
    if (o.isEmpty() || rows_ == o.rows_) return *this;
    if (isEmpty()) return *this = o;
    return *this = RowSet(*rows_ | *o.rows_);
  }
  RowSet operator-(const RowSet& o) const {
    if (o.isEmpty()) return *this;
    return RowSet(*rows_ - *o.rows_);
  }

 private:
  static const std::shared_ptr<const Roaring>& Empty() {
    static const auto* const kEmpty =
        new std::shared_ptr<const Roaring>(std::make_shared<const Roaring>());
    return *kEmpty;
  }
  std::shared_ptr<const Roaring> rows_;  // never null
};

}  // namespace trove::query
