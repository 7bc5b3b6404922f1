// Causal softmax attention, CPU reference (Eigen per (batch, head) block).
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

}  // namespace

template <class T>
void attention_causal_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, Tensor<T>& o,
                          Tensor<T>& lse, double scale) {
  check_qkv(q, k, v);
  const Index B = q.dim(0), NH = q.dim(1), Sq = q.dim(2), DH = q.dim(3), Sk = k.dim(2), off = Sk - Sq;
  const T sc = T(resolve_scale(scale, DH));
  o.resize(q.shape());
  lse.resize({B, NH, Sq});
  parallel_for(B * NH, [&](Index bh) {
    const Index b = bh / NH, h = bh % NH;
    CMatMap<T> Q(q.ptr(b, h), Sq, DH), K(k.ptr(b, h), Sk, DH), V(v.ptr(b, h), Sk, DH);
    MatMap<T> O(o.ptr(b, h), Sq, DH);
    T* L = lse.ptr(b, h);
    MatR<T> P = (Q * K.transpose()) * sc;  // scores scale·q_t·k_s
    for (Index i = 0; i < Sq; ++i) {
      const Index last = i + off;  // keys 0..last are visible
      const T m = P.row(i).head(last + 1).maxCoeff();
      T sum = 0;
      for (Index s = 0; s <= last; ++s) sum += (P(i, s) = std::exp(P(i, s) - m));
      for (Index s = last + 1; s < Sk; ++s) P(i, s) = 0;
      P.row(i) /= sum;
      L[i] = m + std::log(sum);  // lse_t = log Σ_{s≤t} exp(scale q_t·k_s)
    }
    O.noalias() = P * V;
  });
}

template <class T>
void attention_causal_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& o,
                          const Tensor<T>& lse, const Tensor<T>& do_, Tensor<T>& dq, Tensor<T>& dk,
                          Tensor<T>& dv, double scale) {
  check_qkv(q, k, v);
  expect_shape(o, q.shape(), "attention bwd: o");
  expect_shape(do_, q.shape(), "attention bwd: do");
  const Index B = q.dim(0), NH = q.dim(1), Sq = q.dim(2), DH = q.dim(3), Sk = k.dim(2), off = Sk - Sq;
  expect_shape(lse, {B, NH, Sq}, "attention bwd: lse");
  const T sc = T(resolve_scale(scale, DH));
  dq.resize(q.shape());
  dk.resize(k.shape());
  dv.resize(v.shape());
  parallel_for(B * NH, [&](Index bh) {
    const Index b = bh / NH, h = bh % NH;
    CMatMap<T> Q(q.ptr(b, h), Sq, DH), K(k.ptr(b, h), Sk, DH), V(v.ptr(b, h), Sk, DH);
    CMatMap<T> O(o.ptr(b, h), Sq, DH), dO(do_.ptr(b, h), Sq, DH);
    const T* L = lse.ptr(b, h);
    // Rebuild P_ts = exp(scale q_t·k_s − lse_t) on the causal triangle.
    MatR<T> P = (Q * K.transpose()) * sc;
    for (Index i = 0; i < Sq; ++i)
      for (Index s = 0; s < Sk; ++s) P(i, s) = s <= i + off ? std::exp(P(i, s) - L[i]) : T(0);
    MatMap<T>(dv.ptr(b, h), Sk, DH).noalias() = P.transpose() * dO;  // dV = Pᵀ dO
    // dS_ts = P_ts (dP_ts − Σ_s' P_ts' dP_ts'), dP = dO Vᵀ, and Σ_s' P dP = o_t·do_t.
    MatR<T> dS = dO * V.transpose();
    for (Index i = 0; i < Sq; ++i) {
      const T Di = O.row(i).dot(dO.row(i));
      dS.row(i) = (P.row(i).array() * (dS.row(i).array() - Di)).matrix();
    }
    MatMap<T>(dq.ptr(b, h), Sq, DH).noalias() = (dS * K) * sc;
    MatMap<T>(dk.ptr(b, h), Sk, DH).noalias() = (dS.transpose() * Q) * sc;
  });
}

template <class T>
Tensor<T> attention_step(const Tensor<T>& q_t, const Tensor<T>& k_t, const Tensor<T>& v_t, Tensor<T>& k_cache,
                         Tensor<T>& v_cache, double scale) {
  if (q_t.rank() != 3) throw Error(cat("attention_step: q_t must be (B,NH,DH), got ", shape_str(q_t.shape())));
  const Index B = q_t.dim(0), NH = q_t.dim(1), DH = q_t.dim(2);
  expect_shape(k_t, q_t.shape(), "attention_step: k_t");
  expect_shape(v_t, q_t.shape(), "attention_step: v_t");
  if (k_cache.rank() != 4 || k_cache.dim(0) != B || k_cache.dim(1) != NH || k_cache.dim(3) != DH)
    throw Error(cat("attention_step: k cache has shape ", shape_str(k_cache.shape()), ", expected (", B, ",", NH,
                    ",t,", DH, ")"));
  expect_shape(v_cache, k_cache.shape(), "attention_step: v cache");
  const Index t = k_cache.dim(2);
  auto append = [&](Tensor<T>& cache, const Tensor<T>& x) {
    Tensor<T> grown({B, NH, t + 1, DH});
    for (Index b = 0; b < B; ++b)
      for (Index h = 0; h < NH; ++h) {
        std::copy(cache.ptr(b, h), cache.ptr(b, h) + t * DH, grown.ptr(b, h));
        std::copy(x.ptr(b, h), x.ptr(b, h) + DH, grown.ptr(b, h, t));
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
                                     Tensor<T>&, double);                                                 \
  template void attention_causal_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                     const Tensor<T>&, const Tensor<T>&, Tensor<T>&, Tensor<T>&, Tensor<T>&, \
                                     double);                                                             \
  template Tensor<T> attention_step(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Tensor<T>&,    \
                                    Tensor<T>&, double);                                                  \
  template Tensor<T> split_heads(const Tensor<T>&, Index);                                                \
  template Tensor<T> merge_heads(const Tensor<T>&);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
