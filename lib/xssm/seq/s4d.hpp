// The S4D layer (official: state-spaces/s4 models/s4/s4d.py S4D, dropout 0). Maths in
// docs/maths/s4d.md. Our layout is always channels-last u (B,L,H) → y (B,L,H); `transposed`
// only records the official layout ((B,H,L) when true) for converters and fixtures.
//   K = S4DKernel(L)  (H,L);  v[b,t,h] = Σ_{s ≤ t} K[h,t−s]·u[b,s,h] + D[h]·u[b,t,h]
//   g = gelu(v);  o = W g + b  (W = output_linear.0.weight[:,:,0], (2H,H));  y = o[:H] ⊙ σ(o[H:])
// The convolution is seq::long_conv (long_conv.hpp): direct O(L²) per channel for short L, a
// zero-padded FFT (O(L log L), as the official code) from long_conv_fft_threshold() on. step()
// runs the diagonal recurrence discretised with the same ZOH as the kernel, so step repeated =
// forward.
#pragma once
#include <string>

#include "xssm/core/json.hpp"
#include "xssm/seq/long_conv.hpp"
#include "xssm/seq/mixer.hpp"
#include "xssm/seq/s4d_kernel.hpp"

namespace xssm::seq {

/// Official argument names of S4D(...).
struct S4dConfig {
  Index d_model = 0;
  Index d_state = 64;  ///< N: N/2 complex modes
  double dt_min = 0.001, dt_max = 0.1;
  bool transposed = true;  ///< official layout flag only (see above)
  static S4dConfig from_json(const json::Value& v);
  void validate() const;
};

template <class T>
class S4d : public Mixer<T> {
 public:
  explicit S4d(const S4dConfig& cfg);
  const S4dConfig& config() const { return cfg_; }

  std::string kind() const override { return "s4d"; }
  Index dim() const override { return cfg_.d_model; }
  /// D (H), kernel/log_dt, kernel/C, kernel/log_A_real, kernel/A_imag,
  /// output_linear/0/weight (2H,H,1), output_linear/0/bias (2H).
  void collect(const std::string& prefix, nn::ParamList<T>& out) override;
  /// Official init: D ~ N(0,1); kernel as S4DKernel::init; output conv PyTorch default U(±1/√H).
  void init(Rng& rng, Index num_blocks, Index block_index) override;

  Tensor<T> forward(const Tensor<T>& u) override;
  /// forward() from `state` ("ssm" as initial_state()/step()), leaving in it the state after the
  /// last step (prefill; state passing). backward() works after it too, including the parameter
  /// gradients through the decay of the incoming state (but none w.r.t. the state itself).
  Tensor<T> forward(const Tensor<T>& u, NamedTensors<T>& state);
  Tensor<T> backward(const Tensor<T>& dy) override;

  /// {"ssm": (B,H,N/2,2)} the complex modes c·x (real, imaginary), zero at the start.
  NamedTensors<T> initial_state(Index batch) const override;
  Tensor<T> step(const Tensor<T>& u_t, NamedTensors<T>& state) override;

  S4DKernel<T> kernel;
  nn::Param<T> D;         // (H)
  nn::Param<T> W, b;      // output_linear.0: (2H,H,1), (2H)

 private:
  // v (…,H) → y (…,H) through gelu, the 1×1 conv and the GLU; keeps g and o when asked.
  Tensor<T> head(const Tensor<T>& v, Tensor<T>* g_out, Tensor<T>* o_out) const;
  Tensor<T> forward_impl(const Tensor<T>& u, NamedTensors<T>* state);
  S4dConfig cfg_;
  bool stateful_ = false;
  Tensor<T> x0_;  // incoming state (B,H,N/2,2) when stateful_
  Tensor<T> u_, K_, v_, g_, o_;
  LongConvSpectra<T> spectra_;  // rfft(u_) from the FFT path of forward, reused by backward
};

}  // namespace xssm::seq
