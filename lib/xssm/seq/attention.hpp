// Causal multi-head softmax attention core (no projections): the maths behind the Transformer
// baseline's mixer and torch.nn.MultiheadAttention with a causal mask. docs/maths/attention.md.
//
// Layout (B,NH,S,DH). Queries may be fewer than keys (Sq ≤ Sk): query i sits at absolute position
// i + (Sk − Sq) and sees keys s ≤ i + (Sk − Sq) — this covers the KV-cache step (Sq = 1) and
// appending a chunk to a cache.
//
// Sliding window W > 0 (Transformer-XL-style fixed working window): query i additionally sees only
// the W most recent keys, i.e. keys s with i + (Sk − Sq) − W < s ≤ i + (Sk − Sq). W = 0: unlimited.
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::seq {

/// o_t = Σ_{s≤t} softmax_s(scale · q_t·k_s) v_s, computed stably (row max subtracted).
/// q (B,NH,Sq,DH), k, v (B,NH,Sk,DH) with Sq ≤ Sk → o (B,NH,Sq,DH) and lse (B,NH,Sq), the
/// log-sum-exp of the scaled, masked scores (what the backward needs to rebuild the weights).
/// scale ≤ 0 means 1/√DH. window W > 0: o_t = Σ_{t−W<s≤t} … (cost O(S·W) instead of O(S²)).
template <class T>
void attention_causal_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, Tensor<T>& o,
                          Tensor<T>& lse, double scale = 0, Index window = 0);

/// Backward of attention_causal_fwd given its inputs, o, lse and do_ = dL/do. Overwrites dq, dk, dv.
template <class T>
void attention_causal_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& o,
                          const Tensor<T>& lse, const Tensor<T>& do_, Tensor<T>& dq, Tensor<T>& dk,
                          Tensor<T>& dv, double scale = 0, Index window = 0);

/// One decoding step with a KV cache: appends k_t, v_t (B,NH,DH) to k_cache, v_cache
/// (B,NH,t,DH) → (B,NH,t+1,DH) and returns o_t (B,NH,DH) for q_t (B,NH,DH). With window W > 0
/// the oldest rows are dropped so the cache holds min(t+1, W) rows: the keys q_t may see.
template <class T>
Tensor<T> attention_step(const Tensor<T>& q_t, const Tensor<T>& k_t, const Tensor<T>& v_t, Tensor<T>& k_cache,
                         Tensor<T>& v_cache, double scale = 0, Index window = 0);

/// (B,S,NH·DH) → (B,NH,S,DH): head h = channels h·DH … h·DH+DH−1.
template <class T>
Tensor<T> split_heads(const Tensor<T>& x, Index num_heads);
/// (B,NH,S,DH) → (B,S,NH·DH), the inverse of split_heads.
template <class T>
Tensor<T> merge_heads(const Tensor<T>& x);

}  // namespace xssm::seq
