// RMSNorm (Mamba's `norm`, `norm_f`; rms_norm_ref): y = x / √(mean(x²) + eps) ⊙ weight over the
// last axis; no mean subtraction, no bias, weight init 1.
// GatedRmsNorm (Mamba-2's RMSNormGated, norm_before_gate = False, as the Mamba2 module uses it):
//   v = x ⊙ silu(z);  per group of `group_size` consecutive channels (E/G in Mamba-2):
//   y = v / √(mean_group(v²) + eps) ⊙ weight.
// Note the official fused reference `mamba_split_conv1d_scan_ref` normalises over all E channels
// (wrong for G > 1; fixtures README, SSM surprise 7); this follows the module and the kernel.
#pragma once
#include <string>

#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct RmsNorm {
  Param<T> weight;  ///< (D), init 1
  T eps = T(1e-5);

  RmsNorm() = default;
  explicit RmsNorm(Index D, double eps = 1e-5);
  Index dim() const { return weight.value.size(); }
  /// Registers prefix/weight.
  void collect(const std::string& prefix, ParamList<T>& l);
  /// (…, D) → (…, D).
  Tensor<T> forward(const Tensor<T>& x) const;
  /// Returns dx; accumulates weight.grad.
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);
};

template <class T>
struct GatedRmsNorm {
  Param<T> weight;  ///< (D), init 1
  Index group_size = 0;
  T eps = T(1e-5);

  GatedRmsNorm() = default;
  /// group_size must divide D; 0 means D (one group).
  explicit GatedRmsNorm(Index D, Index group_size = 0, double eps = 1e-5);
  Index dim() const { return weight.value.size(); }
  /// Registers prefix/weight.
  void collect(const std::string& prefix, ParamList<T>& l);
  /// x, z (…, D) → y (…, D).
  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>& z) const;
  /// Writes dx and dz (resized); accumulates weight.grad.
  void backward(const Tensor<T>& x, const Tensor<T>& z, const Tensor<T>& dy, Tensor<T>& dx, Tensor<T>& dz);
};

}  // namespace xssm::nn
