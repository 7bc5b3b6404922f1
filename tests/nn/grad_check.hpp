// Shared helper for the nn/ tests: finite-difference checks of every parameter of a module
// (float64), given a loss that re-runs the forward pass and the analytic gradients already in
// Param::grad.
#pragma once
#include <catch2/catch.hpp>
#include <functional>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::test {

constexpr double kFdTol = 1e-8;

/// For every parameter p in `params`: numeric dL/dp (4-point stencil) vs p.grad.
inline void check_param_grads(const std::function<double()>& loss, nn::ParamList<double>& params,
                              double tol = kFdTol) {
  for (auto& [name, p] : params.items()) {
    const Tensor<double> g = numeric_grad(loss, p->value);
    INFO("parameter " << name);
    XSSM_CHECK_CLOSE(p->grad, g, tol);
  }
}

/// Numeric dL/dx vs an analytic gradient.
inline void check_input_grad(const std::function<double()>& loss, Tensor<double>& x, const Tensor<double>& dx,
                             const std::string& what, double tol = kFdTol) {
  const Tensor<double> g = numeric_grad(loss, x);
  INFO("input " << what);
  XSSM_CHECK_CLOSE(dx, g, tol);
}

/// Sets every parameter to N(0, std²) + offset (non-trivial values for gradient checks).
inline void randomize(nn::ParamList<double>& params, Rng& rng, double std = 0.5, double offset = 0.0) {
  for (auto& [name, p] : params.items())
    for (auto& v : p->value) v = offset + std * rng.normal();
}

}  // namespace xssm::test
