// xLSTM's MultiHeadLayerNorm (mLSTM `outnorm`, sLSTM `group_norm`): a group norm with NH groups.
// Each (…, head) vector of DH numbers is normalised on its own (mean, biased variance, eps inside
// the root), then scaled by 1 + weight[h·DH + d] (weight stored as an offset, init 0).
//
// LAYOUT: xssm takes x as (…, NH, DH), e.g. (B, S, NH, DH) — channels last, what the layers
// produce — and returns (…, NH·DH), channel h·DH + d. The official module takes (B, NH, S, DH)
// and transposes to (B, S, NH, DH) before the group norm; callers holding (B, NH, S, DH) must
// transpose first.
#pragma once
#include <string>

#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct MultiHeadLayerNorm {
  Param<T> weight;  ///< (NH·DH), offset: scale = 1 + weight
  Param<T> bias;    ///< (NH·DH) or empty
  bool has_bias = false;
  Index num_heads = 0, head_dim = 0;
  T eps = T(1e-5);

  MultiHeadLayerNorm() = default;
  MultiHeadLayerNorm(Index NH, Index DH, bool bias = false, double eps = 1e-5);

  /// Registers prefix/weight and prefix/bias (if any).
  void collect(const std::string& prefix, ParamList<T>& l);
  /// x (…, NH, DH) → (…, NH·DH).
  Tensor<T> forward(const Tensor<T>& x) const;
  /// x (…, NH, DH), dy (…, NH·DH) → dx (…, NH, DH); accumulates weight.grad, bias.grad.
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);
};

}  // namespace xssm::nn
