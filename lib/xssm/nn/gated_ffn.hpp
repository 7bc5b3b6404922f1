// Feed-forward blocks.
// GatedFfn: xLSTM's GatedFeedForward (sLSTM block `ffn`):
//   [gate | up] = proj_up(x)  (first P channels are the gate),  y = proj_down(act(gate) ⊙ up)
// act = gelu (exact erf form, the xLSTM default "gelu") or silu ("swish").
// SwiGlu: the Llama-style MLP, y = w2(silu(w1 x) ⊙ w3 x), no biases.
#pragma once
#include <string>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/linear.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

/// xLSTM's UpProjConfigMixin: P = ceil(factor·D / m)·m (rounded up to a multiple of m).
Index up_proj_dim(Index D, double factor, Index round_to = 64);

enum class FfnAct { Gelu, Silu };

template <class T>
struct GatedFfn {
  Linear<T> proj_up;    ///< (2P, D)
  Linear<T> proj_down;  ///< (D, P)
  FfnAct act = FfnAct::Gelu;

  GatedFfn() = default;
  GatedFfn(Index D, Index P, bool bias = false, FfnAct act = FfnAct::Gelu);
  Index dim() const { return proj_down.out(); }
  Index inner() const { return proj_down.in(); }

  /// Registers prefix/proj_up/{weight,bias}, prefix/proj_down/{weight,bias}.
  void collect(const std::string& prefix, ParamList<T>& l);
  /// (…, D) → (…, D).
  Tensor<T> forward(const Tensor<T>& x) const;
  /// Returns dx; accumulates the parameter gradients.
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);
  /// Official init: proj_up ~ small_init(D), proj_down ~ wang_init(D, num_blocks), biases 0.
  void init(Rng& rng, Index num_blocks);
};

template <class T>
struct SwiGlu {
  Linear<T> w1;  ///< gate (H, D)
  Linear<T> w2;  ///< down (D, H)
  Linear<T> w3;  ///< up (H, D)

  SwiGlu() = default;
  SwiGlu(Index D, Index hidden);
  /// Registers prefix/w1/weight, prefix/w2/weight, prefix/w3/weight.
  void collect(const std::string& prefix, ParamList<T>& l);
  Tensor<T> forward(const Tensor<T>& x) const;
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy);
  /// w1, w3 ~ N(0, std_in²), w2 ~ N(0, std_out²).
  void init_normal(Rng& rng, double std_in, double std_out);
};

}  // namespace xssm::nn
