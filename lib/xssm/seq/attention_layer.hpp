// Llama-style causal multi-head self-attention as a sequence mixer (kind "attention"), the
// Transformer baseline's token mixer: q, k, v projections without bias, RoPE on q and k
// (optional), causal softmax attention per head (scale 1/√DH), output projection. Optional sliding
// window W > 0: each query sees only the last W tokens (itself included; Transformer-XL-like fixed
// working window), and the step/forward_from KV cache keeps only those W rows.
// The Transformer block (pre-RMSNorm, residuals, SwiGLU) lives in model/. docs/maths/attention.md.
#pragma once
#include <string>

#include "xssm/nn/linear.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::seq {

template <class T>
class Attention : public Mixer<T> {
 public:
  /// dim D = num_heads · DH; DH must be even when rope is on. window W ≥ 0 (0 = unlimited).
  Attention(Index dim, Index num_heads, bool rope = true, double rope_base = 10000.0, Index window = 0);

  std::string kind() const override { return "attention"; }
  Index dim() const override { return dim_; }
  Index num_heads() const { return nh_; }
  Index head_dim() const { return dim_ / nh_; }
  bool rope() const { return rope_; }
  double rope_base() const { return rope_base_; }
  Index window() const { return window_; }

  /// q_proj/weight, k_proj/weight, v_proj/weight (NH·DH, D), o_proj/weight (D, NH·DH) (HF Llama names).
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// All weights N(0, 0.02²) (HF Llama initializer_range); o_proj additionally scaled by
  /// 1/√(2·num_blocks) (GPT-2 / zoology rescale of residual-branch outputs).
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  /// From an empty cache (= forward_from(x, initial_state(B))).
  Tensor<T> forward(const Tensor<T>& x) override;
  /// Continue from a KV cache (B,NH,t0,DH): the chunk x (B,S,D) sits at positions t0 … t0+S−1, attends
  /// to the cache and causally to itself; the cache grows to t0+S. forward_from(x[0:s]) then
  /// forward_from(x[s:S]) = forward(x). backward() then treats the incoming cache as constant.
  Tensor<T> forward_from(const Tensor<T>& x, NamedTensors<T>& state);
  Tensor<T> backward(const Tensor<T>& dy) override;

  /// KV cache "k", "v": (B, NH, 0, DH), growing by one along axis 2 per step (keys after RoPE).
  /// With a window W > 0 the cache stops growing at W rows, and "pos" (B) holds the absolute
  /// position of the next token (the RoPE offset, no longer the cache length; same for every b).
  NamedTensors<T> initial_state(Index batch) const override;
  /// x_t (B,D) → y_t (B,D); the position of x_t is the cache length t.
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;
  bool constant_state() const override { return false; }

  nn::Linear<T> q_proj, k_proj, v_proj, o_proj;

 private:
  Index dim_, nh_;
  bool rope_;
  double rope_base_;
  Index window_;
  // Kept by forward for backward: input, heads (after RoPE; k_, v_ include the incoming cache of
  // length c0_ at absolute positions t0_ − c0_ … t0_ − 1), attention output and log-sum-exp.
  Tensor<T> x_, q_, k_, v_, oh_, o_, lse_;
  Index t0_ = 0;
  // Absolute position of the next token for a state (cache length when W = 0, else "pos").
  Index position(const NamedTensors<T>& state, Index cache_len) const;
};

}  // namespace xssm::seq
