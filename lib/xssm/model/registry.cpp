#include "xssm/model/registry.hpp"

#include <cmath>

#include "xssm/model/sum_mixer.hpp"
#include "xssm/nn/gated_ffn.hpp"
#include "xssm/seq/attention_layer.hpp"
#include "xssm/seq/infty.hpp"
#include "xssm/seq/lstm.hpp"
#include "xssm/seq/mamba.hpp"
#include "xssm/seq/mamba2.hpp"
#include "xssm/seq/mlstm_layer.hpp"
#include "xssm/seq/s4d.hpp"
#include "xssm/seq/slstm_layer.hpp"

namespace xssm::model {

NormKind final_norm_kind(const ModelConfig& cfg) {
  for (BlockKind k : cfg.block_kinds())
    if (k == BlockKind::Mlstm || k == BlockKind::Slstm || k == BlockKind::Lstm) return NormKind::LayerNormOffset;
  return NormKind::RmsNorm;
}

namespace {

/// Llama's SwiGLU width: 2/3 · factor · D, rounded up to a multiple of 8.
Index swiglu_hidden(const ModelConfig& c) {
  const Index h = Index(std::ceil(2.0 / 3.0 * c.ffn_factor * double(c.d_model)));
  return (h + 7) / 8 * 8;
}

BlockLayout xlstm_layout() { return BlockLayout{}; }
BlockLayout ssm_layout() {
  BlockLayout l;
  l.norm = NormKind::RmsNorm;
  l.norm_name = "norm";
  l.mixer_name = "mixer";
  return l;
}
BlockLayout transformer_layout(const ModelConfig& c) {
  BlockLayout l;
  l.norm = NormKind::RmsNorm;
  l.ffn = FfnKind::SwiGlu;
  l.ffn_hidden = swiglu_hidden(c);
  l.norm_name = "attention_norm";
  l.mixer_name = "attention";
  l.ffn_norm_name = "ffn_norm";
  l.ffn_name = "feed_forward";
  return l;
}

}  // namespace

template <class T>
Block<T> make_block(const ModelConfig& c, Index index) {
  const BlockKind kind = c.block_kinds().at(size_t(index));
  const Index D = c.d_model;
  switch (kind) {
    case BlockKind::Mlstm: {
      seq::MlstmLayerConfig m;
      m.embedding_dim = D;
      m.num_heads = c.num_heads;
      m.proj_factor = c.mlstm_proj_factor;
      m.round_to = c.round_to;
      m.qkv_proj_blocksize = c.qkv_blocksize;
      m.conv1d_kernel_size = c.conv_kernel;
      m.bias = c.bias;
      m.chunk_size = c.chunk_size;
      return Block<T>(kind, xlstm_layout(), std::make_unique<seq::MlstmLayer<T>>(m));
    }
    case BlockKind::Slstm: {
      seq::SlstmLayerConfig s;
      s.embedding_dim = D;
      s.num_heads = c.slstm_num_heads > 0 ? c.slstm_num_heads : c.num_heads;
      s.conv1d_kernel_size = c.slstm_conv_kernel;
      BlockLayout l = xlstm_layout();
      l.ffn = FfnKind::GatedGelu;
      l.ffn_hidden = nn::up_proj_dim(D, c.ffn_proj_factor, c.round_to);
      return Block<T>(kind, l, std::make_unique<seq::SlstmLayer<T>>(s));
    }
    case BlockKind::Lstm: {
      BlockLayout l = xlstm_layout();
      l.norm_name = "norm";
      l.mixer_name = "mixer";
      return Block<T>(kind, l, std::make_unique<seq::Lstm<T>>(D, 1, true));
    }
    case BlockKind::S4d: {
      seq::S4dConfig s;
      s.d_model = D;
      s.d_state = c.d_state;
      s.dt_min = c.dt_min;
      s.dt_max = c.dt_max;
      return Block<T>(kind, ssm_layout(), std::make_unique<seq::S4d<T>>(s));
    }
    case BlockKind::Mamba: {
      seq::MambaConfig m;
      m.d_model = D;
      m.d_state = c.d_state;
      m.d_conv = c.conv_kernel;
      m.expand = c.expand;
      m.dt_rank = c.dt_rank;
      m.dt_min = c.dt_min;
      m.dt_max = c.dt_max;
      m.bias = c.bias;
      return Block<T>(kind, ssm_layout(), std::make_unique<seq::Mamba<T>>(m));
    }
    case BlockKind::Mamba2: {
      seq::Mamba2Config m;
      m.d_model = D;
      m.d_state = c.d_state;
      m.d_conv = c.conv_kernel;
      m.expand = c.expand;
      m.headdim = c.headdim;
      m.ngroups = c.ngroups;
      m.D_has_hdim = c.d_has_hdim;
      m.chunk_size = c.chunk_size;
      m.dt_min = c.dt_min;
      m.dt_max = c.dt_max;
      m.bias = c.bias;
      return Block<T>(kind, ssm_layout(), std::make_unique<seq::Mamba2<T>>(m));
    }
    case BlockKind::Transformer:
      return Block<T>(kind, transformer_layout(c),
                      std::make_unique<seq::Attention<T>>(D, c.num_heads, c.rope, 10000.0, c.attention_window));
    case BlockKind::Infty: {
      seq::InftyConfig ic;
      ic.num_basis = c.ltm_basis;
      ic.sticky = c.ltm_sticky;
      auto attn = std::make_unique<seq::Attention<T>>(D, c.num_heads, c.rope, 10000.0, c.attention_window);
      auto mixer = std::make_unique<SumMixer<T>>(std::move(attn),
                                                 std::make_unique<seq::InftyMemoryAttention<T>>(D, c.num_heads, ic),
                                                 "ltm");
      return Block<T>(kind, transformer_layout(c), std::move(mixer));
    }
  }
  throw Error("unknown block kind");
}

template Block<float> make_block(const ModelConfig&, Index);
template Block<double> make_block(const ModelConfig&, Index);

}  // namespace xssm::model
