// mLSTM layer (official mLSTMLayer): forward, backward, step, official initialisation.
// Equations in mlstm_layer.hpp; the cell maths in mlstm_{parallel,chunkwise,recurrent}.cpp.
#include "xssm/seq/mlstm_layer.hpp"

#include <cmath>

#include "xssm/core/parallel.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/nn/activations_array.hpp"

namespace xssm::seq {
namespace {

/// (R, a+b) → (R, a) and (R, b) along the last axis.
template <class T>
void split_last(const Tensor<T>& u, Index a, Tensor<T>& left, Tensor<T>& right) {
  const Index W = u.dim(-1), b = W - a, R = u.size() / W;
  Shape sl = u.shape(), sr = u.shape();
  sl.back() = a;
  sr.back() = b;
  left = Tensor<T>(sl);
  right = Tensor<T>(sr);
  for (Index r = 0; r < R; ++r) {
    std::copy_n(u.data() + r * W, a, left.data() + r * a);
    std::copy_n(u.data() + r * W + a, b, right.data() + r * b);
  }
}

/// Concatenation of equally-led tensors along the last axis.
template <class T>
Tensor<T> concat_last(std::initializer_list<const Tensor<T>*> parts) {
  const Tensor<T>& first = **parts.begin();
  const Index R = first.size() / first.dim(-1);
  Index W = 0;
  for (auto* p : parts) W += p->dim(-1);
  Shape s = first.shape();
  s.back() = W;
  Tensor<T> out(s);
  Index off = 0;
  for (auto* p : parts) {
    const Index w = p->dim(-1);
    for (Index r = 0; r < R; ++r) std::copy_n(p->data() + r * w, w, out.data() + r * W + off);
    off += w;
  }
  return out;
}

/// Swap axes 1 and 2 of (B, X, Y, inner) → (B, Y, X, inner).
template <class T>
Tensor<T> swap12(const Tensor<T>& x, Index B, Index X, Index Y, Index inner) {
  Tensor<T> y({B, Y, X, inner});
  for (Index b = 0; b < B; ++b)
    for (Index i = 0; i < X; ++i)
      for (Index j = 0; j < Y; ++j)
        std::copy_n(x.data() + ((b * X + i) * Y + j) * inner, inner, y.data() + ((b * Y + j) * X + i) * inner);
  return y;
}

}  // namespace

Index MlstmLayerConfig::inner_dim() const {
  if (inner_dim_override > 0) return inner_dim_override;
  const double raw = proj_factor * double(embedding_dim);
  const Index m = round_to > 0 ? round_to : 1;
  return Index(std::ceil(raw / double(m) - 1e-12)) * m;
}

void MlstmLayerConfig::validate() const {
  if (embedding_dim <= 0) throw UsageError(cat("mlstm: embedding_dim must be positive, got ", embedding_dim));
  const Index P = inner_dim();
  if (num_heads <= 0 || P % num_heads != 0)
    throw UsageError(cat("mlstm: num_heads ", num_heads, " must divide the inner size P = ", P));
  if (qkv_proj_blocksize <= 0 || P % qkv_proj_blocksize != 0)
    throw UsageError(cat("mlstm: qkv_proj_blocksize ", qkv_proj_blocksize, " must divide P = ", P));
  if (conv1d_kernel_size < 0) throw UsageError(cat("mlstm: conv1d_kernel_size must be >= 0, got ", conv1d_kernel_size));
  if (chunk_size < 1) throw UsageError(cat("mlstm: chunk_size must be >= 1, got ", chunk_size));
}

MlstmLayerConfig MlstmLayerConfig::from_official_json(const json::Value& c) {
  MlstmLayerConfig k;
  k.embedding_dim = c.get_int("embedding_dim", k.embedding_dim);
  k.num_heads = c.get_int("num_heads", k.num_heads);
  k.proj_factor = c.get_number("proj_factor", k.proj_factor);
  k.round_to = c.get_int("round_proj_up_to_multiple_of", k.round_to);
  k.qkv_proj_blocksize = c.get_int("qkv_proj_blocksize", k.qkv_proj_blocksize);
  k.conv1d_kernel_size = c.get_int("conv1d_kernel_size", k.conv1d_kernel_size);
  k.bias = c.get_bool("bias", k.bias);
  k.context_length = c.get_int("context_length", k.context_length);
  k.inner_dim_override = c.get_int("_inner_embedding_dim", 0);
  return k;
}

template <class T>
MlstmLayer<T>::MlstmLayer(const MlstmLayerConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  const Index D = cfg_.embedding_dim;
  P_ = cfg_.inner_dim();
  NH_ = cfg_.num_heads;
  DH_ = P_ / NH_;
  const Index NB = P_ / cfg_.qkv_proj_blocksize;
  proj_up = nn::Linear<T>(D, 2 * P_, cfg_.bias);
  q_proj = nn::HeadwiseLinear<T>(P_, NB, 1, cfg_.bias);
  k_proj = nn::HeadwiseLinear<T>(P_, NB, 1, cfg_.bias);
  v_proj = nn::HeadwiseLinear<T>(P_, NB, 1, cfg_.bias);
  if (cfg_.conv1d_kernel_size > 0) conv1d = nn::CausalConv1d<T>(P_, cfg_.conv1d_kernel_size, true);
  igate = nn::Linear<T>(3 * P_, NH_, true);
  fgate = nn::Linear<T>(3 * P_, NH_, true);
  igate.bias.decay = fgate.bias.decay = false;
  outnorm = nn::MultiHeadLayerNorm<T>(NH_, DH_, false);
  learnable_skip.reset({P_}, false);
  learnable_skip.value.fill(T(1));
  proj_down = nn::Linear<T>(P_, D, cfg_.bias);
}

template <class T>
void MlstmLayer<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  proj_up.collect(nn::join(prefix, "proj_up"), out);
  q_proj.collect(nn::join(prefix, "q_proj"), out);
  k_proj.collect(nn::join(prefix, "k_proj"), out);
  v_proj.collect(nn::join(prefix, "v_proj"), out);
  if (cfg_.conv1d_kernel_size > 0) conv1d.collect(nn::join(prefix, "conv1d/conv"), out);
  igate.collect(nn::join(prefix, "mlstm_cell/igate"), out);
  fgate.collect(nn::join(prefix, "mlstm_cell/fgate"), out);
  outnorm.collect(nn::join(prefix, "mlstm_cell/outnorm"), out);
  out.add(nn::join(prefix, "learnable_skip"), learnable_skip);
  proj_down.collect(nn::join(prefix, "proj_down"), out);
}

template <class T>
void MlstmLayer<T>::init(Rng& rng, Index num_blocks, Index /*block_index*/) {
  const Index D = cfg_.embedding_dim;
  const double small = nn::small_init_std(D);
  proj_up.init_normal(rng, small);  // bias (if any) = 0
  q_proj.init_normal(rng, small);
  k_proj.init_normal(rng, small);
  v_proj.init_normal(rng, small);
  proj_down.init_normal(rng, nn::wang_init_std(D, std::max<Index>(1, num_blocks)));
  learnable_skip.value.fill(T(1));
  if (cfg_.conv1d_kernel_size > 0) conv1d.init_torch_default(rng);
  outnorm.weight.value.zero();
  // forget gate: weight 0, bias linspace(3, 6) over heads; input gate: weight 0, bias N(0, 0.1²)
  fgate.weight.value.zero();
  for (Index h = 0; h < NH_; ++h)
    fgate.bias.value[h] = T(NH_ == 1 ? 3.0 : 3.0 + 3.0 * double(h) / double(NH_ - 1));
  igate.weight.value.zero();
  nn::fill_normal(igate.bias.value, rng, 0.1);
}

template <class T>
Tensor<T> MlstmLayer<T>::forward(const Tensor<T>& x) {
  if (x.rank() != 3 || x.dim(2) != cfg_.embedding_dim)
    throw Error(cat("mlstm layer: input has shape ", shape_str(x.shape()), ", expected (B,S,", cfg_.embedding_dim, ")"));
  const Index B = x.dim(0), S = x.dim(1);
  Cache& c = c_;
  c.x = x;
  split_last(proj_up.forward(x), P_, c.xm, c.z);           // u = proj_up(x) = [x_m | z]
  if (cfg_.conv1d_kernel_size > 0) {
    c.a = conv1d.forward(c.xm, /*silu=*/true);             // a = silu(conv(x_m))
  } else {                                                 // K = 0: the official conv is the identity
    c.a = c.xm;
    c.a.vec().array() = nn::silu_a(c.a.vec().array());
  }
  c.q = q_proj.forward(c.a);
  c.k = k_proj.forward(c.a);
  c.v = v_proj.forward(c.xm);                              // v from the non-convolved branch
  c.g = concat_last<T>({&c.q, &c.k, &c.v});                // gates read [q, k, v]
  c.qh = swap12(c.q, B, S, NH_, DH_);                      // (B,NH,S,DH)
  c.kh = swap12(c.k, B, S, NH_, DH_);
  c.vh = swap12(c.v, B, S, NH_, DH_);
  c.ih = swap12(igate.forward(c.g), B, S, NH_, 1).reshaped({B, NH_, S});
  c.fh = swap12(fgate.forward(c.g), B, S, NH_, 1).reshaped({B, NH_, S});
  const Tensor<T> h = cfg_.form == MlstmForm::Parallel
                          ? mlstm_parallel_fwd(c.qh, c.kh, c.vh, c.ih, c.fh)
                          : mlstm_chunkwise_fwd(c.qh, c.kh, c.vh, c.ih, c.fh, nullptr, nullptr, cfg_.chunk_size);
  c.ht = swap12(h, B, NH_, S, DH_);                        // (B,S,NH,DH)
  c.hs = outnorm.forward(c.ht);                            // ĥ (B,S,P)
  c.hg = Tensor<T>(c.hs.shape());
  const T* skip = learnable_skip.value.data();
  for (Index r = 0; r < B * S; ++r)
    for (Index p = 0; p < P_; ++p) c.hs[r * P_ + p] += skip[p] * c.a[r * P_ + p];  // ĥ + skip ⊙ a
  c.hg.vec().array() = c.hs.vec().array() * nn::silu_a(c.z.vec().array());  // ⊙ silu(z)
  have_cache_ = true;
  return proj_down.forward(c.hg);
}

template <class T>
Tensor<T> MlstmLayer<T>::backward(const Tensor<T>& dy) {
  if (!have_cache_) throw Error("mlstm layer: backward() called before forward()");
  Cache& c = c_;
  const Index B = c.x.dim(0), S = c.x.dim(1);
  expect_shape(dy, c.x.shape(), "mlstm layer backward: dy");
  const Tensor<T> dhg = proj_down.backward(c.hg, dy);
  Tensor<T> dhn(c.hs.shape()), dz(c.z.shape()), da(c.a.shape());
  const T* skip = learnable_skip.value.data();
  T* dskip = learnable_skip.grad.data();
  dhn.vec().array() = dhg.vec().array() * nn::silu_a(c.z.vec().array());
  dz.vec().array() = dhg.vec().array() * c.hs.vec().array() * nn::silu_grad_a(c.z.vec().array());
  for (Index r = 0; r < B * S; ++r)
    for (Index p = 0; p < P_; ++p) {
      const Index i = r * P_ + p;
      dskip[p] += dhn[i] * c.a[i];
      da[i] = dhn[i] * skip[p];
    }
  const Tensor<T> dht = outnorm.backward(c.ht, dhn);        // (B,S,NH,DH)
  const Tensor<T> dh = swap12(dht, B, S, NH_, DH_);          // (B,NH,S,DH)
  MlstmGrads<T> g;
  if (cfg_.form == MlstmForm::Parallel) mlstm_parallel_bwd(c.qh, c.kh, c.vh, c.ih, c.fh, dh, g);
  else mlstm_chunkwise_bwd(c.qh, c.kh, c.vh, c.ih, c.fh, nullptr, cfg_.chunk_size, dh, nullptr, g);
  const Tensor<T> di = swap12(g.di.reshaped({B, NH_, S, 1}), B, NH_, S, 1).reshaped({B, S, NH_});
  const Tensor<T> df = swap12(g.df.reshaped({B, NH_, S, 1}), B, NH_, S, 1).reshaped({B, S, NH_});
  Tensor<T> dg = igate.backward(c.g, di);
  const Tensor<T> dg2 = fgate.backward(c.g, df);
  for (Index i = 0; i < dg.size(); ++i) dg[i] += dg2[i];
  Tensor<T> dq = swap12(g.dq, B, NH_, S, DH_).reshaped({B, S, P_});
  Tensor<T> dk = swap12(g.dk, B, NH_, S, DH_).reshaped({B, S, P_});
  Tensor<T> dv = swap12(g.dv, B, NH_, S, DH_).reshaped({B, S, P_});
  for (Index r = 0; r < B * S; ++r)
    for (Index p = 0; p < P_; ++p) {
      dq[r * P_ + p] += dg[r * 3 * P_ + p];
      dk[r * P_ + p] += dg[r * 3 * P_ + P_ + p];
      dv[r * P_ + p] += dg[r * 3 * P_ + 2 * P_ + p];
    }
  const Tensor<T> daq = q_proj.backward(c.a, dq);
  const Tensor<T> dak = k_proj.backward(c.a, dk);
  for (Index i = 0; i < da.size(); ++i) da[i] += daq[i] + dak[i];
  Tensor<T> dxm = v_proj.backward(c.xm, dv);
  if (cfg_.conv1d_kernel_size > 0) {
    const Tensor<T> dxc = conv1d.backward(c.xm, da, /*silu=*/true);
    for (Index i = 0; i < dxm.size(); ++i) dxm[i] += dxc[i];
  } else {
    dxm.vec().array() += da.vec().array() * nn::silu_grad_a(c.xm.vec().array());
  }
  return proj_up.backward(c.x, concat_last<T>({&dxm, &dz}));
}

template <class T>
NamedTensors<T> MlstmLayer<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  MlstmState<T> st = MlstmState<T>::zeros(batch, NH_, DH_, T(cfg_.step_m0));
  s.set("C", std::move(st.C));
  s.set("n", std::move(st.n));
  s.set("m", std::move(st.m));
  s.set("conv", Tensor<T>({batch, P_, cfg_.conv1d_kernel_size}));
  return s;
}

template <class T>
Tensor<T> MlstmLayer<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  if (x_t.rank() != 2 || x_t.dim(1) != cfg_.embedding_dim)
    throw Error(cat("mlstm layer step: input has shape ", shape_str(x_t.shape()), ", expected (B,",
                    cfg_.embedding_dim, ")"));
  const Index B = x_t.dim(0);
  Tensor<T> xm, z;
  split_last(proj_up.forward(x_t), P_, xm, z);
  Tensor<T> a;
  if (cfg_.conv1d_kernel_size > 0) {
    a = conv1d.step(xm, state["conv"], /*silu=*/true);
  } else {
    a = xm;
    for (auto& e : a) e = nn::silu(e);
  }
  const Tensor<T> q = q_proj.forward(a), k = k_proj.forward(a), v = v_proj.forward(xm);
  const Tensor<T> g = concat_last<T>({&q, &k, &v});
  MlstmState<T> st{std::move(state["C"]), std::move(state["n"]), std::move(state["m"])};
  Tensor<T> h;
  try {
    h = mlstm_recurrent_step(q.reshaped({B, NH_, DH_}), k.reshaped({B, NH_, DH_}), v.reshaped({B, NH_, DH_}),
                             igate.forward(g), fgate.forward(g), st);
  } catch (...) {
    state["C"] = std::move(st.C), state["n"] = std::move(st.n), state["m"] = std::move(st.m);
    throw;
  }
  state["C"] = std::move(st.C);
  state["n"] = std::move(st.n);
  state["m"] = std::move(st.m);
  Tensor<T> hs = outnorm.forward(h);  // (B,NH,DH) → (B,P)
  const T* skip = learnable_skip.value.data();
  for (Index b = 0; b < B; ++b)
    for (Index p = 0; p < P_; ++p) {
      const Index i = b * P_ + p;
      hs[i] = (hs[i] + skip[p] * a[i]) * nn::silu(z[i]);
    }
  return proj_down.forward(hs);
}

template class MlstmLayer<float>;
template class MlstmLayer<double>;

}  // namespace xssm::seq
