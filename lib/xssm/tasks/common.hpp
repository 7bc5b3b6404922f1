// Helpers shared by the task generators: option checks, distinct draws, an empty dataset.
// Every generator gives example i its own stream `Rng(seed).fork(i)` and fills row i only, so
// the output does not depend on the thread count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "xssm/core/error.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

/// Throw UsageError(msg) unless cond (option validation happens before any work).
inline void require(bool cond, const std::string& msg) {
  if (!cond) throw UsageError(msg);
}

/// k distinct integers from [0, n) in draw order (uniform over ordered k-subsets).
/// Expected O(k) when k ≤ n/2 (rejection of repeats: linear scan for tiny k, a hash set above), else a
/// partial Fisher–Yates over [0, n).
std::vector<std::int32_t> distinct(Rng& r, std::int64_t n, std::int64_t k);

/// A dataset with N rows of S tokens: inputs 0, targets -1.
io::Dataset blank_dataset(const std::string& task, std::int64_t vocab, std::uint64_t seed, Index n, Index s);

}  // namespace xssm::tasks
