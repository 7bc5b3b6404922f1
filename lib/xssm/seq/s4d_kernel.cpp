// S4D kernel: K[h,l] = 2·Re Σ_n c_n·B̄_n·exp(l·Δ·A_n) with B̄ = (exp(ΔA) − 1)/A (s4d_kernel.hpp).
// Backward: with z = exp(ΔA), W = (z − 1)/A and S = Σ_l g_l exp(lΔA) (g the cotangent), the
// loss is 2·Re(c·W·S) per mode; every parameter enters through c, A or Δ, and the complex
// derivative F'(A) = c·(W'·S + W·S') gives the real ones by the chain rule (dA/dlog_A_real =
// −exp(log_A_real), dA/dA_imag = i).
#include "xssm/seq/s4d_kernel.hpp"

#include <cmath>
#include <complex>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"

namespace xssm::seq {

namespace {
// Powers z^l = exp(l·ΔA) for l = 0..L−1, streamed: one complex multiply per step in real
// arithmetic (std::complex's operator* goes through a NaN-checking library call without
// -fcx-limited-range), re-anchored with the exact exp every kAnchor steps so rounding does not
// accumulate (a few ulps at most).
constexpr Index kAnchor = 32;
template <class T, class F>
void for_each_power(std::complex<T> dtA, Index L, F&& fn) {
  const std::complex<T> z = std::exp(dtA);
  const T ar = z.real(), ai = z.imag();
  T zr = 1, zi = 0;
  for (Index l = 0; l < L; ++l) {
    if (l % kAnchor == 0 && l > 0) {
      const std::complex<T> e = std::exp(T(l) * dtA);
      zr = e.real();
      zi = e.imag();
    }
    fn(l, zr, zi);
    const T nr = zr * ar - zi * ai;
    zi = zr * ai + zi * ar;
    zr = nr;
  }
}
}  // namespace

template <class T>
S4DKernel<T>::S4DKernel(Index H, Index N)
    : log_dt(Shape{H}, false), C(Shape{H, N / 2, 2}), log_A_real(Shape{H, N / 2}, false),
      A_imag(Shape{H, N / 2}, false), H_(H), N2_(N / 2) {
  if (H < 1 || N < 2 || N % 2 != 0) throw UsageError(cat("S4DKernel: need d_model ≥ 1 and an even d_state ≥ 2, got H=", H, " N=", N));
}

template <class T>
void S4DKernel<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  out.add(nn::join(prefix, "log_dt"), log_dt);
  out.add(nn::join(prefix, "C"), C);
  out.add(nn::join(prefix, "log_A_real"), log_A_real);
  out.add(nn::join(prefix, "A_imag"), A_imag);
}

template <class T>
void S4DKernel<T>::init(Rng& rng, double dt_min, double dt_max) {
  const double pi = 3.14159265358979323846;
  for (Index h = 0; h < H_; ++h) log_dt.value[h] = T(rng.uniform(std::log(dt_min), std::log(dt_max)));
  for (auto& v : C.value) v = T(rng.normal() * std::sqrt(0.5));  // torch.randn(cfloat): parts N(0, ½)
  for (Index h = 0; h < H_; ++h)
    for (Index n = 0; n < N2_; ++n) {
      log_A_real.value.at(h, n) = T(std::log(0.5));
      A_imag.value.at(h, n) = T(pi * double(n));
    }
}

template <class T>
Tensor<T> S4DKernel<T>::forward(Index L) const {
  using Cx = std::complex<T>;
  Tensor<T> K({H_, L});
  parallel_for(H_, [&](Index h) {
    const T dt = std::exp(log_dt.value[h]);
    for (Index n = 0; n < N2_; ++n) {
      const Cx A(-std::exp(log_A_real.value.at(h, n)), A_imag.value.at(h, n));
      const Cx c(C.value.at(h, n, 0), C.value.at(h, n, 1));
      const Cx dtA = dt * A;
      const Cx cW = c * (std::exp(dtA) - T(1)) / A;  // c·B̄
      const T wr = cW.real(), wi = cW.imag();
      T* Kh = K.ptr(h);
      for_each_power(dtA, L, [&](Index l, T zr, T zi) { Kh[l] += T(2) * (wr * zr - wi * zi); });  // 2·Re(c·B̄·z^l)
    }
  });
  return K;
}

template <class T>
void S4DKernel<T>::backward(const Tensor<T>& dK) {
  using Cx = std::complex<T>;
  if (dK.rank() != 2 || dK.dim(0) != H_) throw Error(cat("S4DKernel: dK has shape ", shape_str(dK.shape()), ", expected (H,L) with H=", H_));
  const Index L = dK.dim(1);
  parallel_for(H_, [&](Index h) {
    const T dt = std::exp(log_dt.value[h]);
    T ddt = 0;
    for (Index n = 0; n < N2_; ++n) {
      const T Are = -std::exp(log_A_real.value.at(h, n));
      const Cx A(Are, A_imag.value.at(h, n));
      const Cx c(C.value.at(h, n, 0), C.value.at(h, n, 1));
      const Cx dtA = dt * A;
      const Cx z = std::exp(dtA);
      const Cx W = (z - T(1)) / A;
      T sr = 0, si = 0, slr = 0, sli = 0;  // S = Σ g_l z^l,  Sl = Σ g_l·l·z^l
      const T* g = dK.ptr(h);
      for_each_power(dtA, L, [&](Index l, T zr, T zi) {
        sr += g[l] * zr;
        si += g[l] * zi;
        slr += (g[l] * T(l)) * zr;
        sli += (g[l] * T(l)) * zi;
      });
      const Cx S(sr, si), Sl(slr, sli);
      const Cx WS = W * S;
      C.grad.at(h, n, 0) += T(2) * std::real(WS);
      C.grad.at(h, n, 1) += -T(2) * std::imag(WS);
      const Cx dW_dA = (dt * z * A - (z - T(1))) / (A * A);
      const Cx Fp = c * (dW_dA * S + W * dt * Sl);  // dF/dA
      log_A_real.grad.at(h, n) += T(2) * std::real(Fp * Are);
      A_imag.grad.at(h, n) += -T(2) * std::imag(Fp);
      const Cx Fdt = c * (z * S + W * A * Sl);  // dF/dΔ
      ddt += T(2) * std::real(Fdt);
    }
    log_dt.grad[h] += ddt * dt;
  });
}

template <class T>
void S4DKernel<T>::discretise(Tensor<T>& A_bar, Tensor<T>& cB) const {
  using Cx = std::complex<T>;
  A_bar.resize({H_, N2_, 2});
  cB.resize({H_, N2_, 2});
  for (Index h = 0; h < H_; ++h) {
    const T dt = std::exp(log_dt.value[h]);
    for (Index n = 0; n < N2_; ++n) {
      const Cx A(-std::exp(log_A_real.value.at(h, n)), A_imag.value.at(h, n));
      const Cx c(C.value.at(h, n, 0), C.value.at(h, n, 1));
      const Cx z = std::exp(dt * A);
      const Cx w = c * (z - T(1)) / A;
      A_bar.at(h, n, 0) = std::real(z);
      A_bar.at(h, n, 1) = std::imag(z);
      cB.at(h, n, 0) = std::real(w);
      cB.at(h, n, 1) = std::imag(w);
    }
  }
}

template class S4DKernel<float>;
template class S4DKernel<double>;

}  // namespace xssm::seq
