#include "tool_bench_flops.hpp"

#include <algorithm>
#include <cmath>

#include "xssm/core/error.hpp"
#include "xssm/nn/gated_ffn.hpp"

namespace xssm::bench {

using model::BlockKind;
using model::ModelConfig;

namespace {

/// Llama SwiGLU hidden width (as model/registry.cpp): round_to_8(⌈2/3 · ffn_factor · D⌉).
Index swiglu_hidden(const ModelConfig& c) {
  const Index h = Index(std::ceil(2.0 / 3.0 * c.ffn_factor * double(c.d_model)));
  return (h + 7) / 8 * 8;
}

/// Per-token FLOPs of the block's feed-forward (0 for the kinds without one).
double ffn_per_token(const ModelConfig& c, BlockKind k) {
  const double D = double(c.d_model);
  if (k == BlockKind::Slstm) {
    // GatedFfn: proj_up (2P,D), proj_down (D,P):  2·D·2P + 2·P·D = 6·D·P
    const double P = double(nn::up_proj_dim(c.d_model, c.ffn_proj_factor, c.round_to));
    return 6.0 * D * P;
  }
  if (k == BlockKind::Transformer || k == BlockKind::Infty) {
    // SwiGLU: w1, w3 (H,D), w2 (D,H):  3 · 2·D·H
    return 6.0 * D * double(swiglu_hidden(c));
  }
  return 0;
}

/// Mixer forward FLOPs over B sequences of length S. `Lc` is the chunk length used by the chunked
/// forms (1 gives the recurrent/step form's count).
double mixer_flops(const ModelConfig& c, BlockKind k, double B, double S, bool step_form) {
  const double D = double(c.d_model), T = B * S;  // T tokens
  switch (k) {
    case BlockKind::Mlstm: {
      // P = up_proj_dim(D, proj_factor), NH heads of DH = P/NH, qkv block size bs, conv K,
      // chunk L_c = min(chunk, S):
      //   proj_up 2·D·2P + conv 2·P·K + q,k,v 3·2·P·bs + gates 2·2·3P·NH + proj_down 2·P·D
      //   cell (chunkwise, per token and head): scores q·kᵀ and (D⊙S)·v over the chunk 2·2·L_c·DH,
      //        inter-chunk q·C and state update kᵀ·v 2·2·DH²   → × NH = 4·L_c·P + 4·P·DH
      //   cell (recurrent step): C ← f C + i k vᵀ, C q, n·q  ≈ 2·2·DH² per head → 4·P·DH (+ n terms)
      const double P = double(nn::up_proj_dim(c.d_model, c.mlstm_proj_factor, c.round_to));
      const double NH = double(c.num_heads), DH = P / NH, bs = double(c.qkv_blocksize);
      const double K = double(c.conv_kernel), Lc = step_form ? 0.0 : double(std::min(c.chunk_size, Index(S)));
      const double proj = 4 * D * P + 2 * P * K + 6 * P * bs + 12 * P * NH + 2 * P * D;
      const double cell = 4 * Lc * P + 4 * P * DH;
      return T * (proj + cell);
    }
    case BlockKind::Slstm: {
      // NH heads of DH = D/NH, conv K: conv 2·D·K; gate projections i,f,z,o head-wise (NH,DH,DH):
      // 4·2·D·DH; recurrent kernel R (NH,4DH,DH) applied to h_{t−1}: 2·4·D·DH  → 16·D·DH + 2·D·K
      const double NH = double(c.slstm_num_heads > 0 ? c.slstm_num_heads : c.num_heads), DH = D / NH;
      return T * (16 * D * DH + 2 * D * double(c.slstm_conv_kernel));
    }
    case BlockKind::Lstm:
      // W_ih (4D,D) x_t + W_hh (4D,D) h_{t−1}: 2·2·4D·D = 16·D²
      return T * 16 * D * D;
    case BlockKind::S4d: {
      // H = D channels, N state (N/2 complex modes).
      //   kernel K (H,S) once per call: Vandermonde 8 FLOPs per (h, mode, l)  → 8·H·(N/2)·S
      //   direct causal convolution per sequence and channel Σ_t (t+1) MACs → B·H·S(S+1)
      //   output 1×1 conv (2H,H): 2·H·2H per token
      //   step form instead: per token and mode a complex multiply-add (8) + output (2) → 10·H·N/2
      const double N = double(c.d_state);
      if (step_form) return T * (5 * D * N + 4 * D * D);
      return 4 * D * N * S + B * D * S * (S + 1) + T * 4 * D * D;
    }
    case BlockKind::Mamba: {
      // E = expand·D, R = dt_rank, N = d_state, conv W:
      //   in_proj 2·D·2E + conv 2·E·W + x_proj 2·E·(R+2N) + dt_proj 2·R·E + out_proj 2·E·D
      //   selective scan per (e, n): exp(ΔA) (1), h ← ā h + Δ B u (3), y += C h (2) → 6·E·N
      const double E = double(c.expand) * D, N = double(c.d_state);
      const double R = double(c.dt_rank > 0 ? c.dt_rank : (c.d_model + 15) / 16), W = double(c.conv_kernel);
      return T * (4 * D * E + 2 * E * W + 2 * E * (R + 2 * N) + 2 * R * E + 2 * E * D + 6 * E * N);
    }
    case BlockKind::Mamba2: {
      // E = expand·D, P = headdim, H = E/P, G groups, N state, W conv, L_c = min(chunk, S):
      //   in_proj 2·D·(2E+2GN+H) + conv 2·(E+2GN)·W + out_proj 2·E·D
      //   SSD per token: C·Bᵀ in the chunk 2·L_c·N·G, (L⊙CBᵀ)·X 2·L_c·E, chunk states Bᵀ·X 2·N·E,
      //   state outputs C·h 2·N·E    (step form: h ← a h + B xᵀ, y = C h → 4·N·E)
      const double E = double(c.expand) * D, P = double(c.headdim), H = E / P, G = double(c.ngroups);
      const double N = double(c.d_state), W = double(c.conv_kernel);
      const double Lc = step_form ? 0.0 : double(std::min(c.chunk_size, Index(S)));
      const double proj = 2 * D * (2 * E + 2 * G * N + H) + 2 * (E + 2 * G * N) * W + 2 * E * D;
      return T * (proj + 2 * Lc * N * G + 2 * Lc * E + 4 * N * E);
    }
    case BlockKind::Transformer:
    case BlockKind::Infty: {
      // q,k,v,o projections 4·2·D·D per token; causal scores q·kᵀ and weights·v over the t+1 keys
      // of position t: 2·2·D·(t+1) → per sequence 2·D·S(S+1). The ∞-former's long-term memory
      // is not counted. Step mode at position t does the same work as the forward row t.
      return T * 8 * D * D + B * 2 * D * S * (S + 1);
    }
  }
  return 0;
}

}  // namespace

double forward_flops(const ModelConfig& c, BlockKind k, Scope scope, Index B, Index S) {
  double f = mixer_flops(c, k, double(B), double(S), false);
  if (scope != Scope::Mixer) f += double(B) * double(S) * ffn_per_token(c, k);
  return f;
}

double step_flops(const ModelConfig& c, BlockKind k, Scope scope, Index B, Index S) {
  double f = mixer_flops(c, k, double(B), double(S), true);
  if (scope != Scope::Mixer) f += double(B) * double(S) * ffn_per_token(c, k);
  return f;
}

double model_train_flops(const ModelConfig& c, Index B, Index S, Index num_params) {
  // 3 × (blocks + head 2·D·V per token) + AdamW ≈ 10 FLOPs per parameter.
  double fwd = double(B) * double(S) * 2.0 * double(c.d_model) * double(c.vocab_size);
  for (BlockKind k : c.block_kinds()) fwd += forward_flops(c, k, Scope::Block, B, S);
  return 3.0 * fwd + 10.0 * double(num_params);
}

std::string formula_text(BlockKind k) {
  switch (k) {
    case BlockKind::Mlstm: return "BS·(6DP + 2PK + 6P·bs + 12P·NH + 4Lc·P + 4P·DH)";
    case BlockKind::Slstm: return "BS·(16D·DH + 2DK) [+ 6DP FFN]";
    case BlockKind::Lstm: return "BS·16D²";
    case BlockKind::S4d: return "4DNS + B·D·S(S+1) + BS·4D²";
    case BlockKind::Mamba: return "BS·(6DE + 2EW + 2E(R+2N) + 2RE + 6EN)";
    case BlockKind::Mamba2: return "BS·(2D(2E+2GN+H) + 2(E+2GN)W + 2DE + 2Lc·NG + 2Lc·E + 4NE)";
    case BlockKind::Transformer:
    case BlockKind::Infty: return "BS·8D² + 2B·D·S(S+1) [+ 6DH FFN]";
  }
  return "?";
}

}  // namespace xssm::bench
