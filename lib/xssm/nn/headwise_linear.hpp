// xLSTM's LinearHeadwiseExpand (q/k/v projections of the mLSTM layer, sLSTM gate projections):
// a block-diagonal linear map. The `in` input channels are NH contiguous blocks of I = in/NH,
// each mapped by its own (O × I) matrix, O = expand·in/NH:
//   y[…, n·O + o] = Σ_i W[n, o, i] · x[…, n·I + i]  (+ bias[n·O + o])
// W is stored (NH, O, I) as the official `weight`; `bias` (NH·O) is optional.
#pragma once
#include <string>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct HeadwiseLinear {
  Param<T> weight;  ///< (NH, O, I)
  Param<T> bias;    ///< (NH·O) or empty
  bool has_bias = false;

  HeadwiseLinear() = default;
  HeadwiseLinear(Index in, Index num_heads, Index expand = 1, bool bias = false);
  Index num_heads() const { return weight.value.rank() == 3 ? weight.value.dim(0) : 0; }
  Index in() const { return num_heads() * (weight.value.rank() == 3 ? weight.value.dim(2) : 0); }
  Index out() const { return num_heads() * (weight.value.rank() == 3 ? weight.value.dim(1) : 0); }

  /// Registers prefix/weight and prefix/bias (if any).
  void collect(const std::string& prefix, ParamList<T>& l);
  /// (…, in) → (…, out).
  Tensor<T> forward(const Tensor<T>& x) const;
  /// Returns dx (…, in); accumulates weight.grad and bias.grad.
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);
  /// weight ~ N(0, std²) (xLSTM: small_init_std(embedding_dim)); bias = 0.
  void init_normal(Rng& rng, double std);
};

}  // namespace xssm::nn
