#include "xssm/nn/cross_entropy.hpp"

#include <cmath>
#include <vector>

#include "xssm/core/parallel.hpp"

namespace xssm::nn {

template <class T>
T cross_entropy(const Tensor<T>& logits, const Tensor<std::int32_t>& targets, Tensor<T>* dlogits, Index* n_scored,
                Index* n_correct) {
  if (logits.rank() < 1) throw Error("cross_entropy: logits must have a vocabulary axis");
  const Index V = logits.shape().back();
  const Index N = V == 0 ? 0 : logits.size() / V;
  if (targets.size() != N || V == 0)
    throw Error(cat("cross_entropy: logits ", shape_str(logits.shape()), " and targets ", shape_str(targets.shape()),
                    " disagree: expected targets of ", N, " entries"));
  Index scored = 0;
  for (Index i = 0; i < N; ++i) {
    const std::int32_t t = targets[i];
    if (t < -1 || t >= V) throw Error(cat("cross_entropy: target ", t, " at row ", i, " is outside [0, ", V, ") and not -1"));
    scored += t >= 0;
  }
  if (dlogits) dlogits->resize(logits.shape());
  if (n_scored) *n_scored = scored;
  if (n_correct) *n_correct = 0;
  if (scored == 0) return T(0);
  const T inv = T(1) / T(scored);
  // Row losses in parallel, summed in row order (deterministic).
  std::vector<double> row_loss(size_t(N), 0.0);
  std::vector<char> correct(size_t(N), 0);
  auto row = [&](Index i) {
    const std::int32_t t = targets[i];
    if (t < 0) return;
    const T* l = logits.data() + i * V;
    Index am = 0;
    for (Index v = 1; v < V; ++v)
      if (l[v] > l[am]) am = v;
    const T m = l[am];
    T s = 0;
    for (Index v = 0; v < V; ++v) s += std::exp(l[v] - m);
    const T lse = m + std::log(s);
    row_loss[size_t(i)] = double(lse - l[t]);
    correct[size_t(i)] = am == t;
    if (dlogits) {
      T* d = dlogits->data() + i * V;
      for (Index v = 0; v < V; ++v) d[v] = std::exp(l[v] - lse) * inv;
      d[t] -= inv;
    }
  };
  if (N * V < (Index(1) << 15)) for (Index i = 0; i < N; ++i) row(i);
  else parallel_for(N, [&](Index i) { row(i); });
  double total = 0;
  Index nc = 0;
  for (Index i = 0; i < N; ++i) {
    total += row_loss[size_t(i)];
    nc += correct[size_t(i)];
  }
  if (n_correct) *n_correct = nc;
  return T(total / double(scored));
}

template float cross_entropy(const Tensor<float>&, const Tensor<std::int32_t>&, Tensor<float>*, Index*, Index*);
template double cross_entropy(const Tensor<double>&, const Tensor<std::int32_t>&, Tensor<double>*, Index*, Index*);

}  // namespace xssm::nn
