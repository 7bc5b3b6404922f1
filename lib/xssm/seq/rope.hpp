// Rotary position embeddings (RoFormer, Su et al. 2021) in the Llama / GPT-NeoX "rotate-half"
// convention: channel i of a head is paired with channel i + DH/2 (not with i+1 as in the
// interleaved original). For position p and i < DH/2, with θ_i = base^(−2i/DH):
//   y[i]        = x[i] cos(pθ_i) − x[i+DH/2] sin(pθ_i)
//   y[i+DH/2]   = x[i+DH/2] cos(pθ_i) + x[i] sin(pθ_i)
// i.e. y = x ⊙ cos + rotate_half(x) ⊙ sin with rotate_half(x) = (−x₂, x₁), as in HF Llama's
// apply_rotary_pos_emb. Applied to q and k, it makes q_t·k_s depend on t − s only.
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::seq {

/// x (B,NH,S,DH), DH even; row s gets position pos_offset + s (step mode: pos_offset = t).
template <class T>
Tensor<T> rope_fwd(const Tensor<T>& x, Index pos_offset = 0, double base = 10000.0);

/// The transpose (= inverse rotation) of rope_fwd: dx from dy with the same positions.
template <class T>
Tensor<T> rope_bwd(const Tensor<T>& dy, Index pos_offset = 0, double base = 10000.0);

}  // namespace xssm::seq
