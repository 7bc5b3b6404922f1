// The sLSTM layer, exactly the official `xlstm.blocks.slstm.layer.sLSTMLayer` (backend "vanilla"):
//
//   x_c = silu(conv1d(x))  if K > 0,  else x           (no SiLU either without the conv)
//   ĩ_in = fgate(x_c),  f̃_in = igate(x_c)              NOTE the official names are swapped
//   z̃_in = zgate(x),    õ_in = ogate(x)                 z and o see the non-convolved input
//   y_c = slstm_cell(concat(ĩ_in, f̃_in, z̃_in, õ_in))    (B,S,NH,DH)
//   y   = group_norm(y_c)                                MultiHeadLayerNorm → (B,S,D)
//
// No output projection and no skip inside the layer (the block adds them). Parameters, official
// state_dict names with '.' → '/': conv1d/conv/weight (D,1,K), conv1d/conv/bias (D) (only when
// K > 0), fgate/weight, igate/weight, zgate/weight, ogate/weight (NH,DH,DH),
// slstm_cell/_recurrent_kernel_ (NH,4DH,DH) (vanilla layout), slstm_cell/_bias_ (4D) (vanilla
// order [gate][head][d]), group_norm/weight (D). Maths: docs/maths/slstm.md.
//
// Step state (initial_state / step / forward(x, state)), all batch-first:
//   "c", "n", "m", "h"  (B, D)    cell state, normaliser, stabiliser, output (channel h·DH + d);
//                                  "h" is the cell output y_t BEFORE group_norm (it feeds the
//                                  recurrence)
//   "conv"              (B, D, K)  the last K inputs of the convolution, oldest first (only when
//                                  K > 0; the official conv_state is (B, K, D), transposed)
// The zero state (n = 0) makes the first step take the official "all n = 0 → m = ĩ" branch, which
// is also what forward(x) does, so step() repeated S times equals forward(x).
#pragma once
#include <string>

#include "xssm/nn/causal_conv1d.hpp"
#include "xssm/nn/headwise_linear.hpp"
#include "xssm/nn/multihead_layer_norm.hpp"
#include "xssm/seq/mixer.hpp"
#include "xssm/seq/slstm.hpp"

namespace xssm::seq {

/// The official sLSTMLayerConfig fields that change the maths (dropout is not supported: 0).
struct SlstmLayerConfig {
  Index embedding_dim = 0;         ///< D = hidden_size
  Index num_heads = 4;             ///< NH; DH = D / NH
  Index conv1d_kernel_size = 4;    ///< K; 0 = no convolution (and no SiLU)
  bool conv1d_bias = true;         ///< CausalConv1dConfig.bias (official default True)
  bool gate_bias = false;          ///< LinearHeadwiseExpand bias of the gate projections (official: False)
  bool group_norm_weight = true;   ///< official group_norm_weight (False: scale fixed at 1, no param)
};

template <class T>
class SlstmLayer : public Mixer<T> {
 public:
  explicit SlstmLayer(const SlstmLayerConfig& cfg);
  const SlstmLayerConfig& config() const { return cfg_; }
  std::string kind() const override { return "slstm"; }
  Index dim() const override { return cfg_.embedding_dim; }
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// Official reset_parameters: cell (R = 0, powerlaw_blockdependent forget bias with
  /// num_blocks/block_index), group_norm offset 0, gate projections small_init(D), conv PyTorch
  /// default U(±1/√K).
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  /// From the zero state. x (B,S,D) → y (B,S,D).
  Tensor<T> forward(const Tensor<T>& x) override;
  /// From `state` (as initial_state() lays it out); `state` is overwritten with the final state,
  /// so consecutive calls on consecutive chunks equal one call on the whole sequence.
  Tensor<T> forward(const Tensor<T>& x, NamedTensors<T>& state);
  Tensor<T> backward(const Tensor<T>& dy) override;
  /// Also writes dL/d(initial state) to *d_state0 (same names and shapes; "conv" only when K > 0).
  /// The final state is treated as not part of the loss.
  Tensor<T> backward(const Tensor<T>& dy, NamedTensors<T>* d_state0);

  NamedTensors<T> initial_state(Index batch) const override;
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;

  nn::CausalConv1d<T> conv1d;  ///< only used when K > 0
  nn::HeadwiseLinear<T> fgate, igate, zgate, ogate;
  SlstmCell<T> slstm_cell;
  nn::MultiHeadLayerNorm<T> group_norm;

 private:
  Tensor<T> run(const Tensor<T>& x, const NamedTensors<T>* state0, NamedTensors<T>* state_out);

  SlstmLayerConfig cfg_;
  Index NH_ = 0, DH_ = 0;
  // forward cache
  bool have_cache_ = false, have_state0_ = false;
  Tensor<T> x_, xc_, yc_, cell_state0_, conv_carry0_;
  SlstmCache<T> cell_cache_;
};

}  // namespace xssm::seq
