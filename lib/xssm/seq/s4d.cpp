// The S4D layer: forward, backward and step (s4d.hpp; docs/maths/s4d.md).
#include "xssm/seq/s4d.hpp"

#include <cmath>
#include <complex>

#include "xssm/core/error.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/seq/long_conv.hpp"

namespace xssm::seq {

S4dConfig S4dConfig::from_json(const json::Value& v) {
  S4dConfig c;
  c.d_model = v.get_int("d_model", 0);
  c.d_state = v.get_int("d_state", c.d_state);
  c.dt_min = v.get_number("dt_min", c.dt_min);
  c.dt_max = v.get_number("dt_max", c.dt_max);
  c.transposed = v.get_bool("transposed", c.transposed);
  if (v.get_number("dropout", 0.0) != 0.0) throw UsageError("s4d: only dropout = 0 is supported");
  c.validate();
  return c;
}

void S4dConfig::validate() const {
  if (d_model < 1 || d_state < 2 || d_state % 2 != 0)
    throw UsageError(cat("s4d: need d_model ≥ 1 and an even d_state ≥ 2, got d_model=", d_model, " d_state=", d_state));
}

template <class T>
S4d<T>::S4d(const S4dConfig& cfg) : kernel(cfg.d_model, cfg.d_state), cfg_(cfg) {
  cfg_.validate();
  const Index H = cfg_.d_model;
  D = nn::Param<T>(Shape{H});
  W = nn::Param<T>(Shape{2 * H, H, 1});
  b = nn::Param<T>(Shape{2 * H}, false);
}

template <class T>
void S4d<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  out.add(nn::join(prefix, "D"), D);
  kernel.collect(nn::join(prefix, "kernel"), out);
  out.add(nn::join(prefix, "output_linear/0/weight"), W);
  out.add(nn::join(prefix, "output_linear/0/bias"), b);
}

template <class T>
void S4d<T>::init(Rng& rng, Index, Index) {
  for (auto& d : D.value) d = T(rng.normal());
  kernel.init(rng, cfg_.dt_min, cfg_.dt_max);
  const double k = 1.0 / std::sqrt(double(cfg_.d_model));  // Conv1d default, fan_in = H·1
  for (auto& w : W.value) w = T(rng.uniform(-k, k));
  for (auto& v : b.value) v = T(rng.uniform(-k, k));
}

template <class T>
Tensor<T> S4d<T>::head(const Tensor<T>& v, Tensor<T>* g_out, Tensor<T>* o_out) const {
  const Index H = cfg_.d_model, rows = v.size() / H;
  Tensor<T> g(v.shape());
  for (Index i = 0; i < v.size(); ++i) g[i] = nn::gelu(v[i]);
  Shape os = v.shape();
  os.back() = 2 * H;
  Tensor<T> o(os);
  o.mat(rows, 2 * H).noalias() = g.mat(rows, H) * W.value.mat(2 * H, H).transpose();
  o.mat(rows, 2 * H).rowwise() += b.value.vec().transpose();
  Tensor<T> y(v.shape());
  for (Index r = 0; r < rows; ++r)
    for (Index h = 0; h < H; ++h) y[r * H + h] = o[r * 2 * H + h] * nn::sigmoid(o[r * 2 * H + H + h]);  // GLU
  if (g_out) *g_out = std::move(g);
  if (o_out) *o_out = std::move(o);
  return y;
}

template <class T>
Tensor<T> S4d<T>::forward(const Tensor<T>& u) {
  return forward_impl(u, nullptr);
}

template <class T>
Tensor<T> S4d<T>::forward(const Tensor<T>& u, NamedTensors<T>& state) {
  return forward_impl(u, &state);
}

template <class T>
Tensor<T> S4d<T>::forward_impl(const Tensor<T>& u, NamedTensors<T>* state) {
  const Index H = cfg_.d_model;
  if (u.rank() != 3 || u.dim(2) != H)
    throw Error(cat("s4d: u has shape ", shape_str(u.shape()), ", expected (B,L,", H, ")"));
  const Index Bt = u.dim(0), L = u.dim(1);
  u_ = u;
  K_ = kernel.forward(L);
  // Σ_{s≤t} K[h,t−s]·u[b,s,h] (direct or FFT by length; the FFT path keeps rfft(u) for backward)
  v_ = long_conv_fwd(u, K_, ConvPath::Auto, &spectra_);
  v_.mat(Bt * L, H).noalias() += u.mat(Bt * L, H) * D.value.vec().asDiagonal();  // D skip, before the GELU
  stateful_ = state != nullptr;
  if (stateful_) {
    // Incoming state x'_0 adds 2·Re Σ_n Ā_n^{t+1} x'_0[n] to v_t; the outgoing state is the
    // recurrence x'_t = Ā x'_{t−1} + c·B̄ u_t run over the chunk.
    using Cx = std::complex<T>;
    const Index N2 = kernel.modes();
    Tensor<T>& xs = (*state)["ssm"];
    expect_shape(xs, {Bt, H, N2, 2}, "s4d: state ssm");
    x0_ = xs;
    Tensor<T> Ab, cB;
    kernel.discretise(Ab, cB);
    for (Index bb = 0; bb < Bt; ++bb)
      for (Index h = 0; h < H; ++h)
        for (Index n = 0; n < N2; ++n) {
          const Cx a(Ab.at(h, n, 0), Ab.at(h, n, 1)), w(cB.at(h, n, 0), cB.at(h, n, 1));
          Cx s0(x0_.at(bb, h, n, 0), x0_.at(bb, h, n, 1)), r = s0;
          for (Index t = 0; t < L; ++t) {
            s0 *= a;
            v_.at(bb, t, h) += T(2) * s0.real();
            r = a * r + w * u.at(bb, t, h);
          }
          xs.at(bb, h, n, 0) = r.real();
          xs.at(bb, h, n, 1) = r.imag();
        }
  }
  return head(v_, &g_, &o_);
}

template <class T>
Tensor<T> S4d<T>::backward(const Tensor<T>& dy) {
  XSSM_ASSERT(!u_.empty(), "s4d: backward before forward");
  expect_shape(dy, u_.shape(), "s4d: dy");
  const Index H = cfg_.d_model, Bt = u_.dim(0), L = u_.dim(1), rows = Bt * L;
  Tensor<T> dO({Bt, L, 2 * H});
  for (Index r = 0; r < rows; ++r)
    for (Index h = 0; h < H; ++h) {
      const T a = o_[r * 2 * H + h], s = nn::sigmoid(o_[r * 2 * H + H + h]), d = dy[r * H + h];
      dO[r * 2 * H + h] = d * s;
      dO[r * 2 * H + H + h] = d * a * s * (T(1) - s);
    }
  W.grad.mat(2 * H, H).noalias() += dO.mat(rows, 2 * H).transpose() * g_.mat(rows, H);
  b.grad.vec() += dO.mat(rows, 2 * H).colwise().sum().transpose();
  Tensor<T> dv({Bt, L, H});
  dv.mat(rows, H).noalias() = dO.mat(rows, 2 * H) * W.value.mat(2 * H, H);
  for (Index i = 0; i < dv.size(); ++i) dv[i] *= nn::gelu_grad(v_[i]);
  // D skip: du = D ⊙ dv, dD = Σ_{b,t} dv ⊙ u; then the convolution adds its du and gives dK.
  Tensor<T> du(u_.shape()), dK({H, L});
  du.mat(rows, H).noalias() = dv.mat(rows, H) * D.value.vec().asDiagonal();
  D.grad.vec() += dv.mat(rows, H).cwiseProduct(u_.mat(rows, H)).colwise().sum().transpose();
  long_conv_bwd(u_, K_, dv, du, dK, ConvPath::Auto, &spectra_);
  kernel.backward(dK);
  if (stateful_) {
    // Φ = 2·Re Σ_n F_n(z_n),  F_n(z) = Σ_{b,t} dv[b,t]·x'_0[b,n]·z^{t+1},  z = exp(ΔA):
    // dz/dA = Δz, dz/dΔ = Az; then A → (log_A_real, A_imag) and Δ → log_dt.
    using Cx = std::complex<T>;
    const Index N2 = kernel.modes();
    for (Index h = 0; h < H; ++h) {
      const T dt = std::exp(kernel.log_dt.value[h]);
      for (Index n = 0; n < N2; ++n) {
        const T Are = -std::exp(kernel.log_A_real.value.at(h, n));
        const Cx A(Are, kernel.A_imag.value.at(h, n));
        const Cx z = std::exp(dt * A);
        Cx Fp(0);  // dF/dz
        for (Index bb = 0; bb < Bt; ++bb) {
          const Cx x0(x0_.at(bb, h, n, 0), x0_.at(bb, h, n, 1));
          Cx zt(1);  // z^t
          for (Index t = 0; t < L; ++t) {
            Fp += (dv.at(bb, t, h) * T(t + 1)) * zt * x0;
            zt *= z;
          }
        }
        const Cx dFdA = Fp * dt * z;
        kernel.log_A_real.grad.at(h, n) += T(2) * std::real(dFdA * Are);
        kernel.A_imag.grad.at(h, n) += -T(2) * std::imag(dFdA);
        kernel.log_dt.grad[h] += T(2) * std::real(Fp * A * z) * dt;
      }
    }
  }
  return du;
}

template <class T>
NamedTensors<T> S4d<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  s.set("ssm", Tensor<T>({batch, cfg_.d_model, kernel.modes(), 2}));
  return s;
}

template <class T>
Tensor<T> S4d<T>::step(const Tensor<T>& u_t, NamedTensors<T>& state) {
  const Index H = cfg_.d_model, N2 = kernel.modes();
  if (u_t.rank() != 2 || u_t.dim(1) != H)
    throw Error(cat("s4d: u_t has shape ", shape_str(u_t.shape()), ", expected (B,", H, ")"));
  const Index Bt = u_t.dim(0);
  Tensor<T>& x = state["ssm"];
  expect_shape(x, {Bt, H, N2, 2}, "s4d: state ssm");
  Tensor<T> Ab, cB;
  kernel.discretise(Ab, cB);  // recomputed per step: tiny (H·N/2) and keeps step() stateless
  Tensor<T> v({Bt, H});
  for (Index bb = 0; bb < Bt; ++bb)
    for (Index h = 0; h < H; ++h) {
      const T u = u_t.at(bb, h);
      T acc = D.value[h] * u;
      for (Index n = 0; n < N2; ++n) {
        // x ← Ā x + c·B̄ u (complex);  y = 2 Re Σ_n x
        T& xr = x.at(bb, h, n, 0);
        T& xi = x.at(bb, h, n, 1);
        const T ar = Ab.at(h, n, 0), ai = Ab.at(h, n, 1);
        const T nr = ar * xr - ai * xi + cB.at(h, n, 0) * u;
        const T ni = ar * xi + ai * xr + cB.at(h, n, 1) * u;
        xr = nr;
        xi = ni;
        acc += T(2) * nr;
      }
      v.at(bb, h) = acc;
    }
  return head(v, nullptr, nullptr);
}

template class S4d<float>;
template class S4d<double>;

}  // namespace xssm::seq
