// The sLSTM cell (Beck et al. 2024, xLSTM §2.2), exactly as the official
// `xlstm.blocks.slstm.cell.sLSTMCell` with backend "vanilla": exponential input gate, stabiliser m,
// normaliser n, head-wise block-diagonal recurrent kernel (memory mixing inside a head only).
// Maths and layouts: docs/maths/slstm.md.
//
// Layouts (H = NH·DH, "head h" = channels h·DH … h·DH+DH−1):
//   x      (B,S,4H)   gate pre-activations from the input side, GATE-MAJOR: x[..., g·H + h·DH + d],
//                     gate order g = 0 i (input), 1 f (forget), 2 z (cell input), 3 o (output)
//   R      (NH,4DH,DH) `_recurrent_kernel_`: R[h, g·DH + a, k] maps y_{t−1}[h·DH+k] to gate g, comp. a
//   b      (4H)       `_bias_`, ordered like x
//   state  (4,B,H)    (y, c, n, m) stacked in that order (the official state layout)
//   y      (B,S,H)    the outputs y_1 … y_S, channel h·DH+d (official: (B,NH,S,DH))
//
// Strictly sequential in time; work is split over the B·NH independent (batch, head) units.
#pragma once
#include <string>
#include <type_traits>
#include <vector>

#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::seq {

/// Blocks template deduction, so nullptr can be passed for optional tensors (T comes from x/R).
template <class T>
using NoDeduce = typename std::common_type<T>::type;

/// What slstm_recurrent_fwd keeps for slstm_recurrent_bwd.
template <class T>
struct SlstmCache {
  Index B = 0, S = 0, NH = 0, DH = 0;
  /// (B,NH,S+1,4,DH): per unit the states (y,c,n,m) after step t (t = 0: the initial state).
  Tensor<T> states;
  /// (B,NH,S,4,DH): total pre-activations x + R·y + b per step.
  Tensor<T> pre;
  /// first_branch[t] = 1 when step t+1 took the "every n_t of the batch is 0 → m = ĩ" branch.
  std::vector<char> first_branch;
};

/// Forward over a sequence. state0 (4,B,H) or nullptr (zeros, as the official default).
/// Returns y (B,S,H); writes the final state (4,B,H) to *state_out when given; fills *cache.
template <class T>
Tensor<T> slstm_recurrent_fwd(const Tensor<T>& x, const Tensor<T>& R, const Tensor<T>& b, Index num_heads,
                    const NoDeduce<Tensor<T>>* state0, NoDeduce<Tensor<T>>* state_out,
                    NoDeduce<SlstmCache<T>>* cache);

/// Backward: dy (B,S,H) and optionally dstate (4,B,H), the cotangent of the final state (its m
/// part is differentiated too). Returns dx (B,S,4H); ACCUMULATES into dR and db; writes the
/// gradient of the initial state (4,B,H) to *dstate0 when given. Differentiates through the
/// stabiliser m and the min(·,1) clamps with PyTorch's autograd rules (ties split in half).
template <class T>
Tensor<T> slstm_recurrent_bwd(const Tensor<T>& R, const NoDeduce<SlstmCache<T>>& cache, const NoDeduce<Tensor<T>>& dy,
                    const NoDeduce<Tensor<T>>* dstate, NoDeduce<Tensor<T>>& dR, NoDeduce<Tensor<T>>& db,
                    NoDeduce<Tensor<T>>* dstate0);

/// One step: x_t (B,4H), state (4,B,H) updated in place; returns y_t (B,H).
template <class T>
Tensor<T> slstm_step(const Tensor<T>& x_t, const Tensor<T>& R, const Tensor<T>& b, Index num_heads,
                     Tensor<T>& state);

/// The parameters of an sLSTM cell (official names `_recurrent_kernel_`, `_bias_`).
template <class T>
class SlstmCell {
 public:
  SlstmCell() = default;
  SlstmCell(Index hidden_size, Index num_heads);
  Index hidden_size() const { return H_; }
  Index num_heads() const { return NH_; }
  Index head_dim() const { return H_ / NH_; }
  /// prefix/_recurrent_kernel_ (NH,4DH,DH), prefix/_bias_ (4H).
  void collect(const std::string& prefix, nn::ParamList<T>& out);
  /// Official init: R = 0 ("zeros"); biases 0 except the forget gate, "powerlaw_blockdependent":
  /// b_f[h·DH+d] = 5 − 12·(d/(DH−1))^(0.3 + 1.3·block_index/(num_blocks−1)) (0.3 if one block).
  void init(Index num_blocks, Index block_index);

  Tensor<T> forward(const Tensor<T>& x, const Tensor<T>* state0, Tensor<T>* state_out,
                    SlstmCache<T>* cache) const {
    return slstm_recurrent_fwd(x, recurrent_kernel.value, bias.value, NH_, state0, state_out, cache);
  }
  /// Accumulates into the parameter grads.
  Tensor<T> backward(const SlstmCache<T>& cache, const Tensor<T>& dy, const Tensor<T>* dstate,
                     Tensor<T>* dstate0) {
    return slstm_recurrent_bwd(recurrent_kernel.value, cache, dy, dstate, recurrent_kernel.grad, bias.grad, dstate0);
  }
  Tensor<T> step(const Tensor<T>& x_t, Tensor<T>& state) const {
    return slstm_step(x_t, recurrent_kernel.value, bias.value, NH_, state);
  }

  nn::Param<T> recurrent_kernel;  ///< (NH,4DH,DH)
  nn::Param<T> bias;              ///< (4H)

 private:
  Index H_ = 0, NH_ = 1;
};

}  // namespace xssm::seq
