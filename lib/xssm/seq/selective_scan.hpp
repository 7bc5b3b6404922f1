// Mamba's selective scan (S6), channels-last. Official: mamba_ssm selective_scan_ref with
// delta_softplus and return_last_state (layouts there are (B,D,L); ours are (B,L,D)).
//
//   Δ_t[d]     = softplus(delta_t[d] + delta_bias[d])        (or delta + bias when !softplus)
//   x_t[d,n]   = exp(Δ_t[d]·A[d,n])·x_{t−1}[d,n] + Δ_t[d]·B_t[d,n]·u_t[d]   (ZOH on A, Euler on B)
//   y_t[d]     = Σ_n C_t[d,n]·x_t[d,n] + D[d]·u_t[d]
//   out_t[d]   = y_t[d]·silu(z_t[d])                          (only when z is given)
//
// B and C come in two layouts, told apart by rank: (D,N) fixed per channel, or (B,L,G,N)
// input-dependent with G groups (group g serves channels g·D/G … (g+1)·D/G − 1; G = 1 is the
// usual Mamba "shared by all channels" case). Optional tensors are passed as nullptr.
#pragma once
#include "xssm/core/tensor.hpp"
#include "xssm/seq/opt_tensor.hpp"

namespace xssm::seq {

/// The inputs of one scan. u, delta, z: (B,L,D); A: (D,N); B, C: (D,N) or (B,L,G,N);
/// D, delta_bias: (D); initial_state: (B,D,N) (zero when nullptr).
template <class T>
struct SelectiveScanArgs {
  OptTensor<T> u = nullptr;
  OptTensor<T> delta = nullptr;
  OptTensor<T> A = nullptr;
  OptTensor<T> B = nullptr;
  OptTensor<T> C = nullptr;
  OptTensor<T> D = nullptr;           // optional skip
  OptTensor<T> delta_bias = nullptr;  // optional, added before the softplus
  OptTensor<T> z = nullptr;           // optional gate
  OptTensor<T> initial_state = nullptr;
  bool delta_softplus = true;
};

/// out (B,L,D) and the state after the last step, last_state (B,D,N).
template <class T>
struct SelectiveScanOut {
  Tensor<T> out;
  Tensor<T> last_state;
};

/// Gradients of the inputs (same shapes; empty when the input was nullptr).
template <class T>
struct SelectiveScanGrads {
  Tensor<T> du, ddelta, dA, dB, dC, dD, ddelta_bias, dz, dinitial_state;
};

template <class T>
SelectiveScanOut<T> selective_scan_fwd(const SelectiveScanArgs<T>& a);

/// Vector-Jacobian product with cotangents dout (B,L,D) and dlast_state (B,D,N) (nullptr = 0).
/// Recomputes the states (memory B·L·D·N transiently).
template <class T>
SelectiveScanGrads<T> selective_scan_bwd(const SelectiveScanArgs<T>& a, const Tensor<T>& dout,
                                         OptTensor<T> dlast_state);

/// One step: u_t, delta_t, z_t (B,D); B_t, C_t (B,G,N) or fixed (D,N); state (B,D,N) is updated
/// in place. Returns out_t (B,D). Same maths as the scan for one t.
template <class T>
Tensor<T> selective_scan_step(const Tensor<T>& u_t, const Tensor<T>& delta_t, const Tensor<T>& A,
                              const Tensor<T>& B_t, const Tensor<T>& C_t, OptTensor<T> D,
                              OptTensor<T> delta_bias, OptTensor<T> z_t, Tensor<T>& state,
                              bool delta_softplus = true);

}  // namespace xssm::seq
