// mLSTM cell (xLSTM, Beck et al. 2024): the matrix-memory recurrence in its three forms —
// parallel (stabilised quadratic), chunkwise (any chunk size, initial state in, last state out)
// and recurrent (one step at a time) — each with a hand-written backward pass that
// differentiates through the stabilisers (m, M, stab) exactly like PyTorch autograd through the
// official backends (NX-AI/xlstm backends.py: parallel_stabilized_simple, chunkwise_simple,
// recurrent_step_stabilized_simple). Maths: docs/maths/mlstm.md.
//
// Layouts (as the official backends): q, k, v (B,NH,S,DH); gate pre-activations ĩ (igate), f̃
// (fgate) (B,NH,S) or (B,NH,S,1) (either is accepted; gradients come back in the given shape).
//
// State convention (all forms): the RECURRENT scale, keys divided by √DH:
//   C (B,NH,DH,DH) C[a,c] row a = key component, column c = value component; n (B,NH,DH); m (B,NH).
// The official chunkwise_simple keeps keys unscaled, so its C, n are √DH × these (its m is the same).
// A null initial state means C0 = n0 = 0, m0 = −∞ (then every form equals the parallel form to
// rounding); the official step API starts from m0 = 0 instead (MlstmState::zeros(.., 0)), which
// shifts h by ~1e-7 through eps. eps = 1e-6 is added to the stabilised denominator.
#pragma once
#include <limits>
#include <type_traits>

#include "xssm/core/tensor.hpp"

namespace xssm::seq {

constexpr double kMlstmEps = 1e-6;

/// Keeps a parameter out of template deduction (so nullptr can be passed for a state pointer).
template <class X>
using NoDeduce = typename std::common_type<X>::type;

/// Sizes of one call: batch, heads, sequence length, head size.
struct MlstmDims {
  Index B = 0, NH = 0, S = 0, DH = 0;
};

/// Recurrent-scale state {C (B,NH,DH,DH), n (B,NH,DH), m (B,NH)}.
template <class T>
struct MlstmState {
  Tensor<T> C, n, m;
  /// C = n = 0 and m = m0 (−∞: "no history"; 0: the official step's start state).
  static MlstmState zeros(Index B, Index NH, Index DH, T m0 = -std::numeric_limits<T>::infinity()) {
    MlstmState s;
    s.C = Tensor<T>({B, NH, DH, DH});
    s.n = Tensor<T>({B, NH, DH});
    s.m = Tensor<T>({B, NH}, m0);
    return s;
  }
};

/// Gradients of a loss w.r.t. the inputs of a form; di, df have the shape of the given gates.
/// dC0, dn0, dm0 are filled by the forms that take an initial state (when one was given).
template <class T>
struct MlstmGrads {
  Tensor<T> dq, dk, dv, di, df;
  MlstmState<T> dstate0;
};

/// Checks shapes (q (B,NH,S,DH), k, v equal; gates B·NH·S entries; state shapes) and returns the dims.
template <class T>
MlstmDims mlstm_dims(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                     const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state = nullptr);

// ---- parallel form (parallel_stabilized_simple, row-wise stabiliser) ----

/// h (B,NH,S,DH) = the stabilised quadratic form; no state (equals the others with m0 = −∞).
template <class T>
Tensor<T> mlstm_parallel_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                             const Tensor<T>& fgate, double eps = kMlstmEps);
/// VJP with cotangent dh: fills g.dq, g.dk, g.dv, g.di, g.df (forward recomputed).
template <class T>
void mlstm_parallel_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                        const Tensor<T>& fgate, const Tensor<T>& dh, MlstmGrads<T>& g, double eps = kMlstmEps);

// ---- chunkwise form (chunkwise_simple; any chunk size, the last chunk may be shorter) ----

/// h (B,NH,S,DH) from state0 (nullptr: zeros with m0 = −∞); the state after step S−1 goes to
/// *last when last != nullptr.
template <class T>
Tensor<T> mlstm_chunkwise_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                              const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, NoDeduce<MlstmState<T>>* last,
                              Index chunk_size, double eps = kMlstmEps);
/// VJP with cotangents dh and dlast (nullptr: zero; its m entry is honoured too): fills g.dq … g.df
/// and, when state0 != nullptr, g.dstate0 (dC0, dn0, dm0).
template <class T>
void mlstm_chunkwise_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                         const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, Index chunk_size, const Tensor<T>& dh,
                         const NoDeduce<MlstmState<T>>* dlast, MlstmGrads<T>& g, double eps = kMlstmEps);

// ---- recurrent form (recurrent_step_stabilized_simple) ----

/// One step for every (b, head): q_t, k_t, v_t (B,NH,DH), igate_t, fgate_t (B·NH entries);
/// updates `state` in place and returns h_t (B,NH,DH).
template <class T>
Tensor<T> mlstm_recurrent_step(const Tensor<T>& q_t, const Tensor<T>& k_t, const Tensor<T>& v_t,
                               const Tensor<T>& igate_t, const Tensor<T>& fgate_t, MlstmState<T>& state,
                               double eps = kMlstmEps);
/// The step applied for t = 0 … S−1 (inputs as the parallel form); state0 nullptr: m0 = −∞.
template <class T>
Tensor<T> mlstm_recurrent_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                              const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, NoDeduce<MlstmState<T>>* last,
                              double eps = kMlstmEps);
/// Backward through the steps (keeps S states of DH×DH per (b, head)); as mlstm_chunkwise_bwd.
template <class T>
void mlstm_recurrent_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                         const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, const Tensor<T>& dh,
                         const NoDeduce<MlstmState<T>>* dlast, MlstmGrads<T>& g, double eps = kMlstmEps);

}  // namespace xssm::seq
