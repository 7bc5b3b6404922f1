// Array forms of the activations in activations.hpp, for whole buffers: branch-free Eigen
// expressions, so the exp is vectorised (the scalar forms call libm's expf once per element
// behind a sign branch, ~5 % of an mLSTM training step in a perf profile).
//   σ(x) = 1 / (1 + e^(−x)) needs no overflow branch here: in IEEE arithmetic e^(−x) = ∞ gives
//   σ = 0 exactly, and e^(−x) → 0 gives 1; in between it equals the scalar form to rounding.
#pragma once
#include <Eigen/Core>

#include "xssm/core/tensor.hpp"  // Index

namespace xssm::nn {

// Raw buffers as arrays; a whole tensor is t.vec().array().
template <class T>
using ArrMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using CArrMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// σ(x) element-wise.
template <class D>
auto sigmoid_a(const Eigen::ArrayBase<D>& x) {
  using T = typename D::Scalar;
  return ((-x).exp() + T(1)).inverse();
}

/// silu(x) = x·σ(x) element-wise.
template <class D>
auto silu_a(const Eigen::ArrayBase<D>& x) {
  return x * sigmoid_a(x);
}

/// silu'(x) = σ(x)·(1 + x·(1 − σ(x))) element-wise.
template <class D>
auto silu_grad_a(const Eigen::ArrayBase<D>& x) {
  using T = typename D::Scalar;
  return sigmoid_a(x) * (x * (T(1) - sigmoid_a(x)) + T(1));
}

}  // namespace xssm::nn
