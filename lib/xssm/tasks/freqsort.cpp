#include "xssm/tasks/freqsort.hpp"

#include <algorithm>
#include <numeric>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"

namespace xssm::tasks {

io::Dataset make_freqsort(const FreqsortOptions& o) {
  require(o.n >= 1, cat("--n must be ≥ 1, got ", o.n));
  require(o.len >= 1, cat("--len must be ≥ 1, got ", o.len));
  require(o.symbols >= 2 && o.symbols <= 4096, cat("--symbols must be in [2, 4096], got ", o.symbols));
  const Index N = o.n, L = o.len, A = o.symbols, S = L + A;
  io::Dataset ds = blank_dataset("freqsort", A + 2, o.seed, N, S);
  const Rng base(o.seed);
  parallel_for(N, [&](Index i) {
    Rng r = base.fork(std::uint64_t(i));
    std::vector<double> p0(static_cast<size_t>(A)), p1(static_cast<size_t>(A)), mix(static_cast<size_t>(A));
    for (auto* p : {&p0, &p1}) {
      double tot = 0;
      for (auto& v : *p) tot += v = double(r.range(1, 9));
      for (auto& v : *p) v /= tot;
    }
    std::int32_t* in = ds.inputs.ptr(i);
    std::int32_t* tg = ds.targets.ptr(i);
    std::vector<Index> count(size_t(A), 0), first(size_t(A), L);
    for (Index j = 0; j < L; ++j) {
      const double rj = double(j + 1) / double(L);
      for (Index a = 0; a < A; ++a) mix[size_t(a)] = (1 - rj) * p0[size_t(a)] + rj * p1[size_t(a)];
      const auto s = std::int32_t(r.weighted(mix));
      in[j] = s;
      if (count[size_t(s)]++ == 0) first[size_t(s)] = j;
    }
    // decreasing count, then first appearance; unseen symbols (first = L) by increasing id
    std::vector<std::int32_t> order(static_cast<size_t>(A));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      if (count[size_t(a)] != count[size_t(b)]) return count[size_t(a)] > count[size_t(b)];
      if (first[size_t(a)] != first[size_t(b)]) return first[size_t(a)] < first[size_t(b)];
      return a < b;
    });
    in[L] = std::int32_t(A);  // SEP
    for (Index k = 0; k < A; ++k) {
      tg[L + k] = order[size_t(k)];
      if (L + 1 + k < S) in[L + 1 + k] = order[size_t(k)];
    }
  });
  ds.attrs.emplace_back("layout", cat("x_0..x_{L-1} SEP(=", A, ") s_0..s_{A-2}; targets[L+k] = s_k = k-th symbol by "
                                      "decreasing count (ties: first appearance; unseen: increasing id)"));
  return ds;
}

}  // namespace xssm::tasks
