// Depthwise causal 1-D convolution, CHANNELS-LAST (x is (B, S, F)), as the mixers use it
// (xLSTM `conv1d.conv`, Mamba/Mamba2 `conv1d`). Per channel c, width K:
//   pre[b,t,c] = bias[c] + Σ_{j<K} W[c,0,j] · xp[b, t+j, c]
//   xp = concat(initial_state, x) along time (K−1 + S steps), initial_state = 0 by default
//   y = silu(pre) when `silu`, else pre.
// W[c,0,K−1] multiplies the current input (PyTorch cross-correlation with K−1 zeros on the left).
// Carried state (forward/backward, as causal_conv1d_ref's initial_states/final_states):
//   (B, F, K−1) = the last K−1 inputs, oldest first; final_state = the last K−1 rows of xp, so it
//   still contains initial-state columns when S < K−1.
// Step state (step(), as Mamba's step cache): (B, F, K) = the window of the last K inputs,
//   oldest first. Its oldest column is rolled out before use, so only the newest K−1 matter;
//   step_state_from_carry / carry_from_step_state convert. (xLSTM's step cache is (B, K, F):
//   transpose.)
#pragma once
#include <string>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct CausalConv1d {
  Param<T> weight;  ///< (F, 1, K), the official layout
  Param<T> bias;    ///< (F) or empty
  bool has_bias = false;
  Index K = 0;

  CausalConv1d() = default;
  CausalConv1d(Index F, Index K, bool bias = true);
  Index channels() const { return weight.value.rank() == 3 ? weight.value.dim(0) : 0; }

  /// Registers prefix/weight and prefix/bias; pass "conv1d/conv" (xLSTM) or "conv1d" (Mamba).
  void collect(const std::string& prefix, ParamList<T>& l);

  /// x (B, S, F) → y (B, S, F). initial_state (B, F, K−1) or null (zeros); if final_state is
  /// non-null it is overwritten with the (B, F, K−1) carry after the last step.
  Tensor<T> forward(const Tensor<T>& x, bool silu = false, const Tensor<T>* initial_state = nullptr,
                    Tensor<T>* final_state = nullptr) const;

  /// dy (B, S, F) → dx (B, S, F); accumulates weight.grad and bias.grad. Same x, silu and
  /// initial_state as the forward call. If d_initial_state is non-null it is overwritten with
  /// dL/d(initial_state) (B, F, K−1) (also when initial_state is null, i.e. zeros). If
  /// d_final_state (B, F, K−1) is non-null, it is the cotangent of the forward's final_state.
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy, bool silu = false,
                     const Tensor<T>* initial_state = nullptr, Tensor<T>* d_initial_state = nullptr,
                     const Tensor<T>* d_final_state = nullptr);

  /// One step: x_t (B, F) → y_t (B, F). conv_state (B, F, K) is rolled left by one column, x_t
  /// written into the last column, y_t = [silu](bias + Σ_k conv_state[:,:,k] W[:,0,k]).
  Tensor<T> step(const Tensor<T>& x_t, Tensor<T>& conv_state, bool silu = false) const;

  /// PyTorch's Conv1d default for a depthwise conv (fan_in = K): weight, bias ~ U(±1/√K).
  void init_torch_default(Rng& rng);
};

/// (B, F, K−1) carry → (B, F, K) step window (the unused oldest column is zero).
template <class T>
Tensor<T> step_state_from_carry(const Tensor<T>& carry);
/// (B, F, K) step window → (B, F, K−1) carry (its newest K−1 columns).
template <class T>
Tensor<T> carry_from_step_state(const Tensor<T>& conv_state);

}  // namespace xssm::nn
