// The mLSTM layer: xLSTM's mLSTMLayer (NX-AI/xlstm blocks/mlstm/layer.py), exactly.
//   u = proj_up(x) = [x_m | z] (B,S,2P);  a = silu(conv1d(x_m))
//   q = q_proj(a), k = k_proj(a), v = v_proj(x_m)           (block-diagonal, blocks of qkv_proj_blocksize)
//   ĩ = mlstm_cell/igate([q,k,v]),  f̃ = mlstm_cell/fgate([q,k,v])   (Linear 3P → NH, with bias)
//   h̃ = mLSTM cell (seq/mlstm.hpp) per head;  ĥ = mlstm_cell/outnorm(h̃)  (MultiHeadLayerNorm)
//   y = proj_down((ĥ + learnable_skip ⊙ a) ⊙ silu(z))
// Parameter names = the official state_dict names with '.' → '/'. Step state: "C" (B,NH,DH,DH),
// "n" (B,NH,DH), "m" (B,NH) in the recurrent scale (seq/mlstm.hpp) and "conv" (B,P,K), the last
// K pre-convolution inputs, oldest first (nn::CausalConv1d::step; the official cache is (B,K,P)).
#pragma once
#include <limits>
#include <string>

#include "xssm/core/json.hpp"
#include "xssm/nn/causal_conv1d.hpp"
#include "xssm/nn/headwise_linear.hpp"
#include "xssm/nn/linear.hpp"
#include "xssm/nn/multihead_layer_norm.hpp"
#include "xssm/seq/mixer.hpp"
#include "xssm/seq/mlstm.hpp"

namespace xssm::seq {

/// Which cell form forward() uses (both give the same numbers to rounding).
enum class MlstmForm { Chunkwise, Parallel };

/// The official mLSTMLayerConfig (dropout is always 0 here) plus xssm's form choices.
struct MlstmLayerConfig {
  Index embedding_dim = 0;        ///< D
  Index num_heads = 4;            ///< NH; must divide P
  double proj_factor = 2.0;       ///< P = ceil(proj_factor·D / round_to)·round_to
  Index round_to = 64;            ///< official round_proj_up_to_multiple_of
  Index qkv_proj_blocksize = 4;   ///< block size of the q/k/v head-wise projections
  Index conv1d_kernel_size = 4;   ///< K (≥ 1)
  bool bias = false;              ///< biases of proj_up, q/k/v_proj, proj_down
  Index chunk_size = 64;          ///< chunk length of the chunkwise form
  Index context_length = 0;       ///< official causal-mask size; informational (no limit here)
  Index inner_dim_override = 0;   ///< > 0: P as given (official `_inner_embedding_dim`)
  MlstmForm form = MlstmForm::Chunkwise;
  /// m of initial_state(): 0 is the official step's start (step() then differs from forward() by
  /// ~1e-7 through eps); −∞ makes step() equal forward() to rounding.
  double step_m0 = 0.0;

  Index inner_dim() const;   ///< P
  Index head_dim() const { return inner_dim() / num_heads; }  ///< DH = P/NH
  /// Throws UsageError naming the inconsistent sizes.
  void validate() const;
  /// From an official mLSTMLayerConfig dict (keys embedding_dim, num_heads, proj_factor,
  /// round_proj_up_to_multiple_of, qkv_proj_blocksize, conv1d_kernel_size, bias, context_length,
  /// _inner_embedding_dim); absent keys keep the defaults above.
  static MlstmLayerConfig from_official_json(const json::Value& c);
};

template <class T>
class MlstmLayer : public Mixer<T> {
 public:
  explicit MlstmLayer(const MlstmLayerConfig& cfg);

  std::string kind() const override { return "mlstm"; }
  Index dim() const override { return cfg_.embedding_dim; }
  const MlstmLayerConfig& config() const { return cfg_; }
  /// Registers proj_up/weight, [proj_up/bias], q_proj/weight, [q_proj/bias], k_proj…, v_proj…,
  /// conv1d/conv/weight, conv1d/conv/bias, mlstm_cell/igate/{weight,bias},
  /// mlstm_cell/fgate/{weight,bias}, mlstm_cell/outnorm/weight, learnable_skip, proj_down/weight,
  /// [proj_down/bias] under prefix.
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// The official reset_parameters(): small init N(0, 2/(5D)) for proj_up and q/k/v, Wang init
  /// N(0, 2/(num_blocks·√D)) for proj_down, biases 0, learnable_skip 1, outnorm 0, gate weights 0,
  /// fgate bias linspace(3, 6) over heads, igate bias N(0, 0.1²), conv: PyTorch default.
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  /// x (B,S,D) → y (B,S,D) from a null cell state (m0 = −∞) and a zero conv history.
  Tensor<T> forward(const Tensor<T>& x) override;
  /// dy (B,S,D) → dx; accumulates every parameter gradient. Uses the last forward()'s input.
  Tensor<T> backward(const Tensor<T>& dy) override;

  /// {"C", "n", "m" (= config.step_m0), "conv"} for B sequences.
  NamedTensors<T> initial_state(Index batch) const override;
  /// x_t (B,D) → y_t (B,D); state updated in place (official mLSTMLayer.step).
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;

  nn::Linear<T> proj_up, proj_down;
  nn::HeadwiseLinear<T> q_proj, k_proj, v_proj;
  nn::CausalConv1d<T> conv1d;
  nn::Linear<T> igate, fgate;  ///< mlstm_cell.igate / fgate: (NH, 3P) + bias
  nn::MultiHeadLayerNorm<T> outnorm;
  nn::Param<T> learnable_skip;  ///< (P)

 private:
  struct Cache {
    Tensor<T> x, xm, z, a, q, k, v, g;  // (B,S,·) activations
    Tensor<T> qh, kh, vh, ih, fh;       // cell inputs (B,NH,S,DH), (B,NH,S)
    Tensor<T> ht;                       // cell output as (B,S,NH,DH)
    Tensor<T> hs;                       // ĥ + skip ⊙ a
    Tensor<T> hg;                       // hs ⊙ silu(z)
  };
  MlstmLayerConfig cfg_;
  Index P_ = 0, NH_ = 0, DH_ = 0;
  Cache c_;
  bool have_cache_ = false;
};

}  // namespace xssm::seq
