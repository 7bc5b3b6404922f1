// One residual block of a stack: pre-norm, sequence mixer, residual; then, for the kinds that
// have one, a pre-norm feed-forward with its own residual:
//   x₁ = x + mixer(norm(x))            (xLSTM's xlstm_norm; Mamba's Add → Norm → Mixer is the same)
//   y  = x₁ + ffn(ffn_norm(x₁))        (sLSTM blocks: gated GELU FFN; Transformer: SwiGLU)
// Sub-module names follow each family's official state_dict so checkpoints convert by renaming:
//   xLSTM:  xlstm_norm, xlstm, ffn_norm, ffn        Mamba/Mamba-2/S4D/LSTM: norm, mixer
//   Transformer (Llama): attention_norm, attention, ffn_norm, feed_forward
#pragma once
#include <memory>
#include <string>

#include "xssm/core/named_tensors.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/model/config.hpp"
#include "xssm/nn/param.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::model {

/// Which normalisation a block (and the model's final norm) uses.
enum class NormKind {
  LayerNormOffset,  // xLSTM: (x − μ)/σ · (1 + w), no bias, eps 1e-5
  RmsNorm,          // Mamba, Llama: x / rms(x) · w, eps 1e-5
};
enum class FfnKind { None, GatedGelu, SwiGlu };

/// The layout of one block: its norms, feed-forward and the official sub-module names.
struct BlockLayout {
  NormKind norm = NormKind::LayerNormOffset;
  FfnKind ffn = FfnKind::None;
  Index ffn_hidden = 0;
  std::string norm_name = "xlstm_norm", mixer_name = "xlstm";
  std::string ffn_norm_name = "ffn_norm", ffn_name = "ffn";
};

template <class T>
class Block {
 public:
  Block(BlockKind kind, BlockLayout layout, std::unique_ptr<seq::Mixer<T>> mixer);
  ~Block();
  Block(Block&&) noexcept;

  BlockKind kind() const { return kind_; }
  const BlockLayout& layout() const { return layout_; }
  seq::Mixer<T>& mixer() { return *mixer_; }
  Index dim() const { return mixer_->dim(); }

  void collect(const std::string& prefix, nn::ParamList<T>& out);
  void init(Rng& rng, Index num_blocks, Index block_index);

  /// x (B,S,D) → y (B,S,D); keeps what backward needs.
  Tensor<T> forward(const Tensor<T>& x);
  /// dy (B,S,D) → dx (B,S,D); accumulates parameter gradients.
  Tensor<T> backward(const Tensor<T>& dy);

  NamedTensors<T> initial_state(Index batch) const { return mixer_->initial_state(batch); }
  /// x_t (B,D) → y_t (B,D), updating the mixer's state in place.
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state);

 private:
  struct Impl;
  BlockKind kind_;
  BlockLayout layout_;
  std::unique_ptr<seq::Mixer<T>> mixer_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xssm::model
