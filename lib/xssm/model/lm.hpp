// The language model every tool trains, evaluates and probes:
//   tokens (B,S) → embedding (or a linear map of real-valued inputs (B,S,F))
//   → residual blocks (model/block.hpp) → post-blocks norm → head → logits (B,S,V).
// Parameter names: "token_embedding/weight" (or "input_proj/weight"), "blocks/<i>/...",
// "post_blocks_norm/weight", "lm_head/weight" (absent when the head is tied to the embedding).
// Step mode keeps one NamedTensors per block; probe/ reads them as "blocks/<i>/<name>".
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "xssm/core/named_tensors.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/model/config.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::model {

template <class T>
class Block;

/// Recurrent state of the whole model: one list of named tensors per block.
template <class T>
struct ModelState {
  std::vector<NamedTensors<T>> blocks;
  Index numel() const {
    Index n = 0;
    for (auto& b : blocks) n += b.numel();
    return n;
  }
};

template <class T>
class LanguageModel {
 public:
  /// `cfg` must have vocab_size (or input_dim) set; resolve() is called here.
  explicit LanguageModel(ModelConfig cfg);
  ~LanguageModel();
  LanguageModel(LanguageModel&&) noexcept;

  const ModelConfig& config() const { return cfg_; }
  Index vocab_size() const { return cfg_.vocab_size; }
  Index num_blocks() const;
  Block<T>& block(Index i);

  /// Every parameter, in a fixed order, under its checkpoint name.
  nn::ParamList<T>& params() { return params_; }
  /// The official initialisation of every part (seeded).
  void init(Rng& rng);

  /// Token ids (B,S) → logits (B,S,V); keeps what backward() needs.
  Tensor<T> forward(const Tensor<std::int32_t>& ids);
  /// Real-valued inputs (B,S,input_dim) → logits (B,S,V) (config().input_dim > 0).
  Tensor<T> forward_real(const Tensor<T>& x);
  /// dlogits (B,S,V) → parameter gradients (accumulated into Param::grad).
  void backward(const Tensor<T>& dlogits);

  ModelState<T> initial_state(Index batch) const;
  /// One step for tokens (B) (or real inputs (B,F) with step_real): logits (B,V). When
  /// `block_outputs` is given it receives each block's output (B,D) for probes.
  Tensor<T> step(const Tensor<std::int32_t>& ids_t, ModelState<T>& state,
                 std::vector<Tensor<T>>* block_outputs = nullptr);
  Tensor<T> step_real(const Tensor<T>& x_t, ModelState<T>& state,
                      std::vector<Tensor<T>>* block_outputs = nullptr);
  /// Whether step memory stays constant with the sequence length (false for attention).
  bool constant_state() const;

 private:
  struct Impl;
  ModelConfig cfg_;
  nn::ParamList<T> params_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xssm::model
