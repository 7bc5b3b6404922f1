// The Mamba block (official: mamba_ssm.modules.mamba_simple.Mamba, use_fast_path=False).
// Maths in docs/maths/mamba.md. x (B,L,Dm) → y (B,L,Dm):
//   [x̃ | z] = in_proj(x);  u = silu(conv1d(x̃));  [δ | B | C] = x_proj(u)  (sizes R, N, N)
//   Δ = softplus(dt_proj(δ)) (its bias inside the softplus);  A = −exp(A_log)
//   ŷ = selective_scan(u, Δ, A, B, C, D) ⊙ silu(z);  y = out_proj(ŷ)
// Parameter names are the official state_dict names with '.' → '/'.
#pragma once
#include <string>

#include "xssm/core/json.hpp"
#include "xssm/nn/causal_conv1d.hpp"
#include "xssm/nn/linear.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::seq {

/// Official argument names of Mamba(...). E = expand·d_model.
struct MambaConfig {
  Index d_model = 0;
  Index d_state = 16;
  Index d_conv = 4;
  Index expand = 2;
  Index dt_rank = 0;  ///< 0 = "auto": ceil(d_model / 16)
  double dt_min = 0.001, dt_max = 0.1, dt_init_floor = 1e-4, dt_scale = 1.0;
  std::string dt_init = "random";  ///< "random" | "constant"
  bool conv_bias = true;
  bool bias = false;  ///< in_proj / out_proj biases

  Index d_inner() const { return expand * d_model; }
  Index resolved_dt_rank() const { return dt_rank > 0 ? dt_rank : (d_model + 15) / 16; }
  /// Reads the official keys (d_model, d_state, d_conv, expand, dt_rank ("auto" or n), dt_min,
  /// dt_max, dt_init_floor, dt_scale, dt_init, conv_bias, bias); absent keys keep defaults.
  static MambaConfig from_json(const json::Value& v);
  /// Throws UsageError on impossible sizes.
  void validate() const;
};

template <class T>
class Mamba : public Mixer<T> {
 public:
  explicit Mamba(const MambaConfig& cfg);
  const MambaConfig& config() const { return cfg_; }

  std::string kind() const override { return "mamba"; }
  Index dim() const override { return cfg_.d_model; }
  /// in_proj/weight (2E,Dm) [+ in_proj/bias], conv1d/weight (E,1,W), conv1d/bias (E),
  /// x_proj/weight (R+2N,E), dt_proj/weight (E,R), dt_proj/bias (E), A_log (E,N), D (E),
  /// out_proj/weight (Dm,E) [+ out_proj/bias].
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// Official init (see docs/maths/mamba.md): PyTorch defaults for in_proj, conv1d, x_proj,
  /// out_proj; dt_proj.weight U(±dt_scale/√R); dt_proj.bias = softplus⁻¹(Δ₀), Δ₀ log-uniform in
  /// [dt_min, dt_max] clamped at dt_init_floor; A_log[e,n] = log(n+1); D = 1.
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  Tensor<T> forward(const Tensor<T>& x) override;
  /// forward() from `state` (as initial_state()/step() use it), leaving in it the state after the
  /// last token: the prefill route, and state passing (forward(x[0:s]) then forward(x[s:L]) =
  /// forward(x)). backward() works after it too (no gradient w.r.t. the incoming state).
  Tensor<T> forward(const Tensor<T>& x, NamedTensors<T>& state);
  Tensor<T> backward(const Tensor<T>& dy) override;

  /// {"conv": (B,E,W) last W pre-convolution inputs x̃, oldest first; "ssm": (B,E,N) h}.
  NamedTensors<T> initial_state(Index batch) const override;
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override;

  nn::Linear<T> in_proj, x_proj, dt_proj, out_proj;
  nn::CausalConv1d<T> conv1d;
  nn::Param<T> A_log;  // (E,N)
  nn::Param<T> D;      // (E)

 private:
  Tensor<T> A_() const;  // −exp(A_log)
  Tensor<T> forward_impl(const Tensor<T>& x, NamedTensors<T>* state);
  MambaConfig cfg_;
  // forward cache
  bool stateful_ = false;
  Tensor<T> conv0_, ssm0_;  // incoming conv carry (B,E,W−1) and scan state (B,E,N) when stateful_
  Tensor<T> x_, xt_, u_, z_, dbc_, delta_in_, delta_, B_, C_, yg_;
};

}  // namespace xssm::seq
