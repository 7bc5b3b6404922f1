// SSD, recurrent form: S_t = exp(A_t)·S_{t−1} + X_t B_tᵀ, Y_t = S_t C_t (ssd.hpp), its
// reverse-time adjoint, and the one-token step. Parallel over the batch (each batch element
// owns its rows of dB, dC, so groups shared by several heads need no reduction across threads).
#include <cmath>
#include <vector>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/seq/ssd.hpp"

namespace xssm::seq {

namespace detail {
template <class T>
SsdDims ssd_check(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B, const Tensor<T>& C,
                  OptTensor<T> initial_state) {
  if (X.rank() != 4) throw Error(cat("ssd: X has shape ", shape_str(X.shape()), ", expected (B,L,H,P)"));
  SsdDims d{X.dim(0), X.dim(1), X.dim(2), X.dim(3), 0, 0};
  expect_shape(A, {d.Bt, d.L, d.H}, "ssd: A");
  if (B.rank() != 4) throw Error(cat("ssd: B has shape ", shape_str(B.shape()), ", expected (B,L,G,N)"));
  d.G = B.dim(2);
  d.N = B.dim(3);
  if (d.G <= 0 || d.H % d.G != 0) throw Error(cat("ssd: groups G=", d.G, " must divide heads H=", d.H));
  expect_shape(B, {d.Bt, d.L, d.G, d.N}, "ssd: B");
  expect_shape(C, {d.Bt, d.L, d.G, d.N}, "ssd: C");
  if (initial_state) expect_shape(*initial_state, {d.Bt, d.H, d.P, d.N}, "ssd: initial_state");
  return d;
}
template SsdDims ssd_check(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                           const Tensor<float>&, const Tensor<float>*);
template SsdDims ssd_check(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                           const Tensor<double>&, const Tensor<double>*);
}  // namespace detail

template <class T>
SsdOut<T> ssd_recurrent_fwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                            const Tensor<T>& C, OptTensor<T> initial_state) {
  const auto s = detail::ssd_check(X, A, B, C, initial_state);
  SsdOut<T> r;
  r.Y = Tensor<T>(X.shape());
  r.final_state = initial_state ? *initial_state : Tensor<T>({s.Bt, s.H, s.P, s.N});
  const Index hpg = s.H / s.G;
  parallel_for(s.Bt, [&](Index b) {
    for (Index t = 0; t < s.L; ++t)
      for (Index h = 0; h < s.H; ++h) {
        const T a = std::exp(A.at(b, t, h));
        const T* x = X.ptr(b, t, h);
        const T* Bt = B.ptr(b, t, h / hpg);
        const T* Ct = C.ptr(b, t, h / hpg);
        T* S = r.final_state.ptr(b, h);
        T* y = r.Y.ptr(b, t, h);
        for (Index p = 0; p < s.P; ++p) {
          T acc = 0;
          for (Index n = 0; n < s.N; ++n) {
            T& v = S[p * s.N + n];
            v = a * v + x[p] * Bt[n];  // S_t = exp(A_t) S_{t−1} + X_t B_tᵀ
            acc += v * Ct[n];          // Y_t = S_t C_t
          }
          y[p] = acc;
        }
      }
  });
  return r;
}

template <class T>
SsdGrads<T> ssd_recurrent_bwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                              const Tensor<T>& C, OptTensor<T> initial_state,
                              const Tensor<T>& dY, OptTensor<T> dfinal_state) {
  const auto s = detail::ssd_check(X, A, B, C, initial_state);
  expect_shape(dY, X.shape(), "ssd: dY");
  if (dfinal_state) expect_shape(*dfinal_state, {s.Bt, s.H, s.P, s.N}, "ssd: dfinal_state");
  SsdGrads<T> g;
  g.dX = Tensor<T>(X.shape());
  g.dA = Tensor<T>(A.shape());
  g.dB = Tensor<T>(B.shape());
  g.dC = Tensor<T>(C.shape());
  if (initial_state) g.dinitial_state = Tensor<T>(initial_state->shape());
  const Index hpg = s.H / s.G, PN = s.P * s.N;
  parallel_for(s.Bt, [&](Index b) {
    for (Index h = 0; h < s.H; ++h) {
      // States S_{−1} … S_{L−1} for this (b, h), then the adjoint G_t = ∂L/∂S_t backwards.
      std::vector<T> Ss(size_t((s.L + 1) * PN), T(0));
      if (initial_state) std::copy(initial_state->ptr(b, h), initial_state->ptr(b, h) + PN, Ss.begin());
      for (Index t = 0; t < s.L; ++t) {
        const T a = std::exp(A.at(b, t, h));
        const T* x = X.ptr(b, t, h);
        const T* Bt = B.ptr(b, t, h / hpg);
        for (Index p = 0; p < s.P; ++p)
          for (Index n = 0; n < s.N; ++n)
            Ss[size_t((t + 1) * PN + p * s.N + n)] = a * Ss[size_t(t * PN + p * s.N + n)] + x[p] * Bt[n];
      }
      std::vector<T> G(size_t(PN), T(0));
      if (dfinal_state) std::copy(dfinal_state->ptr(b, h), dfinal_state->ptr(b, h) + PN, G.begin());
      for (Index t = s.L - 1; t >= 0; --t) {
        const T a = std::exp(A.at(b, t, h));
        const T* x = X.ptr(b, t, h);
        const T* dy = dY.ptr(b, t, h);
        const T* Bt = B.ptr(b, t, h / hpg);
        const T* Ct = C.ptr(b, t, h / hpg);
        T* dBt = g.dB.ptr(b, t, h / hpg);
        T* dCt = g.dC.ptr(b, t, h / hpg);
        T* dx = g.dX.ptr(b, t, h);
        const T* Sc = Ss.data() + (t + 1) * PN;
        const T* Sp = Ss.data() + t * PN;
        T dlog = 0;
        for (Index p = 0; p < s.P; ++p) {
          T dxp = 0;
          for (Index n = 0; n < s.N; ++n) {
            const Index i = p * s.N + n;
            dCt[n] += Sc[i] * dy[p];
            T& Gi = G[size_t(i)];
            Gi += dy[p] * Ct[n];
            dxp += Gi * Bt[n];
            dBt[n] += Gi * x[p];
            dlog += Gi * Sp[i];
            Gi *= a;
          }
          dx[p] = dxp;
        }
        g.dA.at(b, t, h) = dlog * a;  // ∂/∂A_t of exp(A_t)·⟨G, S_{t−1}⟩
      }
      if (initial_state) std::copy(G.begin(), G.end(), g.dinitial_state.ptr(b, h));
    }
  });
  return g;
}

template <class T>
Tensor<T> ssd_step(const Tensor<T>& X_t, const Tensor<T>& A_t, const Tensor<T>& B_t,
                   const Tensor<T>& C_t, Tensor<T>& state) {
  if (X_t.rank() != 3) throw Error(cat("ssd_step: X_t has shape ", shape_str(X_t.shape()), ", expected (B,H,P)"));
  const Index Bt = X_t.dim(0), H = X_t.dim(1), P = X_t.dim(2);
  if (B_t.rank() != 3) throw Error(cat("ssd_step: B_t has shape ", shape_str(B_t.shape()), ", expected (B,G,N)"));
  Tensor<T> X = X_t.reshaped({Bt, 1, H, P});
  Tensor<T> A = A_t.reshaped({Bt, 1, H});
  Tensor<T> Bv = B_t.reshaped({Bt, 1, B_t.dim(1), B_t.dim(2)});
  Tensor<T> Cv = C_t.reshaped({Bt, 1, C_t.dim(1), C_t.dim(2)});
  SsdOut<T> r = ssd_recurrent_fwd(X, A, Bv, Cv, &state);
  state = std::move(r.final_state);
  return std::move(r.Y).reshaped({Bt, H, P});
}

#define XSSM_INST(T)                                                                               \
  template SsdOut<T> ssd_recurrent_fwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,       \
                                       const Tensor<T>&, OptTensor<T>);                        \
  template SsdGrads<T> ssd_recurrent_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,     \
                                         const Tensor<T>&, OptTensor<T>, const Tensor<T>&,     \
                                         OptTensor<T>);                                        \
  template Tensor<T> ssd_step(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,                \
                              const Tensor<T>&, Tensor<T>&);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
