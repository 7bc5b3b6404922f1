// Llama-style causal self-attention mixer (see attention_layer.hpp).
#include "xssm/seq/attention_layer.hpp"

#include <cmath>

#include "xssm/seq/attention.hpp"
#include "xssm/seq/rope.hpp"

namespace xssm::seq {

template <class T>
Attention<T>::Attention(Index dim, Index num_heads, bool rope, double rope_base, Index window)
    : q_proj(dim, dim, false), k_proj(dim, dim, false), v_proj(dim, dim, false), o_proj(dim, dim, false),
      dim_(dim), nh_(num_heads), rope_(rope), rope_base_(rope_base), window_(window) {
  if (window < 0) throw UsageError(cat("attention: window must be >= 0 (0 = unlimited), got ", window));
  if (dim <= 0 || num_heads <= 0 || dim % num_heads != 0)
    throw UsageError(cat("attention: dim ", dim, " must be a positive multiple of num_heads ", num_heads));
  if (rope && (dim / num_heads) % 2 != 0)
    throw UsageError(cat("attention: RoPE needs an even head size, got ", dim / num_heads));
}

template <class T>
void Attention<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  q_proj.collect(nn::join(prefix, "q_proj"), out);
  k_proj.collect(nn::join(prefix, "k_proj"), out);
  v_proj.collect(nn::join(prefix, "v_proj"), out);
  o_proj.collect(nn::join(prefix, "o_proj"), out);
}

template <class T>
void Attention<T>::init(Rng& rng, Index num_blocks, Index /*block_index*/) {
  const double std = 0.02;
  q_proj.init_normal(rng, std);
  k_proj.init_normal(rng, std);
  v_proj.init_normal(rng, std);
  o_proj.init_normal(rng, std / std::sqrt(2.0 * double(std::max<Index>(1, num_blocks))));
}

namespace {

// Concatenate (B,NH,t0,DH) and (B,NH,S,DH) along the sequence axis.
template <class T>
Tensor<T> cat_seq(const Tensor<T>& a, const Tensor<T>& b) {
  const Index B = b.dim(0), NH = b.dim(1), t0 = a.dim(2), S = b.dim(2), DH = b.dim(3);
  Tensor<T> c({B, NH, t0 + S, DH});
  for (Index i = 0; i < B; ++i)
    for (Index h = 0; h < NH; ++h) {
      std::copy(a.ptr(i, h), a.ptr(i, h) + t0 * DH, c.ptr(i, h));
      std::copy(b.ptr(i, h), b.ptr(i, h) + S * DH, c.ptr(i, h, t0));
    }
  return c;
}

// Last S rows of (B,NH,t0+S,DH).
template <class T>
Tensor<T> tail_seq(const Tensor<T>& a, Index S) {
  const Index B = a.dim(0), NH = a.dim(1), t0 = a.dim(2) - S, DH = a.dim(3);
  Tensor<T> c({B, NH, S, DH});
  for (Index i = 0; i < B; ++i)
    for (Index h = 0; h < NH; ++h) std::copy(a.ptr(i, h, t0), a.ptr(i, h, t0) + S * DH, c.ptr(i, h));
  return c;
}

}  // namespace

template <class T>
Index Attention<T>::position(const NamedTensors<T>& state, Index cache_len) const {
  if (window_ == 0) return cache_len;
  const Tensor<T>* p = state.find("pos");
  if (!p || p->size() == 0) throw Error("attention: windowed state has no 'pos' entry");
  return Index(std::llround(double(p->data()[0])));
}

template <class T>
Tensor<T> Attention<T>::forward(const Tensor<T>& x) {
  if (x.rank() != 3 || x.dim(2) != dim_)
    throw Error(cat("attention: x has shape ", shape_str(x.shape()), ", expected (B,S,", dim_, ")"));
  NamedTensors<T> st = initial_state(x.dim(0));
  return forward_from(x, st);
}

template <class T>
Tensor<T> Attention<T>::forward_from(const Tensor<T>& x, NamedTensors<T>& state) {
  if (x.rank() != 3 || x.dim(2) != dim_)
    throw Error(cat("attention: x has shape ", shape_str(x.shape()), ", expected (B,S,", dim_, ")"));
  const Index B = x.dim(0);
  Tensor<T>& kc = state["k"];
  Tensor<T>& vc = state["v"];
  if (kc.rank() != 4 || kc.dim(0) != B || kc.dim(1) != nh_ || kc.dim(3) != head_dim())
    throw Error(cat("attention: state k has shape ", shape_str(kc.shape()), ", expected (", B, ",", nh_, ",t,",
                    head_dim(), ")"));
  expect_shape(vc, kc.shape(), "attention: state v");
  x_ = x;
  const Index S = x.dim(1), c0 = kc.dim(2);
  t0_ = position(state, c0);  // RoPE offset: the chunk sits at absolute positions t0 … t0+S−1
  q_ = split_heads(q_proj.forward(x), nh_);
  Tensor<T> k = split_heads(k_proj.forward(x), nh_);
  if (rope_) {
    q_ = rope_fwd(q_, t0_, rope_base_);
    k = rope_fwd(k, t0_, rope_base_);
  }
  k_ = cat_seq(kc, k);
  v_ = cat_seq(vc, split_heads(v_proj.forward(x), nh_));
  // Sq = S ≤ Sk = c0 + S: query i is key row c0 + i; the cache rows are the c0 ≤ W tokens before it.
  attention_causal_fwd(q_, k_, v_, oh_, lse_, 0.0, window_);
  if (window_ > 0 && c0 + S > window_) {  // keep the last W keys/values only
    kc = tail_seq(k_, window_);
    vc = tail_seq(v_, window_);
  } else {
    kc = k_;
    vc = v_;
  }
  if (window_ > 0) state["pos"].fill(T(t0_ + S));
  o_ = merge_heads(oh_);
  return o_proj.forward(o_);
}

template <class T>
Tensor<T> Attention<T>::backward(const Tensor<T>& dy) {
  if (x_.empty() && dy.size() != 0) throw Error("attention: backward called before forward");
  expect_shape(dy, x_.shape(), "attention: dy");
  const Index S = x_.dim(1);
  const Tensor<T> d_oh = split_heads(o_proj.backward(o_, dy), nh_);
  Tensor<T> dq, dk_all, dv_all;
  attention_causal_bwd(q_, k_, v_, oh_, lse_, d_oh, dq, dk_all, dv_all, 0.0, window_);
  // Gradients w.r.t. the incoming cache (the first t0 keys/values) are dropped.
  Tensor<T> dk = tail_seq(dk_all, S), dv = tail_seq(dv_all, S);
  if (rope_) {
    dq = rope_bwd(dq, t0_, rope_base_);
    dk = rope_bwd(dk, t0_, rope_base_);
  }
  Tensor<T> dx = q_proj.backward(x_, merge_heads(dq));
  dx.vec() += k_proj.backward(x_, merge_heads(dk)).vec();
  dx.vec() += v_proj.backward(x_, merge_heads(dv)).vec();
  return dx;
}

template <class T>
NamedTensors<T> Attention<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  s.set("k", Tensor<T>({batch, nh_, 0, head_dim()}));
  s.set("v", Tensor<T>({batch, nh_, 0, head_dim()}));
  if (window_ > 0) s.set("pos", Tensor<T>({batch}));
  return s;
}

template <class T>
Tensor<T> Attention<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  if (x_t.rank() != 2 || x_t.dim(1) != dim_)
    throw Error(cat("attention step: x_t has shape ", shape_str(x_t.shape()), ", expected (B,", dim_, ")"));
  const Index B = x_t.dim(0), DH = head_dim();
  Tensor<T>& kc = state["k"];
  Tensor<T>& vc = state["v"];
  if (kc.rank() != 4 || kc.dim(0) != B)
    throw Error(cat("attention step: state k has shape ", shape_str(kc.shape()), ", expected (", B, ",", nh_, ",t,", DH, ")"));
  const Index pos = position(state, kc.dim(2));
  const Tensor<T> x3 = x_t.reshaped({B, 1, dim_});
  Tensor<T> q = split_heads(q_proj.forward(x3), nh_), k = split_heads(k_proj.forward(x3), nh_),
            v = split_heads(v_proj.forward(x3), nh_);
  if (rope_) {
    q = rope_fwd(q, pos, rope_base_);
    k = rope_fwd(k, pos, rope_base_);
  }
  // With a window the cache drops its oldest row once it holds W (bounded state).
  const Tensor<T> o = attention_step(q.reshaped({B, nh_, DH}), k.reshaped({B, nh_, DH}), v.reshaped({B, nh_, DH}),
                                     kc, vc, 0.0, window_);
  if (window_ > 0) state["pos"].fill(T(pos + 1));
  return o_proj.forward(merge_heads(o.reshaped({B, nh_, 1, DH}))).reshaped({B, dim_});
}

template class Attention<float>;
template class Attention<double>;

}  // namespace xssm::seq
