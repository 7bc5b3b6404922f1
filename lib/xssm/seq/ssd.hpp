// Mamba-2's state-space dual (SSD): a scalar·identity decay per head and step. Official:
// mamba_ssm.modules.ssd_minimal.ssd_minimal_discrete (same layouts, except that B and C may be
// shared by G groups of heads here: head h reads group h div (H/G); G = H is the official case).
//
//   per batch b and head h, state S_t ∈ ℝ^{P×N}:
//   S_0 = initial_state (or 0);   S_t = exp(A_t)·S_{t−1} + X_t B_tᵀ;   Y_t = S_t C_t
//
// A_t is already the log-decay of the step (Mamba-2: A·Δ_t, negative) and X is already x·Δ.
// Layouts: X (B,L,H,P), A (B,L,H), B and C (B,L,G,N), states (B,H,P,N).
// Two forms with identical maths: chunked (ssd_chunked.cpp: quadratic inside chunks of
// `chunk_size` steps, a recurrence across chunks; L need not be a multiple) and recurrent
// (ssd_recurrent.cpp: the plain scan, and the one-token step).
#pragma once
#include "xssm/core/tensor.hpp"
#include "xssm/seq/opt_tensor.hpp"

namespace xssm::seq {

/// Y (B,L,H,P) and the state after the last step, final_state (B,H,P,N).
template <class T>
struct SsdOut {
  Tensor<T> Y;
  Tensor<T> final_state;
};

/// Gradients of X, A, B, C and the initial state (empty when it was nullptr).
template <class T>
struct SsdGrads {
  Tensor<T> dX, dA, dB, dC, dinitial_state;
};

/// Chunked form. initial_state (B,H,P,N) or nullptr (zeros); chunk_size ≥ 1.
template <class T>
SsdOut<T> ssd_chunked_fwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                          const Tensor<T>& C, OptTensor<T> initial_state, Index chunk_size);
/// VJP of the chunked form with cotangents dY and dfinal_state (nullptr = 0).
template <class T>
SsdGrads<T> ssd_chunked_bwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                            const Tensor<T>& C, OptTensor<T> initial_state, Index chunk_size,
                            const Tensor<T>& dY, OptTensor<T> dfinal_state);

/// Recurrent form (one step at a time).
template <class T>
SsdOut<T> ssd_recurrent_fwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                            const Tensor<T>& C, OptTensor<T> initial_state);
template <class T>
SsdGrads<T> ssd_recurrent_bwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                              const Tensor<T>& C, OptTensor<T> initial_state,
                              const Tensor<T>& dY, OptTensor<T> dfinal_state);

/// One step: X_t (B,H,P), A_t (B,H), B_t, C_t (B,G,N); state (B,H,P,N) updated in place.
/// Returns Y_t (B,H,P).
template <class T>
Tensor<T> ssd_step(const Tensor<T>& X_t, const Tensor<T>& A_t, const Tensor<T>& B_t,
                   const Tensor<T>& C_t, Tensor<T>& state);

namespace detail {
struct SsdDims {
  Index Bt, L, H, P, G, N;
};
/// Validates the shapes shared by both forms.
template <class T>
SsdDims ssd_check(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B, const Tensor<T>& C,
                  OptTensor<T> initial_state);
}  // namespace detail

}  // namespace xssm::seq
