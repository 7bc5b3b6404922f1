// A model's configuration: the spec string ("xlstm[1:1]", "mamba", …) plus sizes. It is stored as
// JSON in every checkpoint, so a checkpoint alone rebuilds its model.
//
// Spec grammar (case-insensitive):
//   xlstm[a:b]      a mLSTM blocks to b sLSTM blocks (xlstm[1:0] = mLSTM only, xlstm[0:1] = sLSTM
//                   only); num_blocks defaults to a+b; sLSTM positions as the official `slstm_at`
//                   ratio rule (block i is sLSTM when ⌊(i+1)·b/(a+b)⌋ > ⌊i·b/(a+b)⌋) unless
//                   slstm_at is given explicitly.
//   mlstm, slstm    all blocks of one kind (= xlstm[1:0], xlstm[0:1])
//   lstm            pre-LayerNorm residual blocks of a vanilla LSTM
//   s4d, mamba, mamba2
//   transformer     Llama-style: RMSNorm, causal attention with RoPE, SwiGLU feed-forward
//   infty           the Transformer with the ∞-former's continuous long-term memory
#pragma once
#include <string>
#include <vector>

#include "xssm/core/json.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::model {

/// The kind of each residual block.
enum class BlockKind { Mlstm, Slstm, Lstm, S4d, Mamba, Mamba2, Transformer, Infty };
std::string block_kind_name(BlockKind k);

struct ModelConfig {
  std::string spec = "xlstm[1:1]";
  Index vocab_size = 0;     // from the dataset when 0
  Index d_model = 64;
  Index num_blocks = 0;     // 0: from the spec (a+b for xlstm[a:b], else 2)
  Index num_heads = 4;      // mLSTM, sLSTM, attention heads
  Index slstm_num_heads = 0;  // sLSTM heads when they differ from num_heads (0: num_heads)
  bool bias = false;          // biases in the mixers' linear projections (official default: none)
  Index input_dim = 0;      // > 0: real-valued inputs (B,S,input_dim) through a linear map instead of the embedding

  // xLSTM
  double mlstm_proj_factor = 2.0;   // mLSTM up-projection
  double ffn_proj_factor = 1.3;     // sLSTM block feed-forward
  Index round_to = 64;              // round up-projections to a multiple of this (official: 64)
  Index qkv_blocksize = 4;          // mLSTM q/k/v head-wise projection block size
  Index conv_kernel = 4;            // causal conv width (mLSTM, sLSTM, Mamba, Mamba-2); 0 = none for sLSTM
  Index slstm_conv_kernel = 4;      // sLSTM conv width (xLSTM's formal-language runs use 0)
  Index chunk_size = 64;            // mLSTM chunkwise / Mamba-2 SSD chunk length
  std::vector<Index> slstm_at;      // explicit sLSTM block positions (overrides the ratio)

  // SSMs
  Index d_state = 16;               // Mamba N, S4D N, Mamba-2 N
  Index expand = 2;                 // Mamba/Mamba-2 inner width factor
  Index headdim = 16;               // Mamba-2 P
  Index ngroups = 1;                // Mamba-2 G
  Index dt_rank = 0;                // Mamba Δ bottleneck R (0: ceil(d_model/16))
  bool d_has_hdim = false;          // Mamba-2: D per channel instead of per head
  double dt_min = 0.001, dt_max = 0.1;  // Δ initialisation range (Mamba, Mamba-2, S4D)

  // Transformer / ∞-former
  double ffn_factor = 4.0;          // SwiGLU hidden = round_to_8(2/3 · ffn_factor · D)
  bool rope = true;
  Index attention_window = 0;       // attention sees the last W tokens (0 = all); Transformer and ∞-former
  Index ltm_basis = 64;             // ∞-former: number of radial basis functions
  bool ltm_sticky = true;           // ∞-former: sticky memories

  bool tie_embeddings = false;

  /// Fill num_blocks and the block list from the spec; throws UsageError on a bad spec.
  void resolve();
  /// The kind of every block (after resolve()).
  std::vector<BlockKind> block_kinds() const;
  /// Short family name for legends: "xlstm[1:1]", "mamba", …
  std::string family() const;

  json::Value to_json() const;
  static ModelConfig from_json(const json::Value& v);
};

}  // namespace xssm::model
