// Scalar activation functions and their derivatives, with PyTorch's numerical conventions
// (so that xssm matches the official fixtures to float64 precision). Header-only, templated on T.
#pragma once
#include <cmath>

namespace xssm::nn {

/// σ(x) = 1 / (1 + e^(−x)), evaluated without overflow on either side.
template <class T>
inline T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

/// silu(x) = x·σ(x).
template <class T>
inline T silu(T x) {
  return x * sigmoid(x);
}

/// d silu / dx = σ(x)·(1 + x·(1 − σ(x))).
template <class T>
inline T silu_grad(T x) {
  const T s = sigmoid(x);
  return s * (T(1) + x * (T(1) - s));
}

/// torch.nn.functional.softplus (beta 1, threshold 20): log(1 + eˣ), but x itself for x > 20.
template <class T>
inline T softplus(T x) {
  if (x > T(20)) return x;
  return std::log1p(std::exp(x));
}

/// d softplus / dx = σ(x); exactly 1 above the threshold (as PyTorch's backward).
template <class T>
inline T softplus_grad(T x) {
  if (x > T(20)) return T(1);
  return sigmoid(x);
}

/// logσ(x) = −log(1 + e^(−x)) = min(x, 0) − log1p(e^(−|x|)) (PyTorch's stable form).
template <class T>
inline T logsigmoid(T x) {
  return std::min(x, T(0)) - std::log1p(std::exp(-std::fabs(x)));
}

/// d logσ / dx = 1 − σ(x) = σ(−x).
template <class T>
inline T logsigmoid_grad(T x) {
  return sigmoid(-x);
}

/// gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)): the exact form, torch.nn.GELU() default.
template <class T>
inline T gelu(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
}

/// d gelu / dx = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
template <class T>
inline T gelu_grad(T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
  const T pdf = std::exp(T(-0.5) * x * x) * T(0.39894228040143267794);
  return cdf + x * pdf;
}

/// gelu_tanh(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))): torch GELU(approximate="tanh").
template <class T>
inline T gelu_tanh(T x) {
  const T k = T(0.79788456080286535588);  // √(2/π)
  return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}

/// d gelu_tanh / dx.
template <class T>
inline T gelu_tanh_grad(T x) {
  const T k = T(0.79788456080286535588);
  const T u = k * (x + T(0.044715) * x * x * x);
  const T t = std::tanh(u);
  const T du = k * (T(1) + T(3 * 0.044715) * x * x);
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
}

}  // namespace xssm::nn
