// mLSTM chunkwise form (chunkwise_simple), forward and backward, any chunk size L and any length
// S (the last chunk is shorter when L does not divide S), initial state in, last state out.
// State in the recurrent scale (k̂ = k/√DH; the official code scales q instead and keeps √DH·C).
// For chunk j (steps jL … jL+Lc−1), positions τ, σ < Lc, entering state (C_j, n_j, m_j):
//   a_τ      = Σ_{r ≤ τ} logσ(f̃_{jL+r}),  A = a_{Lc−1}
//   logD_τσ  = a_τ − a_σ + ĩ_σ (σ ≤ τ);  stab_τ = max(max_σ logD_τσ, m_j + a_τ)
//   E_τσ     = (q_τ·k̂_σ) exp(logD_τσ − stab_τ),   β_τ = exp(m_j + a_τ − stab_τ)
//   N_τ      = max(|Σ_σ E_τσ + β_τ q_τ·n_j|, exp(−stab_τ))
//   h_τ      = (Σ_σ E_τσ v_σ + β_τ C_jᵀ q_τ) / (N_τ + eps)
//   w_τ      = ĩ_τ + A − a_τ,  μ = max_τ w_τ,  m_{j+1} = max(A + m_j, μ)
//   C_{j+1}  = exp(A + m_j − m_{j+1}) C_j + Σ_τ exp(w_τ − m_{j+1}) k̂_τ v_τᵀ   (n likewise with k̂_τ)
// stab_τ equals the recurrent m at that step, so all forms agree for the same m_0.
#include <cmath>
#include <limits>
#include <vector>

#include "xssm/core/parallel.hpp"
#include "xssm/seq/mlstm_common.hpp"

namespace xssm::seq {
namespace {

template <class T>
using Mat = MatR<T>;
template <class T>
using Vec = VecX<T>;

/// Intermediates of one chunk of one (b, head).
template <class T>
struct Chunk {
  Index L = 0;
  Vec<T> a, c, Dmax, g, stab, beta, qn, r, den, w, gam;  // c = a − ĩ
  std::vector<Index> argD;
  Mat<T> Kh, Dm, QK, E, qC, num;  // Kh = k̂ (L,DH)
  T A = 0, mu = 0, m_next = 0, alpha = 0;
  Index argmu = 0;

  /// Forward of the chunk from state (C, n, m); writes h (L,DH) when h != nullptr and the next
  /// state into (Cn, nn, mn). intra = false computes the next state only (the backward's state
  /// pass): the intra-chunk matrices (logD, QK, E, num) are skipped.
  template <class QM, class KM, class VM>
  void forward(const QM& Q, const KM& K, const VM& V, const T* ig, const T* fg, const T* C_, const T* n_, T m,
               T* h, T* Cn, T* nn, T& mn, double eps, bool intra = true) {
    L = Q.rows();
    const Index DH = Q.cols();
    CMatMap<T> C(C_, DH, DH);
    CVecMap<T> n(n_, DH);
    Kh = K * (T(1) / std::sqrt(T(DH)));
    a.resize(L);
    T acc = 0;
    for (Index t = 0; t < L; ++t) a[t] = (acc += detail::logsigmoid(fg[t]));
    A = a[L - 1];
    if (intra) outputs(Q, V, ig, C, n, m, h, eps);
    next_state(V, ig, C, n, m, Cn, nn, mn);
  }

  /// h of the chunk (and every intermediate the backward reads) from the entering state.
  template <class QM, class VM>
  void outputs(const QM& Q, const VM& V, const T* ig, const CMatMap<T>& C, const CVecMap<T>& n, T m, T* h,
               double eps) {
    const Index DH = Q.cols();
    Dmax.resize(L);
    g.resize(L);
    stab.resize(L);
    argD.assign(size_t(L), 0);
    // row τ of logD is a_τ − (a_σ − ĩ_σ) for σ ≤ τ: filled, maximised and exponentiated as
    // contiguous row segments so Eigen vectorises the exp (the upper triangle stays 0).
    c.noalias() = a - CVecMap<T>(ig, L);
    Dm.resize(L, L);
    for (Index t = 0; t < L; ++t) {
      auto row = Dm.row(t).head(t + 1).array();
      row = a[t] - c.head(t + 1).transpose().array();
      Index arg = 0;
      const T best = row.maxCoeff(&arg);  // the first maximum, as a strict > scan
      Dmax[t] = best;
      argD[size_t(t)] = arg;
      g[t] = m + a[t];
      stab[t] = std::max(best, g[t]);
      row = (row - stab[t]).exp();
      Dm.row(t).tail(L - t - 1).setZero();
    }
    QK.noalias() = Q * Kh.transpose();
    E = QK.cwiseProduct(Dm);
    beta = (g - stab).array().exp();
    qC.noalias() = Q * C;
    qn.noalias() = Q * n;
    r = E.rowwise().sum() + beta.cwiseProduct(qn);
    den.resize(L);
    for (Index t = 0; t < L; ++t) den[t] = std::max(std::fabs(r[t]), std::exp(-stab[t])) + T(eps);
    num.noalias() = E * V;
    num += beta.asDiagonal() * qC;
    if (h) MatMap<T>(h, L, DH) = den.cwiseInverse().asDiagonal() * num;
  }

  /// The state at the chunk end.
  template <class VM>
  void next_state(const VM& V, const T* ig, const CMatMap<T>& C, const CVecMap<T>& n, T m, T* Cn, T* nn, T& mn) {
    const Index DH = C.rows();
    w.resize(L);
    mu = -std::numeric_limits<T>::infinity();
    argmu = 0;
    for (Index t = 0; t < L; ++t) {
      w[t] = ig[t] + A - a[t];
      if (w[t] > mu) mu = w[t], argmu = t;
    }
    m_next = std::max(A + m, mu);
    alpha = std::exp(A + m - m_next);
    gam = (w.array() - m_next).exp();
    MatMap<T> CN(Cn, DH, DH);
    VecMap<T> NN(nn, DH);
    CN = alpha * C;
    CN.noalias() += Kh.transpose() * gam.asDiagonal() * V;
    NN = alpha * n + Kh.transpose() * gam;
    mn = m_next;
  }
};

template <class T>
void copy_state0(const NoDeduce<MlstmState<T>>* s0, Index bh, Index DH, T* C, T* n, T& m) {
  if (s0) {
    std::copy_n(s0->C.data() + bh * DH * DH, DH * DH, C);
    std::copy_n(s0->n.data() + bh * DH, DH, n);
    m = s0->m[bh];
  } else {
    std::fill_n(C, DH * DH, T(0));
    std::fill_n(n, DH, T(0));
    m = -std::numeric_limits<T>::infinity();
  }
}

Index check_chunk(Index chunk_size) {
  if (chunk_size < 1) throw UsageError(cat("mlstm_chunkwise: chunk size ", chunk_size, ", expected >= 1"));
  return chunk_size;
}

}  // namespace

template <class T>
Tensor<T> mlstm_chunkwise_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                              const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, NoDeduce<MlstmState<T>>* last,
                              Index chunk_size, double eps) {
  const MlstmDims d = mlstm_dims(q, k, v, igate, fgate, state0);
  const Index L = check_chunk(chunk_size), S = d.S, DH = d.DH, DD = DH * DH;
  Tensor<T> h(q.shape());
  MlstmState<T> st = MlstmState<T>::zeros(d.B, d.NH, DH);
  parallel_for(d.B * d.NH, [&](Index bh) {
    Mat<T> C(DH, DH), Cn(DH, DH);
    Vec<T> n(DH), nn(DH);
    T m, mn;
    copy_state0(state0, bh, DH, C.data(), n.data(), m);
    const Index o = bh * S * DH;
    Chunk<T> ch;
    for (Index t0 = 0; t0 < S; t0 += L) {
      const Index Lc = std::min(L, S - t0);
      CMatMap<T> Q(q.data() + o + t0 * DH, Lc, DH), K(k.data() + o + t0 * DH, Lc, DH), V(v.data() + o + t0 * DH, Lc, DH);
      ch.forward(Q, K, V, igate.data() + bh * S + t0, fgate.data() + bh * S + t0, C.data(), n.data(), m,
                 h.data() + o + t0 * DH, Cn.data(), nn.data(), mn, eps);
      C.swap(Cn);
      n.swap(nn);
      m = mn;
    }
    std::copy_n(C.data(), DD, st.C.data() + bh * DD);
    std::copy_n(n.data(), DH, st.n.data() + bh * DH);
    st.m[bh] = m;
  });
  if (last) *last = std::move(st);
  return h;
}

template <class T>
void mlstm_chunkwise_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                         const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, Index chunk_size, const Tensor<T>& dh,
                         const NoDeduce<MlstmState<T>>* dlast, MlstmGrads<T>& g, double eps) {
  const MlstmDims d = mlstm_dims(q, k, v, igate, fgate, state0);
  expect_shape(dh, q.shape(), "mlstm_chunkwise_bwd: dh");
  if (dlast) mlstm_dims(q, k, v, igate, fgate, dlast);
  const Index L = check_chunk(chunk_size), S = d.S, DH = d.DH, DD = DH * DH;
  const Index NC = (S + L - 1) / L;
  g.dq = Tensor<T>(q.shape());
  g.dk = Tensor<T>(q.shape());
  g.dv = Tensor<T>(q.shape());
  g.di = Tensor<T>(igate.shape());
  g.df = Tensor<T>(fgate.shape());
  g.dstate0 = MlstmState<T>::zeros(d.B, d.NH, DH, T(0));
  const T ks = T(1) / std::sqrt(T(DH));
  parallel_for(d.B * d.NH, [&](Index bh) {
    const Index o = bh * S * DH;
    // forward: states entering every chunk (index j) and after the last (index NC)
    std::vector<T> Cs(size_t((NC + 1) * DD)), ns(size_t((NC + 1) * DH)), ms(size_t(NC + 1));
    copy_state0(state0, bh, DH, Cs.data(), ns.data(), ms[0]);
    Chunk<T> ch;
    for (Index j = 0; j < NC; ++j) {
      const Index t0 = j * L, Lc = std::min(L, S - t0);
      CMatMap<T> Q(q.data() + o + t0 * DH, Lc, DH), K(k.data() + o + t0 * DH, Lc, DH), V(v.data() + o + t0 * DH, Lc, DH);
      ch.forward(Q, K, V, igate.data() + bh * S + t0, fgate.data() + bh * S + t0, Cs.data() + j * DD,
                 ns.data() + j * DH, ms[size_t(j)], nullptr, Cs.data() + (j + 1) * DD, ns.data() + (j + 1) * DH,
                 ms[size_t(j + 1)], eps, /*intra=*/false);
    }
    // cotangents of the state leaving the current chunk
    Mat<T> dCn = Mat<T>::Zero(DH, DH);
    Vec<T> dnn = Vec<T>::Zero(DH);
    T dmn = 0;
    if (dlast) {
      dCn = CMatMap<T>(dlast->C.data() + bh * DD, DH, DH);
      dnn = CVecMap<T>(dlast->n.data() + bh * DH, DH);
      dmn = dlast->m[bh];
    }
    Mat<T> Cn_tmp(DH, DH);
    Vec<T> nn_tmp(DH);
    T mn_tmp;
    for (Index j = NC - 1; j >= 0; --j) {
      const Index t0 = j * L, Lc = std::min(L, S - t0);
      const T* ig = igate.data() + bh * S + t0;
      const T* fg = fgate.data() + bh * S + t0;
      CMatMap<T> Q(q.data() + o + t0 * DH, Lc, DH), K(k.data() + o + t0 * DH, Lc, DH), V(v.data() + o + t0 * DH, Lc, DH);
      CMatMap<T> dH(dh.data() + o + t0 * DH, Lc, DH);
      CMatMap<T> C(Cs.data() + j * DD, DH, DH);
      CVecMap<T> n(ns.data() + j * DH, DH);
      const T m = ms[size_t(j)];
      ch.forward(Q, K, V, ig, fg, C.data(), n.data(), m, nullptr, Cn_tmp.data(), nn_tmp.data(), mn_tmp, eps);
      MatMap<T> dQ(g.dq.data() + o + t0 * DH, Lc, DH), dK(g.dk.data() + o + t0 * DH, Lc, DH),
          dV(g.dv.data() + o + t0 * DH, Lc, DH);
      Mat<T> dKh = Mat<T>::Zero(Lc, DH);
      Vec<T> da = Vec<T>::Zero(Lc), dig = Vec<T>::Zero(Lc);
      T dA = 0, dm = 0;
      // --- state update: C_{j+1} = α C_j + K̂ᵀ diag(γ) V,  n_{j+1} = α n_j + K̂ᵀ γ
      const T dalpha = dCn.cwiseProduct(C).sum() + dnn.dot(n);
      Mat<T> dC = ch.alpha * dCn;
      Vec<T> dn = ch.alpha * dnn;
      const Mat<T> KdC = ch.Kh * dCn;  // row τ: k̂_τᵀ dC_{j+1}
      Vec<T> dgam = KdC.cwiseProduct(V).rowwise().sum() + ch.Kh * dnn;
      Mat<T> VdCt = V * dCn.transpose();  // row τ: (dC_{j+1} v_τ)ᵀ
      VdCt.rowwise() += dnn.transpose();
      dKh.noalias() += ch.gam.asDiagonal() * VdCt;
      dV.noalias() = ch.gam.asDiagonal() * KdC;
      // α = exp(A + m_j − m_{j+1}),  γ_τ = exp(w_τ − m_{j+1})
      const T pa = dalpha * ch.alpha;
      dA += pa;
      dm += pa;
      T dmn_tot = dmn - pa;
      const Vec<T> dw0 = dgam.cwiseProduct(ch.gam);
      Vec<T> dw = dw0;
      dmn_tot -= dw0.sum();
      // m_{j+1} = max(A + m_j, μ),  μ = w_{τ*}
      const T sa = detail::max_share_a(ch.A + m, ch.mu);
      dA += sa * dmn_tot;
      dm += sa * dmn_tot;
      dw[ch.argmu] += (T(1) - sa) * dmn_tot;
      // w_τ = ĩ_τ + A − a_τ
      dig += dw;
      dA += dw.sum();
      da -= dw;
      // --- outputs: h_τ = num_τ / den_τ
      Mat<T> dnum = ch.den.cwiseInverse().asDiagonal() * dH;
      Vec<T> dr(Lc), dstab = Vec<T>::Zero(Lc);
      for (Index t = 0; t < Lc; ++t) {
        const T dden = -dH.row(t).dot(ch.num.row(t)) / (ch.den[t] * ch.den[t]);
        const T lo = std::exp(-ch.stab[t]);
        const T s = detail::max_share_a(std::fabs(ch.r[t]), lo);
        dr[t] = s * dden * detail::sgn(ch.r[t]);
        dstab[t] += (T(1) - s) * dden * (-lo);
      }
      // num = E V + diag(β) Q C_j,  r = E 1 + β ⊙ (Q n_j)
      Mat<T> dE = dnum * V.transpose();
      dE.colwise() += dr;
      dV.noalias() += ch.E.transpose() * dnum;
      Vec<T> dbeta = dnum.cwiseProduct(ch.qC).rowwise().sum() + dr.cwiseProduct(ch.qn);
      const Mat<T> bdnum = ch.beta.asDiagonal() * dnum;
      const Vec<T> bdr = ch.beta.cwiseProduct(dr);
      dQ.noalias() = bdnum * C.transpose();
      dQ.noalias() += bdr * n.transpose();
      dC.noalias() += Q.transpose() * bdnum;
      dn.noalias() += Q.transpose() * bdr;
      // E = QK ⊙ D,  QK = Q K̂ᵀ
      const Mat<T> dQK = dE.cwiseProduct(ch.Dm);
      dQ.noalias() += dQK * ch.Kh;
      dKh.noalias() += dQK.transpose() * Q;
      // D_τσ = exp(logD_τσ − stab_τ),  β_τ = exp(g_τ − stab_τ),  g_τ = m_j + a_τ
      Mat<T> P = dE.cwiseProduct(ch.QK).cwiseProduct(ch.Dm);
      dstab -= P.rowwise().sum();
      const Vec<T> pb = dbeta.cwiseProduct(ch.beta);
      Vec<T> dg = pb;
      dstab -= pb;
      // stab_τ = max(Dmax_τ, g_τ),  Dmax_τ = logD_{τ,σ*}
      for (Index t = 0; t < Lc; ++t) {
        const T s = detail::max_share_a(ch.Dmax[t], ch.g[t]);
        P(t, ch.argD[size_t(t)]) += s * dstab[t];
        dg[t] += (T(1) - s) * dstab[t];
      }
      dm += dg.sum();
      da += dg;
      // logD_τσ = a_τ − a_σ + ĩ_σ
      da += P.rowwise().sum();
      const Vec<T> colP = P.colwise().sum().transpose();
      da -= colP;
      dig += colP;
      // a = cumsum(logσ(f̃)), A = a_{Lc−1}
      da[Lc - 1] += dA;
      T acc = 0;
      for (Index t = Lc - 1; t >= 0; --t) {
        acc += da[t];
        g.df[bh * S + t0 + t] = acc * detail::logsigmoid_grad(fg[t]);
        g.di[bh * S + t0 + t] = dig[t];
      }
      dK = ks * dKh;
      dCn = dC;
      dnn = dn;
      dmn = dm;
    }
    MatMap<T>(g.dstate0.C.data() + bh * DD, DH, DH) = dCn;
    VecMap<T>(g.dstate0.n.data() + bh * DH, DH) = dnn;
    g.dstate0.m[bh] = dmn;
  });
}

#define XSSM_INST(T)                                                                                              \
  template Tensor<T> mlstm_chunkwise_fwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,  \
                                         const Tensor<T>&, const NoDeduce<MlstmState<T>>*, MlstmState<T>*, Index, double);  \
  template void mlstm_chunkwise_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,       \
                                    const Tensor<T>&, const NoDeduce<MlstmState<T>>*, Index, const Tensor<T>&,              \
                                    const NoDeduce<MlstmState<T>>*, MlstmGrads<T>&, double);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
