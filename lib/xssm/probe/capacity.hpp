// Jaeger's short-term memory capacity (Jaeger 2002, "Short term memory in echo state networks").
//
// For i.i.d. input u and a state x(t) (after consuming u(t)), the capacity at delay k is the
// squared correlation between u(t−k) and its best linear read-out from x(t):
//     r²(k) = max_w cov²(u(t−k), wᵀx(t)) / (var u · var wᵀx(t)),      MC = Σ_{k=0}^{K} r²(k).
// The sum starts at k = 0 (the current input), so a state that keeps only u(t) has MC ≈ 1 and a
// linear state of dimension N has MC ≤ N, with equality for a full-rank (Krylov) linear system.
// With several input channels (real inputs (N,S,C), or tokens coded as the V−1 orthonormal
// directions of the centred one-hot code) r²(k) is summed over the channels (Dambre et al.
// 2012): the bound MC ≤ N still holds. The best read-out is a ridge read-out (probe/ridge.hpp)
// fitted on training sequences, λ chosen on validation sequences, r² measured on test sequences.
#pragma once
#include <cstdint>
#include <vector>

#include "xssm/core/tensor.hpp"
#include "xssm/probe/ridge.hpp"

namespace xssm::probe {

struct CapacityOptions {
  Index max_delay = 20;  // delays 0..max_delay
  Index washout = 0;     // first positions of every sequence not used as samples
  RidgeOptions ridge;
};

struct CapacityResult {
  std::vector<double> r2;      // (max_delay+1): r²(k), summed over input channels
  double mc = 0;               // Σ_k r²(k)
  std::vector<double> lambda;  // chosen λ per (delay, channel), delay-major
  Index rows = 0;              // samples used (sequences × positions)
  Index features = 0;          // non-constant features used
};

/// states (N,S,F) with the state after input t at [n,t,:]; u (N,S,C) real inputs.
template <class T>
CapacityResult memory_capacity(const Tensor<T>& states, const Tensor<double>& u, const CapacityOptions& opt);

/// Token ids (N,S) in [0,V) → (N,S,V−1): the centred one-hot code in an orthonormal basis of the
/// directions orthogonal to (1,…,1) (uncorrelated, equal-variance channels for uniform tokens).
Tensor<double> token_channels(const Tensor<std::int32_t>& ids, Index vocab_size);

}  // namespace xssm::probe
