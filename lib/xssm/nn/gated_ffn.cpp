#include "xssm/nn/gated_ffn.hpp"

#include <cmath>

#include "xssm/nn/activations.hpp"
#include "xssm/nn/activations_array.hpp"

namespace xssm::nn {

Index up_proj_dim(Index D, double factor, Index m) {
  if (D <= 0 || factor <= 0 || m <= 0)
    throw Error(cat("up_proj_dim: need D > 0, factor > 0, multiple > 0; got ", D, ", ", factor, ", ", m));
  return Index(std::ceil(factor * double(D) / double(m))) * m;
}

namespace {
template <class T>
T act_fwd(FfnAct a, T x) {
  return a == FfnAct::Gelu ? gelu(x) : silu(x);
}
template <class T>
T act_grad(FfnAct a, T x) {
  return a == FfnAct::Gelu ? gelu_grad(x) : silu_grad(x);
}
}  // namespace

template <class T>
GatedFfn<T>::GatedFfn(Index D, Index P, bool bias, FfnAct a) : proj_up(D, 2 * P, bias), proj_down(P, D, bias), act(a) {}

template <class T>
void GatedFfn<T>::collect(const std::string& prefix, ParamList<T>& l) {
  proj_up.collect(join(prefix, "proj_up"), l);
  proj_down.collect(join(prefix, "proj_down"), l);
}

template <class T>
Tensor<T> GatedFfn<T>::forward(const Tensor<T>& x) const {
  const Index P = inner();
  const Tensor<T> u = proj_up.forward(x);  // (…, 2P) = [gate | up]
  const Index R = u.size() / (2 * P);
  Shape hs = u.shape();
  hs.back() = P;
  Tensor<T> h(hs);
  for (Index r = 0; r < R; ++r) {
    const T* ur = u.data() + r * 2 * P;
    T* hr = h.data() + r * P;
    for (Index i = 0; i < P; ++i) hr[i] = act_fwd(act, ur[i]) * ur[P + i];
  }
  return proj_down.forward(h);
}

template <class T>
Tensor<T> GatedFfn<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  const Index P = inner();
  const Tensor<T> u = proj_up.forward(x);
  const Index R = u.size() / (2 * P);
  Shape hs = u.shape();
  hs.back() = P;
  Tensor<T> h(hs);
  for (Index r = 0; r < R; ++r)
    for (Index i = 0; i < P; ++i) h[r * P + i] = act_fwd(act, u[r * 2 * P + i]) * u[r * 2 * P + P + i];
  const Tensor<T> dh = proj_down.backward(h, dy);
  Tensor<T> du(u.shape());
  for (Index r = 0; r < R; ++r)
    for (Index i = 0; i < P; ++i) {
      const T g = u[r * 2 * P + i], up = u[r * 2 * P + P + i], d = dh[r * P + i];
      du[r * 2 * P + i] = d * up * act_grad(act, g);  // ∂/∂gate
      du[r * 2 * P + P + i] = d * act_fwd(act, g);    // ∂/∂up
    }
  return proj_up.backward(x, du);
}

template <class T>
void GatedFfn<T>::init(Rng& rng, Index num_blocks) {
  const Index D = dim();
  proj_up.init_normal(rng, small_init_std(D));
  proj_down.init_normal(rng, wang_init_std(D, num_blocks));
}

template <class T>
SwiGlu<T>::SwiGlu(Index D, Index H) : w1(D, H, false), w2(H, D, false), w3(D, H, false) {}

template <class T>
void SwiGlu<T>::collect(const std::string& prefix, ParamList<T>& l) {
  w1.collect(join(prefix, "w1"), l);
  w2.collect(join(prefix, "w2"), l);
  w3.collect(join(prefix, "w3"), l);
}

template <class T>
Tensor<T> SwiGlu<T>::forward(const Tensor<T>& x) const {
  const Tensor<T> a = w1.forward(x);
  Tensor<T> h = w3.forward(x);
  h.vec().array() *= silu_a(a.vec().array());  // silu(w1 x) ⊙ w3 x
  return w2.forward(h);
}

template <class T>
Tensor<T> SwiGlu<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  Tensor<T> a = w1.forward(x);
  Tensor<T> b = w3.forward(x);
  Tensor<T> h(a.shape());
  h.vec().array() = silu_a(a.vec().array()) * b.vec().array();
  const Tensor<T> dh = w2.backward(h, dy);
  Tensor<T> da(a.shape()), db(b.shape());
  da.vec().array() = dh.vec().array() * b.vec().array() * silu_grad_a(a.vec().array());
  db.vec().array() = dh.vec().array() * silu_a(a.vec().array());
  Tensor<T> dx = w1.backward(x, da);
  const Tensor<T> dx3 = w3.backward(x, db);
  for (Index i = 0; i < dx.size(); ++i) dx[i] += dx3[i];
  return dx;
}

template <class T>
void SwiGlu<T>::init_normal(Rng& rng, double std_in, double std_out) {
  w1.init_normal(rng, std_in);
  w3.init_normal(rng, std_in);
  w2.init_normal(rng, std_out);
}

template struct GatedFfn<float>;
template struct GatedFfn<double>;
template struct SwiGlu<float>;
template struct SwiGlu<double>;

}  // namespace xssm::nn
