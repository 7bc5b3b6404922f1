// SSD, chunked form (the ssd_minimal algorithm, run chunk after chunk). For one (b, h) and a
// chunk of Q steps entered with state S (P×N), with a_τ = Σ_{r ≤ τ} A_r inside the chunk:
//
//   Lmask_τσ = exp(a_τ − a_σ) for σ ≤ τ, else 0          decay from step σ to step τ
//   M        = (C Bᵀ) ∘ Lmask                             (Q×Q) the "attention" matrix
//   Y        = M X + diag(e) C Sᵀ,        e_τ = exp(a_τ)   intra-chunk + state-to-output
//   S'       = e_{Q−1} S + Xᵀ diag(w) B,  w_σ = exp(a_{Q−1} − a_σ)    state passed on
//
// All exponents are ≤ 0 (A < 0), so nothing overflows. The last chunk may be shorter than
// chunk_size (no padding needed). The backward pass re-runs the forward keeping the state that
// enters every chunk, then walks the chunks backwards carrying dS.
#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/seq/ssd.hpp"

namespace xssm::seq {
namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// The per-chunk quantities shared by the forward and backward passes.
template <class T>
struct Chunk {
  Mat<T> X, B, C, Lmask, G;  // G = C Bᵀ
  Vec<T> a, e, w;
  // with_mask = false skips Lmask and G (the state-passing pass of the backward needs neither).
  void load(const Tensor<T>& Xt, const Tensor<T>& At, const Tensor<T>& Bt, const Tensor<T>& Ct,
            Index b, Index h, Index g, Index t0, Index Q, bool with_mask = true) {
    const Index P = Xt.dim(3), N = Bt.dim(3);
    X.resize(Q, P);
    B.resize(Q, N);
    C.resize(Q, N);
    a.resize(Q);
    T acc = 0;
    for (Index τ = 0; τ < Q; ++τ) {
      for (Index p = 0; p < P; ++p) X(τ, p) = Xt.at(b, t0 + τ, h, p);
      for (Index n = 0; n < N; ++n) {
        B(τ, n) = Bt.at(b, t0 + τ, g, n);
        C(τ, n) = Ct.at(b, t0 + τ, g, n);
      }
      acc += At.at(b, t0 + τ, h);
      a(τ) = acc;  // a_τ = Σ_{r ≤ τ} A_r
    }
    e = a.array().exp();
    w = (a(Q - 1) - a.array()).exp();
    if (!with_mask) return;
    // column σ of Lmask (contiguous, column-major) is exp(a_τ − a_σ) for τ ≥ σ: one vectorised exp
    Lmask.resize(Q, Q);
    for (Index σ = 0; σ < Q; ++σ) {
      Lmask.col(σ).head(σ).setZero();
      Lmask.col(σ).tail(Q - σ) = (a.tail(Q - σ).array() - a(σ)).exp();
    }
    G = C * B.transpose();
  }
};

}  // namespace

template <class T>
SsdOut<T> ssd_chunked_fwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                          const Tensor<T>& C, OptTensor<T> initial_state, Index chunk_size) {
  const auto s = detail::ssd_check(X, A, B, C, initial_state);
  if (chunk_size < 1) throw Error(cat("ssd: chunk_size must be ≥ 1, got ", chunk_size));
  SsdOut<T> r;
  r.Y = Tensor<T>(X.shape());
  r.final_state = initial_state ? *initial_state : Tensor<T>({s.Bt, s.H, s.P, s.N});
  const Index hpg = s.H / s.G;
  parallel_for(s.Bt * s.H, [&](Index bh) {
    const Index b = bh / s.H, h = bh % s.H;
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> S(
        r.final_state.ptr(b, h), s.P, s.N);
    Chunk<T> c;
    for (Index t0 = 0; t0 < s.L; t0 += chunk_size) {
      const Index Q = std::min(chunk_size, s.L - t0);
      c.load(X, A, B, C, b, h, h / hpg, t0, Q);
      const Mat<T> Y = (c.G.cwiseProduct(c.Lmask)) * c.X + c.e.asDiagonal() * (c.C * S.transpose());
      for (Index τ = 0; τ < Q; ++τ)
        for (Index p = 0; p < s.P; ++p) r.Y.at(b, t0 + τ, h, p) = Y(τ, p);
      const Mat<T> Snew = c.e(Q - 1) * Mat<T>(S) + c.X.transpose() * c.w.asDiagonal() * c.B;
      S = Snew;
    }
  });
  return r;
}

template <class T>
SsdGrads<T> ssd_chunked_bwd(const Tensor<T>& X, const Tensor<T>& A, const Tensor<T>& B,
                            const Tensor<T>& C, OptTensor<T> initial_state, Index chunk_size,
                            const Tensor<T>& dY, OptTensor<T> dfinal_state) {
  const auto s = detail::ssd_check(X, A, B, C, initial_state);
  if (chunk_size < 1) throw Error(cat("ssd: chunk_size must be ≥ 1, got ", chunk_size));
  expect_shape(dY, X.shape(), "ssd: dY");
  if (dfinal_state) expect_shape(*dfinal_state, {s.Bt, s.H, s.P, s.N}, "ssd: dfinal_state");
  SsdGrads<T> g;
  g.dX = Tensor<T>(X.shape());
  g.dA = Tensor<T>(A.shape());
  g.dB = Tensor<T>(B.shape());
  g.dC = Tensor<T>(C.shape());
  if (initial_state) g.dinitial_state = Tensor<T>(initial_state->shape());
  const Index hpg = s.H / s.G;
  const Index nc = (s.L + chunk_size - 1) / chunk_size;
  // Parallel over the batch only: heads of one group write the same rows of dB, dC.
  parallel_for(s.Bt, [&](Index b) {
    for (Index h = 0; h < s.H; ++h) {
      const Index grp = h / hpg;
      std::vector<Mat<T>> Sin(static_cast<size_t>(nc));
      Mat<T> S = Mat<T>::Zero(s.P, s.N);
      if (initial_state)
        for (Index p = 0; p < s.P; ++p)
          for (Index n = 0; n < s.N; ++n) S(p, n) = initial_state->at(b, h, p, n);
      Chunk<T> c;
      for (Index j = 0; j < nc; ++j) {
        const Index t0 = j * chunk_size, Q = std::min(chunk_size, s.L - t0);
        Sin[size_t(j)] = S;
        c.load(X, A, B, C, b, h, grp, t0, Q, /*with_mask=*/false);
        S = c.e(Q - 1) * S + c.X.transpose() * c.w.asDiagonal() * c.B;
      }
      Mat<T> dS = Mat<T>::Zero(s.P, s.N);  // ∂L/∂(state leaving the chunk)
      if (dfinal_state)
        for (Index p = 0; p < s.P; ++p)
          for (Index n = 0; n < s.N; ++n) dS(p, n) = dfinal_state->at(b, h, p, n);
      for (Index j = nc - 1; j >= 0; --j) {
        const Index t0 = j * chunk_size, Q = std::min(chunk_size, s.L - t0);
        c.load(X, A, B, C, b, h, grp, t0, Q);
        const Mat<T>& S0 = Sin[size_t(j)];
        Mat<T> dYc(Q, s.P);
        for (Index τ = 0; τ < Q; ++τ)
          for (Index p = 0; p < s.P; ++p) dYc(τ, p) = dY.at(b, t0 + τ, h, p);
        const Mat<T> M = c.G.cwiseProduct(c.Lmask);
        // Y = M X
        Mat<T> dX = M.transpose() * dYc;
        const Mat<T> dM = (dYc * c.X.transpose()).template triangularView<Eigen::Lower>();
        const Mat<T> dG = dM.cwiseProduct(c.Lmask);
        Mat<T> dC = dG * c.B;
        Mat<T> dB = dG.transpose() * c.C;
        const Mat<T> Tm = dM.cwiseProduct(M);  // ∂L/∂(a_τ − a_σ)
        Vec<T> da = Tm.rowwise().sum() - Tm.colwise().sum().transpose();
        // Y += diag(e) C S0ᵀ
        const Mat<T> CS = c.C * S0.transpose();  // (Q×P)
        dC += c.e.asDiagonal() * (dYc * S0);
        da += c.e.cwiseProduct(dYc.cwiseProduct(CS).rowwise().sum());
        Mat<T> dSin = (c.e.asDiagonal() * dYc).transpose() * c.C;
        // S' = e_{Q−1} S0 + Xᵀ diag(w) B
        dSin += c.e(Q - 1) * dS;
        da(Q - 1) += c.e(Q - 1) * dS.cwiseProduct(S0).sum();
        const Mat<T> XdS = c.X * dS;  // (Q×N)
        dB += c.w.asDiagonal() * XdS;
        dX += c.w.asDiagonal() * (c.B * dS.transpose());
        const Vec<T> wdw = c.w.cwiseProduct(XdS.cwiseProduct(c.B).rowwise().sum());
        da(Q - 1) += wdw.sum();
        da -= wdw;
        // a_τ = Σ_{r ≤ τ} A_r  ⇒  dA_r = Σ_{τ ≥ r} da_τ
        T acc = 0;
        for (Index τ = Q - 1; τ >= 0; --τ) {
          acc += da(τ);
          g.dA.at(b, t0 + τ, h) = acc;
          for (Index p = 0; p < s.P; ++p) g.dX.at(b, t0 + τ, h, p) = dX(τ, p);
          for (Index n = 0; n < s.N; ++n) {
            g.dB.at(b, t0 + τ, grp, n) += dB(τ, n);
            g.dC.at(b, t0 + τ, grp, n) += dC(τ, n);
          }
        }
        dS = dSin;
      }
      if (initial_state)
        for (Index p = 0; p < s.P; ++p)
          for (Index n = 0; n < s.N; ++n) g.dinitial_state.at(b, h, p, n) = dS(p, n);
    }
  });
  return g;
}

#define XSSM_INST(T)                                                                            \
  template SsdOut<T> ssd_chunked_fwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,      \
                                     const Tensor<T>&, OptTensor<T>, Index);                \
  template SsdGrads<T> ssd_chunked_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,    \
                                       const Tensor<T>&, OptTensor<T>, Index,               \
                                       const Tensor<T>&, OptTensor<T>);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
