#include "xssm/tasks/common.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace xssm::tasks {

std::vector<std::int32_t> distinct(Rng& r, std::int64_t n, std::int64_t k) {
  XSSM_ASSERT(k >= 0 && k <= n, "distinct(", n, ", ", k, ")");
  std::vector<std::int32_t> out;
  out.reserve(size_t(k));
  if (k <= 16 && 4 * k <= n) {  // tiny k: linear scan of what was drawn
    while (Index(out.size()) < k) {
      const auto v = std::int32_t(r.below(std::uint64_t(n)));
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
  } else if (2 * k <= n) {
    std::unordered_set<std::int32_t> seen;
    seen.reserve(size_t(2 * k));
    while (Index(out.size()) < k) {
      const auto v = std::int32_t(r.below(std::uint64_t(n)));
      if (seen.insert(v).second) out.push_back(v);
    }
  } else {
    std::vector<std::int32_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    for (std::int64_t i = 0; i < k; ++i) std::swap(all[size_t(i)], all[size_t(i + std::int64_t(r.below(std::uint64_t(n - i))))]);
    out.assign(all.begin(), all.begin() + k);
  }
  return out;
}

io::Dataset blank_dataset(const std::string& task, std::int64_t vocab, std::uint64_t seed, Index n, Index s) {
  io::Dataset ds;
  ds.task = task;
  ds.vocab_size = vocab;
  ds.seed = seed;
  ds.inputs = Tensor<std::int32_t>(Shape{n, s}, 0);
  ds.targets = Tensor<std::int32_t>(Shape{n, s}, -1);
  return ds;
}

}  // namespace xssm::tasks
