#include "xssm/probe/capacity.hpp"

#include <Eigen/QR>

#include "xssm/core/error.hpp"

namespace xssm::probe {

template <class T>
CapacityResult memory_capacity(const Tensor<T>& states, const Tensor<double>& u, const CapacityOptions& opt) {
  if (states.rank() != 3) throw Error(cat("memory capacity: states must be (N,S,F), got ", shape_str(states.shape())));
  if (u.rank() != 3 || u.dim(0) != states.dim(0) || u.dim(1) != states.dim(1))
    throw Error(cat("memory capacity: inputs ", shape_str(u.shape()), " do not match states ", shape_str(states.shape())));
  const Index N = states.dim(0), S = states.dim(1), F = states.dim(2), C = u.dim(2), K = opt.max_delay;
  if (K < 0) throw UsageError("memory capacity: max delay must be ≥ 0");
  const Index t0 = std::max(opt.washout, K);  // every sample has all delays 0..K
  if (t0 >= S)
    throw Error(cat("memory capacity: sequences of length ", S, " leave no samples after washout ", opt.washout,
                    " and max delay ", K));
  const Index per_seq = S - t0, rows = N * per_seq;
  MatR<T> X(rows, F);
  MatR<double> Y(rows, (K + 1) * C);
  std::vector<Index> seq(static_cast<size_t>(rows));
  for (Index n = 0; n < N; ++n)
    for (Index t = t0; t < S; ++t) {
      const Index r = n * per_seq + (t - t0);
      seq[size_t(r)] = n;
      for (Index f = 0; f < F; ++f) X(r, f) = states.at(n, t, f);
      // Target column (k, c) = u_c(t−k).
      for (Index k = 0; k <= K; ++k)
        for (Index c = 0; c < C; ++c) Y(r, k * C + c) = u.at(n, t - k, c);
    }
  const RidgeResult fit = ridge_regress(X, Y, seq, opt.ridge);
  CapacityResult res;
  res.r2.assign(size_t(K + 1), 0.0);
  for (Index k = 0; k <= K; ++k)
    for (Index c = 0; c < C; ++c) res.r2[size_t(k)] += fit.test_r2[size_t(k * C + c)];
  for (double r : res.r2) res.mc += r;
  res.lambda = fit.lambda;
  res.rows = rows;
  res.features = fit.num_features_used;
  return res;
}

Tensor<double> token_channels(const Tensor<std::int32_t>& ids, Index V) {
  if (ids.rank() != 2) throw Error(cat("memory capacity: token ids must be (N,S), got ", shape_str(ids.shape())));
  if (V < 2) throw Error(cat("memory capacity: need a vocabulary of ≥ 2 tokens, got ", V));
  // Q = the last V−1 columns of the orthogonal factor of [1 | I]: an orthonormal basis of 1⊥.
  MatR<double> M = MatR<double>::Zero(V, V);
  M.col(0).setOnes();
  for (Index j = 1; j < V; ++j) M(j - 1, j) = 1.0;
  Eigen::HouseholderQR<MatR<double>> qr(M);
  const MatR<double> Q = MatR<double>(qr.householderQ()).rightCols(V - 1);
  Tensor<double> out(Shape{ids.dim(0), ids.dim(1), V - 1});
  for (Index i = 0; i < ids.size(); ++i) {
    const std::int32_t tok = ids[i];
    if (tok < 0 || tok >= V) throw Error(cat("memory capacity: token ", tok, " outside [0,", V, ")"));
    for (Index c = 0; c < V - 1; ++c) out[i * (V - 1) + c] = Q(tok, c);
  }
  return out;
}

template CapacityResult memory_capacity<float>(const Tensor<float>&, const Tensor<double>&, const CapacityOptions&);
template CapacityResult memory_capacity<double>(const Tensor<double>&, const Tensor<double>&, const CapacityOptions&);

}  // namespace xssm::probe
