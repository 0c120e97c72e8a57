#include "storage/merge_policy.h"

#include <algorithm>
#include <map>

namespace trove {

std::vector<std::vector<uint64_t>> PickMerges(const std::vector<MergeCandidate>& segments,
                                              const MergePolicyOptions& options,
                                              int64_t partition_ns, int64_t now_ns) {
  std::map<int64_t, std::vector<MergeCandidate>> small_by_partition;
  for (const MergeCandidate& s : segments) {
    if (s.rows < options.done_rows) small_by_partition[s.partition].push_back(s);
  }
  std::vector<std::vector<uint64_t>> merges;
  for (auto& [partition, small] : small_by_partition) {
    const int64_t partition_end = (partition + 1) * partition_ns;
    const bool sealed = now_ns - partition_end >= options.seal_delay_ns;
    const size_t needed = sealed ? 2 : std::max<size_t>(2, options.min_inputs);
    std::sort(small.begin(), small.end(), [](const MergeCandidate& a, const MergeCandidate& b) {
      return a.rows != b.rows ? a.rows < b.rows : a.id < b.id;
    });
    // Smallest first: cheap merges that remove the most segments per row rewritten.
    size_t i = 0;
    while (i < small.size()) {
      std::vector<uint64_t> group;
      uint64_t rows = 0;
      while (i < small.size() && rows + small[i].rows <= options.max_output_rows) {
        rows += small[i].rows;
        group.push_back(small[i].id);
        ++i;
      }
      if (group.size() < needed) break;
      merges.push_back(std::move(group));
    }
  }
  return merges;
}

}  // namespace trove
