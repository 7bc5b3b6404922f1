#include "xssm/tasks/mqar.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"

namespace xssm::tasks {

io::Dataset make_mqar(const MqarOptions& o) {
  const Index N = o.n, S = o.seq_len, K = o.kv_pairs;
  const std::int64_t V = o.vocab, half = V / 2;
  require(N >= 1, cat("--n must be ≥ 1, got ", N));
  require(K >= 1, cat("--kv-pairs must be ≥ 1, got ", K));
  require(V >= 4, cat("--vocab must be ≥ 4, got ", V));
  require(half - 1 >= K && V - half >= K,
          cat("--kv-pairs ", K, " needs --vocab ≥ ", 2 * K + 2, " (keys in [1,V/2), values in [V/2,V)), got ", V));
  const Index space = S >= 2 * K ? (S - 2 * K) / 2 : 0;  // query slots of two positions
  require(space >= K, cat("--kv-pairs ", K, " needs --seq-len ≥ ", 4 * K, " (K pairs + K queries with values), got ", S));
  require(std::isfinite(o.alpha), "--alpha must be finite");

  io::Dataset ds = blank_dataset("mqar", V, o.seed, N, S);
  Tensor<std::int32_t> value(Shape{N, S}, -1);
  // slot weights w(g) ∝ (g+1)^(alpha-1); we keep 1/w(g)
  std::vector<double> inv_w(static_cast<size_t>(space));
  for (Index g = 0; g < space; ++g) inv_w[size_t(g)] = std::pow(double(g + 1), 1.0 - o.alpha);
  const Rng base(o.seed);

  parallel_for(N, [&](Index i) {
    Rng r = base.fork(std::uint64_t(i));
    std::int32_t* in = ds.inputs.ptr(i);
    std::int32_t* tg = ds.targets.ptr(i);
    std::int32_t* lv = value.ptr(i);
    std::vector<std::int32_t> keys = distinct(r, half - 1, K), vals = distinct(r, V - half, K);
    // Weighted sampling of K slots without replacement (Efraimidis–Spirakis): slot g gets the key
    // log(u)/w(g); the K largest keys, in decreasing order, have the law of K successive weighted
    // draws without replacement (numpy's choice(p=w, replace=False), as Zoology draws them).
    std::vector<std::pair<double, Index>> score(static_cast<size_t>(space));
    for (Index g = 0; g < space; ++g) {
      double u;
      do u = r.uniform(); while (u <= 0.0);
      score[size_t(g)] = {std::log(u) * inv_w[size_t(g)], g};
    }
    std::partial_sort(score.begin(), score.begin() + K, score.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    if (o.random_fillers)
      for (Index t = 0; t < S; ++t) in[t] = std::int32_t(r.below(std::uint64_t(V)));
    for (Index j = 0; j < K; ++j) {
      const std::int32_t k = keys[size_t(j)] + 1, v = vals[size_t(j)] + std::int32_t(half);
      const Index q = 2 * K + 2 * score[size_t(j)].second;
      in[2 * j] = k;
      in[2 * j + 1] = v;
      in[q] = k;
      in[q + 1] = v;
      tg[q] = v;  // next-token target: the value follows its queried key
      lv[2 * j] = lv[q] = v;
    }
  });
  ds.labels.set("value", std::move(value));
  ds.attrs.emplace_back("layout", "keys in [1,V/2), values in [V/2,V), filler 0; KV block k1 v1 .. kK vK, then each "
                                  "key queried once (followed by its value) at power-law slots; targets[t] = value "
                                  "of the queried key at t, -1 elsewhere");
  return ds;
}

}  // namespace xssm::tasks
