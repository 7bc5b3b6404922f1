// LayerNorm over the last axis: y = (x − μ)/√(σ² + eps) ⊙ scale (+ bias), biased variance σ²,
// eps inside the square root (F.layer_norm).
// weight_offset = true is xLSTM's convention: scale = 1 + weight, the stored `weight` is the
// offset (init 0), as in every xLSTM norm (fixtures README, "Norm weights are offsets").
// weight_offset = false is the standard torch.nn.LayerNorm: scale = weight (init 1).
#pragma once
#include <string>

#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct LayerNorm {
  Param<T> weight;  ///< (D): the offset w (scale 1 + w) or the scale itself
  Param<T> bias;    ///< (D) or empty
  bool has_bias = false;
  bool weight_offset = true;
  T eps = T(1e-5);

  LayerNorm() = default;
  LayerNorm(Index D, bool bias = false, bool weight_offset = true, double eps = 1e-5);
  Index dim() const { return weight.value.size(); }

  /// Registers prefix/weight and prefix/bias (if any).
  void collect(const std::string& prefix, ParamList<T>& l);
  /// (…, D) → (…, D).
  Tensor<T> forward(const Tensor<T>& x) const;
  /// Returns dx; accumulates weight.grad and bias.grad.
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);
  /// Identity transform: weight = 0 (offset) or 1, bias = 0.
  void init_identity();
};

}  // namespace xssm::nn
