// Small scalar helpers shared by the SSM ops (kept here so the core ops do not depend on nn/).
#pragma once
#include <cmath>

namespace xssm::seq::detail {

/// PyTorch's softplus: log(1 + eˣ), returning x itself for x > 20.
template <class T>
inline T softplus(T x) {
  return x > T(20) ? x : std::log1p(std::exp(x));
}
/// d softplus / dx = σ(x) (1 for x > 20, matching the threshold).
template <class T>
inline T softplus_grad(T x) {
  return x > T(20) ? T(1) : T(1) / (T(1) + std::exp(-x));
}
template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
template <class T>
inline T silu(T x) {
  return x * sigmoid(x);
}
/// d silu / dx = σ(x)(1 + x(1 − σ(x))).
template <class T>
inline T silu_grad(T x) {
  const T s = sigmoid(x);
  return s * (T(1) + x * (T(1) - s));
}

}  // namespace xssm::seq::detail
