// The S4D convolution kernel (official: state-spaces/s4 models/s4/s4d.py S4DKernel).
//
//   Δ_h = exp(log_dt[h]);  c = C[...,0] + i·C[...,1];  A = −exp(log_A_real) + i·A_imag
//   K[h,l] = 2·Re Σ_{n < N/2} c[h,n]·(exp(Δ_h A[h,n]) − 1)/A[h,n]·exp(l·Δ_h·A[h,n]),  l = 0 … L−1
//
// Zero-order hold for A and B (B = 1 absorbed into C); N/2 complex modes whose conjugates give
// the factor 2·Re. The same discretisation gives the recurrence used by S4d::step:
//   x_t[n] = Ā_n x_{t−1}[n] + B̄_n u_t,  y_t = 2·Re Σ_n c_n x_t[n],  Ā = exp(ΔA), B̄ = (Ā − 1)/A.
#pragma once
#include <string>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::seq {

template <class T>
class S4DKernel {
 public:
  /// H channels (d_model), N = d_state (even: N/2 complex modes).
  S4DKernel(Index H, Index N);
  Index channels() const { return H_; }
  Index modes() const { return N2_; }

  nn::Param<T> log_dt;      // (H)
  nn::Param<T> C;           // (H, N/2, 2) real, imaginary
  nn::Param<T> log_A_real;  // (H, N/2)
  nn::Param<T> A_imag;      // (H, N/2)

  /// Registers prefix/log_dt, prefix/C, prefix/log_A_real, prefix/A_imag.
  void collect(const std::string& prefix, nn::ParamList<T>& out);
  /// Official init: log_dt ~ U[log dt_min, log dt_max]; C complex normal (parts N(0, ½));
  /// log_A_real = log ½; A_imag[h,n] = π·n.
  void init(Rng& rng, double dt_min = 0.001, double dt_max = 0.1);

  /// K (H, L).
  Tensor<T> forward(Index L) const;
  /// Adds dL/d(params) for the cotangent dK (H, L) into the Param grads.
  void backward(const Tensor<T>& dK);

  /// Discretised diagonal system for the recurrence: Ā, B̄·c folded as needed by S4d::step.
  /// Writes dA_bar (H, N/2, 2) = Ā and cB (H, N/2, 2) = c·B̄ (both as real, imaginary pairs).
  void discretise(Tensor<T>& A_bar, Tensor<T>& cB) const;

 private:
  Index H_, N2_;
};

}  // namespace xssm::seq
