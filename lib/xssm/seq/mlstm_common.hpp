// Internal helpers shared by the three mLSTM forms (not part of the public contract).
#pragma once
#include <cmath>

#include "xssm/seq/mlstm.hpp"

namespace xssm::seq::detail {

/// logσ(x) = −log(1 + e^(−x)), computed as min(x, 0) − log1p(e^(−|x|)) (as torch does).
template <class T>
inline T logsigmoid(T x) {
  return std::min(x, T(0)) - std::log1p(std::exp(-std::fabs(x)));
}
/// d logσ(x)/dx = σ(−x).
template <class T>
inline T logsigmoid_grad(T x) {
  return x >= 0 ? std::exp(-x) / (T(1) + std::exp(-x)) : T(1) / (T(1) + std::exp(x));
}
/// Share of d max(a, b) going to a: torch.maximum sends it wholly to the larger argument and
/// splits it in half on an exact tie.
template <class T>
inline T max_share_a(T a, T b) {
  return a > b ? T(1) : (a < b ? T(0) : T(0.5));
}
/// sign(x) with sign(0) = 0 (torch's abs backward).
template <class T>
inline T sgn(T x) {
  return T((x > 0) - (x < 0));
}

}  // namespace xssm::seq::detail
