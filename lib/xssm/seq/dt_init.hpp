// Mamba / Mamba-2 initialisation of the Δ bias: Δ₀ = exp(U[log dt_min, log dt_max]) clamped
// below at dt_init_floor, bias = Δ₀ + log(−expm1(−Δ₀)) = softplus⁻¹(Δ₀), so softplus(bias) = Δ₀.
#pragma once
#include <algorithm>
#include <cmath>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::seq {

template <class T>
void init_dt_bias(Tensor<T>& bias, Rng& rng, double dt_min, double dt_max, double dt_init_floor) {
  for (auto& b : bias) {
    const double dt = std::max(std::exp(rng.uniform(std::log(dt_min), std::log(dt_max))), dt_init_floor);
    b = T(dt + std::log(-std::expm1(-dt)));
  }
}

}  // namespace xssm::seq
