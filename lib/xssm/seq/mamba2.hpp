// The Mamba-2 block (official: mamba_ssm.modules.mamba2.Mamba2, use_mem_eff_path=False).
// Maths in docs/maths/mamba2.md. x (B,L,Dm) → y (B,L,Dm), E = expand·Dm, H = E/headdim:
//   [z | xBC | dt] = in_proj(x)                 (sizes E, E + 2GN, H — the gate comes first)
//   [x | B | C] = silu(conv1d(xBC))             (B and C are convolved too; B, C read as (G,N))
//   Δ = softplus(dt + dt_bias);  a_h = −exp(A_log[h])
//   Y = SSD(X = x·Δ, A = a·Δ, B, C) chunked;    ŷ = Y + D·x
//   v = RMSNormGated(ŷ, z) (norm after the gate, groups of E/G) [or ŷ·silu(z) without rmsnorm]
//   y = out_proj(v)
#pragma once
#include <string>

#include "xssm/core/json.hpp"
#include "xssm/nn/causal_conv1d.hpp"
#include "xssm/nn/linear.hpp"
#include "xssm/nn/rms_norm.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::seq {

/// Official argument names of Mamba2(...).
struct Mamba2Config {
  Index d_model = 0;
  Index d_state = 128;
  Index d_conv = 4;
  Index expand = 2;
  Index headdim = 64;
  Index ngroups = 1;
  bool D_has_hdim = false;
  bool rmsnorm = true;
  bool norm_before_gate = false;  ///< only false is supported (the module's setting)
  Index chunk_size = 256;
  double dt_min = 0.001, dt_max = 0.1, dt_init_floor = 1e-4;
  double A_init_range_lo = 1, A_init_range_hi = 16;
  bool conv_bias = true;
  bool bias = false;
  double norm_eps = 1e-5;

  Index d_inner() const { return expand * d_model; }
  Index nheads() const { return d_inner() / headdim; }
  Index conv_dim() const { return d_inner() + 2 * ngroups * d_state; }
  Index d_in_proj() const { return 2 * d_inner() + 2 * ngroups * d_state + nheads(); }
  /// Reads the official keys (A_init_range as a pair; dt_limit must be (0, inf)).
  static Mamba2Config from_json(const json::Value& v);
  void validate() const;
};

template <class T>
class Mamba2 : public Mixer<T> {
 public:
  explicit Mamba2(const Mamba2Config& cfg);
  const Mamba2Config& config() const { return cfg_; }

  std::string kind() const override { return "mamba2"; }
  Index dim() const override { return cfg_.d_model; }
  /// in_proj/weight (2E+2GN+H, Dm) [+bias], conv1d/weight (E+2GN,1,W), conv1d/bias, dt_bias (H),
  /// A_log (H), D (H or E), norm/weight (E) when rmsnorm, out_proj/weight (Dm,E) [+bias].
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// Official init: PyTorch defaults for in_proj, conv1d, out_proj; dt_bias = softplus⁻¹(Δ₀);
  /// A_log = log U(A_init_range); D = 1; norm weight 1.
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  Tensor<T> forward(const Tensor<T>& x) override;
  /// forward() from `state` ("conv", "ssm" as initial_state()/step()), leaving in it the state
  /// after the last token (prefill; state passing). backward() works after it too (no gradient
  /// w.r.t. the incoming state).
  Tensor<T> forward(const Tensor<T>& x, NamedTensors<T>& state);
  Tensor<T> backward(const Tensor<T>& dy) override;

  /// {"conv": (B, E+2GN, W) last W pre-convolution xBC inputs, oldest first; "ssm": (B,H,P,N)}.
  NamedTensors<T> initial_state(Index batch) const override;
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;

  nn::Linear<T> in_proj, out_proj;
  nn::CausalConv1d<T> conv1d;
  nn::GatedRmsNorm<T> norm;
  nn::Param<T> dt_bias;  // (H)
  nn::Param<T> A_log;    // (H)
  nn::Param<T> D;        // (H) or (E)

 private:
  Tensor<T> forward_impl(const Tensor<T>& x, NamedTensors<T>* state);
  Mamba2Config cfg_;
  bool stateful_ = false;
  Tensor<T> conv0_, ssm0_;  // incoming conv carry (B,E+2GN,W−1) and SSD state (B,H,P,N)
  // forward cache
  Tensor<T> x_, z_, xbc_, xbcc_, dt_, delta_, xs_, X_, Aseq_, Bm_, Cm_, yhat_, v_;
  // ŷ = Y + D·x for a (…, E) tensor pair
  void add_skip(Tensor<T>& y, const Tensor<T>& xs) const;
};

}  // namespace xssm::seq
