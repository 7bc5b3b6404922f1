// Optimizers over a model's ParamList.
//   AdamW (Loshchilov & Hutter; PyTorch semantics):
//     θ ← θ·(1 − η·λ)                      decoupled weight decay (only where Param::decay)
//     m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²
//     θ ← θ − η · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
//   SGD: θ ← θ − η (g + λθ) — the optimizer of LOMO (Lv et al. 2023). LOMO fuses it into the
//   backward pass per block; here it is applied once the whole gradient is complete (not fused).
// The optimizer state (m, v, step) is saved in checkpoints under /optimizer/<param name>/{m,v}.
#pragma once
#include <map>
#include <string>

#include "xssm/nn/param.hpp"

namespace xssm::train {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.1;
};

class AdamW {
 public:
  AdamW(nn::ParamList<float>& params, AdamWConfig cfg);
  /// One update of every parameter with learning rate lr (the gradients are left untouched).
  void step(double lr);
  Index steps_taken() const { return t_; }
  void set_steps_taken(Index t) { t_ = t; }
  /// Moment tensors by parameter name (for checkpoints).
  Tensor<float>& m(const std::string& name);
  Tensor<float>& v(const std::string& name);
  const AdamWConfig& config() const { return cfg_; }

 private:
  nn::ParamList<float>& params_;
  AdamWConfig cfg_;
  Index t_ = 0;
  std::vector<Tensor<float>> m_, v_;
};

/// Plain SGD with decoupled weight decay on a subset of parameters (LOMO's optimizer; not fused into the backward).
void sgd_update(const std::vector<std::pair<std::string, nn::Param<float>*>>& params, double lr,
                double weight_decay);

/// Global L2 norm of all gradients (accumulated in double, fixed order).
double grad_norm(const nn::ParamList<float>& params);
/// Scale all gradients by s.
void scale_grads(nn::ParamList<float>& params, float s);
/// Whether every gradient is finite.
bool grads_finite(const nn::ParamList<float>& params);

}  // namespace xssm::train
