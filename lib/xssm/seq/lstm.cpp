// Vanilla LSTM, torch.nn.LSTM semantics. Per layer the input projection of all steps is one GEMM;
// the recurrence is a (B,H)×(H,4H) GEMM per step; the weight gradients are GEMMs over all steps.
#include "xssm/seq/lstm.hpp"

#include <cmath>

namespace xssm::seq {
namespace {

template <class T>
inline T sigm(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

template <class T>
using StridedMat = Eigen::Map<MatR<T>, 0, Eigen::OuterStride<>>;
template <class T>
using CStridedMat = Eigen::Map<const MatR<T>, 0, Eigen::OuterStride<>>;

/// Rows (b, t) for fixed t of a (B,S,C) tensor, as a (B,C) matrix.
template <class T>
StridedMat<T> at_t(Tensor<T>& a, Index t) {
  const Index S = a.dim(1), C = a.dim(2);
  return StridedMat<T>(a.data() + t * C, a.dim(0), C, Eigen::OuterStride<>(S * C));
}
template <class T>
CStridedMat<T> at_t(const Tensor<T>& a, Index t) {
  const Index S = a.dim(1), C = a.dim(2);
  return CStridedMat<T>(a.data() + t * C, a.dim(0), C, Eigen::OuterStride<>(S * C));
}

/// Layer l of a (L,B,H) state as a (B,H) matrix.
template <class T>
MatMap<T> layer_of(Tensor<T>& s, Index l) { return MatMap<T>(s.ptr(l), s.dim(1), s.dim(2)); }
template <class T>
CMatMap<T> layer_of(const Tensor<T>& s, Index l) { return CMatMap<T>(s.ptr(l), s.dim(1), s.dim(2)); }

}  // namespace

template <class T>
LstmStack<T>::LstmStack(Index input_size, Index hidden_size, Index num_layers, bool bias)
    : I_(input_size), H_(hidden_size), L_(num_layers), bias_(bias) {
  if (input_size <= 0 || hidden_size <= 0 || num_layers <= 0)
    throw UsageError(cat("lstm: sizes must be positive (input ", input_size, ", hidden ", hidden_size,
                         ", layers ", num_layers, ")"));
  for (Index l = 0; l < L_; ++l) {
    weight_ih.emplace_back(Shape{4 * H_, l == 0 ? I_ : H_});
    weight_hh.emplace_back(Shape{4 * H_, H_});
    bias_ih.emplace_back(Shape{bias_ ? 4 * H_ : 0}, false);
    bias_hh.emplace_back(Shape{bias_ ? 4 * H_ : 0}, false);
  }
}

template <class T>
void LstmStack<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  for (Index l = 0; l < L_; ++l) {
    const std::string s = "_l" + std::to_string(l);
    out.add(nn::join(prefix, "weight_ih" + s), weight_ih[l]);
    out.add(nn::join(prefix, "weight_hh" + s), weight_hh[l]);
    if (bias_) {
      out.add(nn::join(prefix, "bias_ih" + s), bias_ih[l]);
      out.add(nn::join(prefix, "bias_hh" + s), bias_hh[l]);
    }
  }
}

template <class T>
void LstmStack<T>::init(Rng& rng) {
  const double k = 1.0 / std::sqrt(double(H_));
  for (Index l = 0; l < L_; ++l)
    for (auto* p : {&weight_ih[l], &weight_hh[l], &bias_ih[l], &bias_hh[l]})
      for (auto& v : p->value) v = T(rng.uniform(-k, k));
}

template <class T>
Tensor<T> LstmStack<T>::forward(const Tensor<T>& x, const Tensor<T>* h0, const Tensor<T>* c0, Tensor<T>* h_n,
                                Tensor<T>* c_n, LstmCache<T>* cache) const {
  if (x.rank() != 3 || x.dim(2) != I_)
    throw Error(cat("lstm: x has shape ", shape_str(x.shape()), ", expected (B,S,", I_, ")"));
  const Index B = x.dim(0), S = x.dim(1), H = H_;
  if (h0) expect_shape(*h0, {L_, B, H}, "lstm h0");
  if (c0) expect_shape(*c0, {L_, B, H}, "lstm c0");
  LstmCache<T> local;
  LstmCache<T>& C = cache ? *cache : local;
  C.B = B, C.S = S;
  C.x = x;
  C.h0 = h0 ? *h0 : Tensor<T>({L_, B, H});
  C.c0 = c0 ? *c0 : Tensor<T>({L_, B, H});
  C.gates.assign(size_t(L_), Tensor<T>());
  C.c.assign(size_t(L_), Tensor<T>());
  C.h.assign(size_t(L_), Tensor<T>());
  if (h_n) h_n->resize({L_, B, H});
  if (c_n) c_n->resize({L_, B, H});

  for (Index l = 0; l < L_; ++l) {
    const Tensor<T>& in = l == 0 ? x : C.h[size_t(l - 1)];
    const Index In = in.dim(2);
    Tensor<T>& G = C.gates[size_t(l)];
    Tensor<T>& cs = C.c[size_t(l)];
    Tensor<T>& hs = C.h[size_t(l)];
    G.resize({B, S, 4 * H});
    cs.resize({B, S, H});
    hs.resize({B, S, H});
    // Pre-activations from the input side for every step: X W_ihᵀ + b_ih + b_hh.
    G.mat(B * S, 4 * H).noalias() = in.mat(B * S, In) * weight_ih[l].value.mat().transpose();
    if (bias_) {
      auto bsum = (bias_ih[l].value.vec() + bias_hh[l].value.vec()).transpose().eval();
      G.mat(B * S, 4 * H).rowwise() += bsum;
    }
    const auto Whh = weight_hh[l].value.mat();
    MatR<T> hprev = layer_of(C.h0, l), cprev = layer_of(C.c0, l);
    for (Index t = 0; t < S; ++t) {
      auto g = at_t(G, t);
      g.noalias() += hprev * Whh.transpose();
      auto ct = at_t(cs, t);
      auto ht = at_t(hs, t);
      for (Index b = 0; b < B; ++b)
        for (Index j = 0; j < H; ++j) {
          const T i = sigm(g(b, j)), f = sigm(g(b, H + j)), gg = std::tanh(g(b, 2 * H + j)),
                  o = sigm(g(b, 3 * H + j));
          g(b, j) = i, g(b, H + j) = f, g(b, 2 * H + j) = gg, g(b, 3 * H + j) = o;
          const T c = f * cprev(b, j) + i * gg;  // c_t = f ⊙ c_{t−1} + i ⊙ g
          ct(b, j) = c;
          ht(b, j) = o * std::tanh(c);           // h_t = o ⊙ tanh(c_t)
        }
      hprev = ht;
      cprev = ct;
    }
    if (h_n) layer_of(*h_n, l) = hprev;
    if (c_n) layer_of(*c_n, l) = cprev;
  }
  return C.h[size_t(L_ - 1)];
}

template <class T>
Tensor<T> LstmStack<T>::backward(const LstmCache<T>& C, const Tensor<T>& dout, const Tensor<T>* dh_n,
                                 const Tensor<T>* dc_n, Tensor<T>* dh0, Tensor<T>* dc0) {
  const Index B = C.B, S = C.S, H = H_;
  XSSM_ASSERT(Index(C.h.size()) == L_, "lstm backward without a forward cache");
  expect_shape(dout, {B, S, H}, "lstm dout");
  if (dh_n) expect_shape(*dh_n, {L_, B, H}, "lstm dh_n");
  if (dc_n) expect_shape(*dc_n, {L_, B, H}, "lstm dc_n");
  if (dh0) dh0->resize({L_, B, H});
  if (dc0) dc0->resize({L_, B, H});
  Tensor<T> dh_seq = dout;  // cotangent of layer l's h sequence
  for (Index l = L_ - 1; l >= 0; --l) {
    const Tensor<T>& in = l == 0 ? C.x : C.h[size_t(l - 1)];
    const Index In = in.dim(2);
    const Tensor<T>& G = C.gates[size_t(l)];
    const Tensor<T>& cs = C.c[size_t(l)];
    const Tensor<T>& hs = C.h[size_t(l)];
    const auto Whh = weight_hh[l].value.mat();
    Tensor<T> dG({B, S, 4 * H});
    MatR<T> dh = dh_n ? MatR<T>(layer_of(*dh_n, l)) : MatR<T>::Zero(B, H);
    MatR<T> dc = dc_n ? MatR<T>(layer_of(*dc_n, l)) : MatR<T>::Zero(B, H);
    for (Index t = S - 1; t >= 0; --t) {
      auto g = at_t(G, t);
      auto ct = at_t(cs, t);
      auto dht = at_t(dh_seq, t);
      auto dg = at_t(dG, t);
      for (Index b = 0; b < B; ++b)
        for (Index j = 0; j < H; ++j) {
          const T i = g(b, j), f = g(b, H + j), gg = g(b, 2 * H + j), o = g(b, 3 * H + j);
          const T cp = t > 0 ? cs.at(b, t - 1, j) : C.c0.at(l, b, j);
          const T tc = std::tanh(ct(b, j));
          const T d_h = dht(b, j) + dh(b, j);
          const T d_c = dc(b, j) + d_h * o * (T(1) - tc * tc);
          dg(b, j) = d_c * gg * i * (T(1) - i);
          dg(b, H + j) = d_c * cp * f * (T(1) - f);
          dg(b, 2 * H + j) = d_c * i * (T(1) - gg * gg);
          dg(b, 3 * H + j) = d_h * tc * o * (T(1) - o);
          dc(b, j) = d_c * f;
        }
      dh.noalias() = dg * Whh;
    }
    if (dh0) layer_of(*dh0, l) = dh;
    if (dc0) layer_of(*dc0, l) = dc;
    // Weight gradients over all (b, t) rows: dW_ih += dGᵀ X, dW_hh += dGᵀ H_prev.
    const auto dGm = dG.mat(B * S, 4 * H);
    weight_ih[l].grad.mat().noalias() += dGm.transpose() * in.mat(B * S, In);
    Tensor<T> hprev({B, S, H});
    for (Index b = 0; b < B; ++b)
      for (Index t = 0; t < S; ++t)
        for (Index j = 0; j < H; ++j) hprev.at(b, t, j) = t > 0 ? hs.at(b, t - 1, j) : C.h0.at(l, b, j);
    weight_hh[l].grad.mat().noalias() += dGm.transpose() * hprev.mat(B * S, H);
    if (bias_) {
      const auto colsum = dGm.colwise().sum().transpose().eval();
      bias_ih[l].grad.vec() += colsum;
      bias_hh[l].grad.vec() += colsum;
    }
    Tensor<T> dx({B, S, In});
    dx.mat(B * S, In).noalias() = dGm * weight_ih[l].value.mat();
    dh_seq = std::move(dx);
  }
  return dh_seq;
}

template <class T>
Tensor<T> LstmStack<T>::step(const Tensor<T>& x_t, Tensor<T>& h, Tensor<T>& c) const {
  if (x_t.rank() != 2 || x_t.dim(1) != I_)
    throw Error(cat("lstm step: x_t has shape ", shape_str(x_t.shape()), ", expected (B,", I_, ")"));
  const Index B = x_t.dim(0), H = H_;
  expect_shape(h, {L_, B, H}, "lstm state h");
  expect_shape(c, {L_, B, H}, "lstm state c");
  Tensor<T> in = x_t;
  for (Index l = 0; l < L_; ++l) {
    MatR<T> g = in.mat() * weight_ih[l].value.mat().transpose();
    g.noalias() += layer_of(h, l) * weight_hh[l].value.mat().transpose();
    if (bias_) g.rowwise() += (bias_ih[l].value.vec() + bias_hh[l].value.vec()).transpose();
    auto hl = layer_of(h, l);
    auto cl = layer_of(c, l);
    for (Index b = 0; b < B; ++b)
      for (Index j = 0; j < H; ++j) {
        const T i = sigm(g(b, j)), f = sigm(g(b, H + j)), gg = std::tanh(g(b, 2 * H + j)), o = sigm(g(b, 3 * H + j));
        const T cn = f * cl(b, j) + i * gg;
        cl(b, j) = cn;
        hl(b, j) = o * std::tanh(cn);
      }
    in = Tensor<T>({B, H});
    in.mat() = hl;
  }
  return in;
}

// ---- Lstm mixer ----

template <class T>
Lstm<T>::Lstm(Index dim, Index num_layers, bool bias) : net_(dim, dim, num_layers, bias) {}

template <class T>
void Lstm<T>::init(Rng& rng, Index, Index) { net_.init(rng); }

template <class T>
Tensor<T> Lstm<T>::forward(const Tensor<T>& x) {
  have_cache_ = true;
  return net_.forward(x, nullptr, nullptr, nullptr, nullptr, &cache_);
}

template <class T>
Tensor<T> Lstm<T>::backward(const Tensor<T>& dy) {
  if (!have_cache_) throw Error("lstm: backward() called before forward()");
  return net_.backward(cache_, dy, nullptr, nullptr, nullptr, nullptr);
}

template <class T>
NamedTensors<T> Lstm<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  s.set("h", Tensor<T>({batch, net_.num_layers(), net_.hidden_size()}));
  s.set("c", Tensor<T>({batch, net_.num_layers(), net_.hidden_size()}));
  return s;
}

namespace {
/// (B,L,H) ↔ (L,B,H)
template <class T>
Tensor<T> swap01(const Tensor<T>& a) {
  const Index A0 = a.dim(0), A1 = a.dim(1), C = a.dim(2);
  Tensor<T> out({A1, A0, C});
  for (Index i = 0; i < A0; ++i)
    for (Index j = 0; j < A1; ++j) std::copy(a.ptr(i, j), a.ptr(i, j) + C, out.ptr(j, i));
  return out;
}
}  // namespace

template <class T>
Tensor<T> Lstm<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  Tensor<T>& hs = state["h"];
  Tensor<T>& cs = state["c"];
  const Index B = x_t.rank() == 2 ? x_t.dim(0) : 0;
  expect_shape(hs, {B, net_.num_layers(), net_.hidden_size()}, "lstm state h");
  expect_shape(cs, {B, net_.num_layers(), net_.hidden_size()}, "lstm state c");
  Tensor<T> h = swap01(hs), c = swap01(cs);
  Tensor<T> y = net_.step(x_t, h, c);
  hs = swap01(h);
  cs = swap01(c);
  return y;
}

template class LstmStack<float>;
template class LstmStack<double>;
template class Lstm<float>;
template class Lstm<double>;

}  // namespace xssm::seq
