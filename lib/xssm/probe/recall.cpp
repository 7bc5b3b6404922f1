#include "xssm/probe/recall.hpp"

#include <algorithm>
#include <map>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"

namespace xssm::probe {

MqarLayout mqar_layout(const Tensor<std::int32_t>& ids, const Tensor<std::int32_t>& targets) {
  if (ids.rank() != 2 || targets.shape() != ids.shape())
    throw Error(cat("recall probe: inputs ", shape_str(ids.shape()), " and targets ", shape_str(targets.shape()),
                    " must both be (N,S)"));
  const Index N = ids.dim(0), S = ids.dim(1);
  MqarLayout L;
  for (Index n = 0; n < N; ++n) {
    Index q = 0;
    for (Index t = 0; t < S; ++t) q += targets.at(n, t) >= 0;
    if (2 * q > S) throw Error(cat("recall probe: example ", n, " has ", q, " queries, more than fit a key-value context"));
    L.num_pairs.push_back(q);
    L.max_pairs = std::max(L.max_pairs, q);
  }
  if (L.max_pairs == 0) throw Error("recall probe: no scored target (query) in the dataset");
  L.keys = Tensor<std::int32_t>(Shape{N, L.max_pairs}, -1);
  L.values = Tensor<std::int32_t>(Shape{N, L.max_pairs}, -1);
  for (Index n = 0; n < N; ++n) {
    const Index P = L.num_pairs[size_t(n)];
    for (Index j = 0; j < P; ++j) L.keys.at(n, j) = ids.at(n, 2 * j), L.values.at(n, j) = ids.at(n, 2 * j + 1);
    for (Index t = 2 * P; t < S; ++t) {
      const std::int32_t v = targets.at(n, t);
      if (v < 0) continue;
      bool found = false;
      for (Index j = 0; j < P && !found; ++j) found = L.keys.at(n, j) == ids.at(n, t) && L.values.at(n, j) == v;
      if (!found)
        throw Error(cat("recall probe: example ", n, ", position ", t, ": query ", ids.at(n, t), " → ", v,
                        " is not one of the key-value pairs at positions 0..", 2 * P - 1, " (not MQAR-style data?)"));
    }
  }
  return L;
}

RecallResult recall_probe(Steppable& model, const Tensor<std::int32_t>& ids, const MqarLayout& L,
                          const RecallOptions& opt) {
  const Index N = ids.dim(0), P = L.max_pairs;
  RecallResult res;
  res.pair_counts = opt.pair_counts;
  if (res.pair_counts.empty())
    for (Index m = 1; m <= P; ++m) res.pair_counts.push_back(m);
  std::sort(res.pair_counts.begin(), res.pair_counts.end());
  res.pair_counts.erase(std::unique(res.pair_counts.begin(), res.pair_counts.end()), res.pair_counts.end());
  for (Index m : res.pair_counts)
    if (m < 1 || m > P) throw UsageError(cat("--pairs: ", m, " stored pairs asked for, the data has 1..", P));
  const Index M = Index(res.pair_counts.size());
  std::vector<Index> slot(size_t(P + 1), -1);
  for (Index g = 0; g < M; ++g) slot[size_t(res.pair_counts[size_t(g)])] = g;

  // Value classes: the distinct values, ascending.
  std::map<std::int32_t, int> cls;
  for (Index i = 0; i < L.values.size(); ++i)
    if (L.values[i] >= 0) cls.emplace(L.values[i], 0);
  int C = 0;
  for (auto& kv : cls) kv.second = C++;

  // feats[g][k]: rows (n, j) = n·m + j; labels[g] likewise.
  std::vector<std::vector<Tensor<float>>> feats(static_cast<size_t>(M));
  std::vector<std::vector<SourceSize>> sizes(static_cast<size_t>(M));
  std::vector<std::vector<int>> labels(static_cast<size_t>(M));
  for (Index g = 0; g < M; ++g) labels[size_t(g)].assign(size_t(N * res.pair_counts[size_t(g)]), -1);
  const Index B = std::max<Index>(1, opt.collect.batch);
  const Index last = 2 * res.pair_counts.back() - 1;
  for (Index b0 = 0; b0 < N; b0 += B) {
    const Index nb = std::min(B, N - b0);
    model::ModelState<float> state = model.initial_state(nb);
    Tensor<std::int32_t> x(Shape{nb});
    std::vector<Tensor<float>> main_outs;
    for (Index t = 0; t <= last; ++t) {
      for (Index b = 0; b < nb; ++b) x[b] = ids.at(b0 + b, t);
      model.step(x, state, main_outs);
      if (t % 2 == 0 || slot[size_t((t + 1) / 2)] < 0) continue;
      const Index m = (t + 1) / 2, g = slot[size_t(m)];
      for (Index j = 0; j < m; ++j) {
        // Query k_j from a copy of the state at the end of the m-pair context.
        model::ModelState<float> q = state;
        std::vector<Tensor<float>> outs;
        for (Index b = 0; b < nb; ++b) x[b] = std::max<std::int32_t>(0, L.keys.at(b0 + b, j));
        model.step(x, q, outs);
        if (sizes[size_t(g)].empty()) {
          sizes[size_t(g)] = source_sizes(q, outs, nb, opt.collect);
          for (const auto& s : sizes[size_t(g)]) feats[size_t(g)].emplace_back(Shape{N * m, s.numel});
        }
        std::vector<float*> dst(sizes[size_t(g)].size());
        for (Index b = 0; b < nb; ++b) {
          const Index n = b0 + b, row = n * m + j;
          for (size_t k = 0; k < dst.size(); ++k) dst[k] = feats[size_t(g)][k].ptr(row);
          gather_sources(q, outs, nb, b, opt.collect, dst);
          const std::int32_t v = L.values.at(n, j);
          labels[size_t(g)][size_t(row)] = v >= 0 ? cls[v] : -1;
        }
      }
    }
  }
  res.sources = sizes[size_t(M - 1)];
  const Index K = Index(res.sources.size());
  res.accuracy.assign(size_t(K), std::vector<double>(size_t(M), 0.0));
  // One independent read-out per (m, source): deterministic whatever the thread count.
  parallel_for(M * K, [&](Index item) {
    const Index g = item / K, k = item % K, m = res.pair_counts[size_t(g)];
    const Tensor<float>& f = feats[size_t(g)][size_t(k)];
    std::vector<Index> seq(static_cast<size_t>(N * m));
    for (Index r = 0; r < N * m; ++r) seq[size_t(r)] = r / m;
    const auto fit = ridge_classify(f.mat(N * m, f.dim(1)), labels[size_t(g)], C, seq, opt.ridge);
    res.accuracy[size_t(k)][size_t(g)] = fit.test_accuracy;
  });
  for (Index g = 0; g < M; ++g) {
    std::vector<Index> freq(size_t(C), 0);
    Index total = 0;
    for (int l : labels[size_t(g)])
      if (l >= 0) ++freq[size_t(l)], ++total;
    res.chance.push_back(total ? double(*std::max_element(freq.begin(), freq.end())) / double(total) : 0.0);
  }
  return res;
}

}  // namespace xssm::probe
