// Which small segments of a partition to merge: a pure function, so it is unit-tested apart
// from the I/O that carries a merge out (STYLE.md habit 12).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace trove {

struct MergePolicyOptions {
  // A partition still receiving data merges once this many small segments pile up; fewer,
  // larger merges keep write amplification near log(n).
  size_t min_inputs = 4;
  // Merged segments stay at or below this many rows: bounds merge memory (the merge holds its
  // input events) and keeps segment-level pruning useful.
  uint64_t max_output_rows = 250'000;
  // A segment with at least this many rows is never merged again: rewriting it would cost as
  // much as writing it did (its events decoded, tokenized and compressed once more) and gain
  // little, since per-segment overhead is small at this size. Under steady ingest, flushes
  // write segments this large, so events are written once; merges are for the small segments
  // of slow streams, age-based flushes and late events.
  uint64_t done_rows = 65'536;
  // A partition is "sealed" once its time range ended this long ago; a sealed partition merges
  // any two or more small segments, so old partitions settle into few segments.
  int64_t seal_delay_ns = int64_t{10} * 60 * 1'000'000'000;
};

struct MergeCandidate {
  uint64_t id = 0;
  int64_t partition = 0;
  uint64_t rows = 0;
};

// Returns groups of segment ids to merge (each group within one partition, ≥ 2 ids, total
// rows ≤ max_output_rows). A segment appears in at most one group. `partition_ns` and
// `now_ns` decide which partitions are sealed.
std::vector<std::vector<uint64_t>> PickMerges(const std::vector<MergeCandidate>& segments,
                                              const MergePolicyOptions& options,
                                              int64_t partition_ns, int64_t now_ns);

}  // namespace trove
