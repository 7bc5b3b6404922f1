// nn.Linear: y = x Wᵀ + b over the last axis, W stored (out, in) as PyTorch does.
// Stateless w.r.t. activations: backward takes the forward input again.
#pragma once
#include <string>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct Linear {
  Param<T> weight;  ///< (out, in)
  Param<T> bias;    ///< (out), or empty when !has_bias
  bool has_bias = false;

  Linear() = default;
  Linear(Index in, Index out, bool bias = true);
  Index in() const { return weight.value.rank() == 2 ? weight.value.dim(1) : 0; }
  Index out() const { return weight.value.rank() == 2 ? weight.value.dim(0) : 0; }

  /// Registers prefix/weight and (if present) prefix/bias.
  void collect(const std::string& prefix, ParamList<T>& l);
  /// (…, in) → (…, out).
  Tensor<T> forward(const Tensor<T>& x) const;
  /// dy (…, out) → dx (…, in); ACCUMULATES weight.grad (dW += dyᵀ x) and bias.grad (db += Σ dy).
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);

  /// weight ~ N(0, std²); bias = 0.
  void init_normal(Rng& rng, double std);
  /// weight = bias = 0.
  void init_zeros();
  /// PyTorch's default (kaiming-uniform, a = √5): weight and bias ~ U(±1/√in).
  void init_torch_default(Rng& rng);
};

/// Fills t with N(0, std²) draws.
template <class T>
void fill_normal(Tensor<T>& t, Rng& rng, double std);
/// Fills t with U(lo, hi) draws.
template <class T>
void fill_uniform(Tensor<T>& t, Rng& rng, double lo, double hi);

/// xLSTM's small_init: std = √(2 / (5·D)), D = the model's embedding_dim (not the inner size).
double small_init_std(Index embedding_dim);
/// xLSTM's wang_init: std = 2 / (num_blocks·√D).
double wang_init_std(Index embedding_dim, Index num_blocks);

}  // namespace xssm::nn
