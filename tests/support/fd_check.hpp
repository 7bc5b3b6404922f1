// Finite-difference gradient checks in float64 (STYLE.md §8.7.2).
// `loss()` re-evaluates the scalar loss with the current contents of the tensor being varied.
#pragma once
#include <cmath>
#include <functional>

#include "support/compare.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::test {

/// Numerical gradient of loss() w.r.t. every element of x (4-point central stencil,
/// step h·max(1, |x_i|)). x is restored afterwards.
inline Tensor<double> numeric_grad(const std::function<double()>& loss, Tensor<double>& x, double h = 1e-4) {
  Tensor<double> g(x.shape());
  for (Index i = 0; i < x.size(); ++i) {
    const double x0 = x[i];
    const double step = h * std::max(1.0, std::fabs(x0));
    auto at = [&](double d) {
      x[i] = x0 + d;
      return loss();
    };
    const double f1 = at(step), fm1 = at(-step), f2 = at(2 * step), fm2 = at(-2 * step);
    x[i] = x0;
    g[i] = (8 * (f1 - fm1) - (f2 - fm2)) / (12 * step);
  }
  return g;
}

/// Directional check for large tensors: for `dirs` random unit directions v, compares
/// (L(x + hv) − L(x − hv)) / 2h (4-point) with ⟨∇L, v⟩. Returns the worst relative error.
inline double directional_check(const std::function<double()>& loss, Tensor<double>& x,
                                const Tensor<double>& grad, Rng& rng, int dirs = 3, double h = 1e-4) {
  double worst = 0;
  const Tensor<double> x0 = x;
  for (int d = 0; d < dirs; ++d) {
    Tensor<double> v(x.shape());
    double norm = 0;
    for (Index i = 0; i < v.size(); ++i) norm += (v[i] = rng.normal()) * v[i];
    norm = std::sqrt(norm);
    double analytic = 0;
    for (Index i = 0; i < v.size(); ++i) analytic += grad[i] * (v[i] /= norm);
    auto at = [&](double s) {
      for (Index i = 0; i < x.size(); ++i) x[i] = x0[i] + s * v[i];
      return loss();
    };
    const double numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
    x = x0;
    double gnorm = 0;
    for (Index i = 0; i < grad.size(); ++i) gnorm = std::max(gnorm, std::fabs(grad[i]));
    worst = std::max(worst, std::fabs(numeric - analytic) / std::max(1e-12, std::max(std::fabs(analytic), gnorm)));
  }
  return worst;
}

/// Random tensor with N(0, std²) entries from a seeded Rng.
template <class T = double>
Tensor<T> randn(const Shape& s, Rng& rng, double std = 1.0) {
  Tensor<T> t(s);
  for (auto& v : t) v = T(rng.normal() * std);
  return t;
}
template <class T = double>
Tensor<T> randu(const Shape& s, Rng& rng, double lo, double hi) {
  Tensor<T> t(s);
  for (auto& v : t) v = T(rng.uniform(lo, hi));
  return t;
}
/// Σ x ⊙ w: the scalar loss whose gradient w.r.t. x is w (a VJP with cotangent w).
template <class T>
double dot(const Tensor<T>& x, const Tensor<T>& w) {
  double s = 0;
  for (Index i = 0; i < x.size(); ++i) s += double(x[i]) * double(w[i]);
  return s;
}

}  // namespace xssm::test
