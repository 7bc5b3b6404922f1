// Causal softmax attention, CPU reference (Eigen per (batch, head) block).
#include <algorithm>
#include <cmath>
#include <limits>

#include "xssm/core/parallel.hpp"
#include "xssm/seq/attention.hpp"

namespace xssm::seq {
namespace {

template <class T>
void check_qkv(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v) {
  if (q.rank() != 4) throw Error(cat("attention: q must be (B,NH,S,DH), got ", shape_str(q.shape())));
  if (k.rank() != 4 || k.dim(0) != q.dim(0) || k.dim(1) != q.dim(1) || k.dim(3) != q.dim(3))
    throw Error(cat("attention: k has shape ", shape_str(k.shape()), ", expected (B,NH,Sk,DH) matching q ",
                    shape_str(q.shape())));
  expect_shape(v, k.shape(), "attention: v");
  if (q.dim(2) > k.dim(2))
    throw Error(cat("attention: more queries (", q.dim(2), ") than keys (", k.dim(2), ")"));
}

double resolve_scale(double scale, Index dh) { return scale > 0 ? scale : 1.0 / std::sqrt(double(dh)); }

// Query blocks: with a window W > 0 query row i (absolute key position i + off) only sees keys
// (i + off − W, i + off], so each block of queries [i0, i1) needs the key rows [k0, k1] only and
// the cost is O(S·(block + W)) instead of O(S²). W = 0: one block over all keys (unchanged maths).
struct Blocks {
  Index Sq, off, W, nq;
  Blocks(Index Sq_, Index Sk, Index W_) : Sq(Sq_), off(Sk - Sq_), W(W_ > 0 ? W_ : 0) {
    nq = W > 0 ? std::max<Index>(1, std::min<Index>(Sq, std::max<Index>(W, 32))) : std::max<Index>(1, Sq);
  }
  Index first_key(Index i) const { return W > 0 ? std::max<Index>(0, i + off - W + 1) : 0; }  // lo_t
  Index last_key(Index i) const { return i + off; }
};

}  // namespace

template <class T>
void attention_causal_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, Tensor<T>& o,
                          Tensor<T>& lse, double scale, Index window) {
  check_qkv(q, k, v);
  if (window < 0) throw Error(cat("attention: window must be >= 0, got ", window));
  const Index B = q.dim(0), NH = q.dim(1), Sq = q.dim(2), DH = q.dim(3), Sk = k.dim(2);
  const T sc = T(resolve_scale(scale, DH));
  const Blocks blk(Sq, Sk, window);
  o.resize(q.shape());
  lse.resize({B, NH, Sq});
  if (Sq == 0) return;
  parallel_for(B * NH, [&](Index bh) {
    const Index b = bh / NH, h = bh % NH;
    CMatMap<T> Q(q.ptr(b, h), Sq, DH), K(k.ptr(b, h), Sk, DH), V(v.ptr(b, h), Sk, DH);
    MatMap<T> O(o.ptr(b, h), Sq, DH);
    T* L = lse.ptr(b, h);
    for (Index i0 = 0; i0 < Sq; i0 += blk.nq) {
      const Index nq = std::min(blk.nq, Sq - i0), k0 = blk.first_key(i0), nk = blk.last_key(i0 + nq - 1) - k0 + 1;
      MatR<T> P = (Q.middleRows(i0, nq) * K.middleRows(k0, nk).transpose()) * sc;  // scores scale·q_t·k_s
      for (Index r = 0; r < nq; ++r) {
        const Index lo = blk.first_key(i0 + r) - k0, hi = blk.last_key(i0 + r) - k0;  // visible keys lo..hi
        const T m = P.row(r).segment(lo, hi - lo + 1).maxCoeff();
        T sum = 0;
        for (Index s = 0; s < lo; ++s) P(r, s) = 0;
        for (Index s = lo; s <= hi; ++s) sum += (P(r, s) = std::exp(P(r, s) - m));
        for (Index s = hi + 1; s < nk; ++s) P(r, s) = 0;
        P.row(r) /= sum;
        L[i0 + r] = m + std::log(sum);  // lse_t = log Σ_{lo_t≤s≤t} exp(scale q_t·k_s)
      }
      O.middleRows(i0, nq).noalias() = P * V.middleRows(k0, nk);
    }
  });
}

template <class T>
void attention_causal_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& o,
                          const Tensor<T>& lse, const Tensor<T>& do_, Tensor<T>& dq, Tensor<T>& dk,
                          Tensor<T>& dv, double scale, Index window) {
  check_qkv(q, k, v);
  if (window < 0) throw Error(cat("attention bwd: window must be >= 0, got ", window));
  expect_shape(o, q.shape(), "attention bwd: o");
  expect_shape(do_, q.shape(), "attention bwd: do");
  const Index B = q.dim(0), NH = q.dim(1), Sq = q.dim(2), DH = q.dim(3), Sk = k.dim(2);
  expect_shape(lse, {B, NH, Sq}, "attention bwd: lse");
  const T sc = T(resolve_scale(scale, DH));
  const Blocks blk(Sq, Sk, window);
  dq.resize(q.shape());
  dk.resize(k.shape());
  dv.resize(v.shape());
  dk.zero();
  dv.zero();
  if (Sq == 0) return;
  parallel_for(B * NH, [&](Index bh) {
    const Index b = bh / NH, h = bh % NH;
    CMatMap<T> Q(q.ptr(b, h), Sq, DH), K(k.ptr(b, h), Sk, DH), V(v.ptr(b, h), Sk, DH);
    CMatMap<T> O(o.ptr(b, h), Sq, DH), dO(do_.ptr(b, h), Sq, DH);
    MatMap<T> dQ(dq.ptr(b, h), Sq, DH), dK(dk.ptr(b, h), Sk, DH), dV(dv.ptr(b, h), Sk, DH);
    const T* L = lse.ptr(b, h);
    for (Index i0 = 0; i0 < Sq; i0 += blk.nq) {
      const Index nq = std::min(blk.nq, Sq - i0), k0 = blk.first_key(i0), nk = blk.last_key(i0 + nq - 1) - k0 + 1;
      const auto Kb = K.middleRows(k0, nk);
      const auto Qb = Q.middleRows(i0, nq);
      const auto dOb = dO.middleRows(i0, nq);
      // Rebuild P_ts = exp(scale q_t·k_s − lse_t) on the visible band lo_t ≤ s ≤ t.
      MatR<T> P = (Qb * Kb.transpose()) * sc;
      for (Index r = 0; r < nq; ++r) {
        const Index lo = blk.first_key(i0 + r) - k0, hi = blk.last_key(i0 + r) - k0;
        for (Index s = 0; s < nk; ++s) P(r, s) = (s >= lo && s <= hi) ? std::exp(P(r, s) - L[i0 + r]) : T(0);
      }
      dV.middleRows(k0, nk).noalias() += P.transpose() * dOb;  // dV = Pᵀ dO
      // dS_ts = P_ts (dP_ts − Σ_s' P_ts' dP_ts'), dP = dO Vᵀ, and Σ_s' P dP = o_t·do_t.
      MatR<T> dS = dOb * V.middleRows(k0, nk).transpose();
      for (Index r = 0; r < nq; ++r) {
        const T Di = O.row(i0 + r).dot(dO.row(i0 + r));
        dS.row(r) = (P.row(r).array() * (dS.row(r).array() - Di)).matrix();
      }
      dQ.middleRows(i0, nq).noalias() = (dS * Kb) * sc;
      dK.middleRows(k0, nk).noalias() += (dS.transpose() * Qb) * sc;
    }
  });
}

template <class T>
Tensor<T> attention_step(const Tensor<T>& q_t, const Tensor<T>& k_t, const Tensor<T>& v_t, Tensor<T>& k_cache,
                         Tensor<T>& v_cache, double scale, Index window) {
  if (window < 0) throw Error(cat("attention_step: window must be >= 0, got ", window));
  if (q_t.rank() != 3) throw Error(cat("attention_step: q_t must be (B,NH,DH), got ", shape_str(q_t.shape())));
  const Index B = q_t.dim(0), NH = q_t.dim(1), DH = q_t.dim(2);
  expect_shape(k_t, q_t.shape(), "attention_step: k_t");
  expect_shape(v_t, q_t.shape(), "attention_step: v_t");
  if (k_cache.rank() != 4 || k_cache.dim(0) != B || k_cache.dim(1) != NH || k_cache.dim(3) != DH)
    throw Error(cat("attention_step: k cache has shape ", shape_str(k_cache.shape()), ", expected (", B, ",", NH,
                    ",t,", DH, ")"));
  expect_shape(v_cache, k_cache.shape(), "attention_step: v cache");
  const Index t = k_cache.dim(2);
  // With a window W > 0 only the last W−1 cached rows are kept before appending, so the cache
  // holds the W keys the new query may see and never grows beyond W.
  const Index drop = window > 0 ? std::max<Index>(0, t + 1 - window) : 0, keep = t - drop;
  auto append = [&](Tensor<T>& cache, const Tensor<T>& x) {
    Tensor<T> grown({B, NH, keep + 1, DH});
    for (Index b = 0; b < B; ++b)
      for (Index h = 0; h < NH; ++h) {
        std::copy(cache.ptr(b, h) + drop * DH, cache.ptr(b, h) + t * DH, grown.ptr(b, h));
        std::copy(x.ptr(b, h), x.ptr(b, h) + DH, grown.ptr(b, h, keep));
      }
    cache = std::move(grown);
  };
  append(k_cache, k_t);
  append(v_cache, v_t);
  Tensor<T> o, lse;
  attention_causal_fwd(q_t.reshaped({B, NH, 1, DH}), k_cache, v_cache, o, lse, scale);
  return std::move(o).reshaped({B, NH, DH});
}

template <class T>
Tensor<T> split_heads(const Tensor<T>& x, Index num_heads) {
  if (x.rank() != 3 || num_heads <= 0 || x.dim(2) % num_heads != 0)
    throw Error(cat("split_heads: expected (B,S,NH·DH) with NH=", num_heads, ", got ", shape_str(x.shape())));
  const Index B = x.dim(0), S = x.dim(1), DH = x.dim(2) / num_heads;
  Tensor<T> y({B, num_heads, S, DH});
  for (Index b = 0; b < B; ++b)
    for (Index s = 0; s < S; ++s)
      for (Index h = 0; h < num_heads; ++h) std::copy(x.ptr(b, s) + h * DH, x.ptr(b, s) + (h + 1) * DH, y.ptr(b, h, s));
  return y;
}

template <class T>
Tensor<T> merge_heads(const Tensor<T>& x) {
  if (x.rank() != 4) throw Error(cat("merge_heads: expected (B,NH,S,DH), got ", shape_str(x.shape())));
  const Index B = x.dim(0), NH = x.dim(1), S = x.dim(2), DH = x.dim(3);
  Tensor<T> y({B, S, NH * DH});
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < NH; ++h)
      for (Index s = 0; s < S; ++s) std::copy(x.ptr(b, h, s), x.ptr(b, h, s) + DH, y.ptr(b, s) + h * DH);
  return y;
}

#define XSSM_INST(T)                                                                                      \
  template void attention_causal_fwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&,   \
                                     Tensor<T>&, double, Index);                                          \
  template void attention_causal_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                     const Tensor<T>&, const Tensor<T>&, Tensor<T>&, Tensor<T>&, Tensor<T>&, \
                                     double, Index);                                                             \
  template Tensor<T> attention_step(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&,    \
                                    Tensor<T>&, double, Index);                                           \
  template Tensor<T> split_heads(const Tensor<T>&, Index);                                                \
  template Tensor<T> merge_heads(const Tensor<T>&);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
