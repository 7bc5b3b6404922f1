// mLSTM parallel form: the stabilised quadratic form of parallel_stabilized_simple (row-wise
// stabiliser), forward and backward. One (b, head) at a time, S×S matrices, parallel over B·NH.
// Notation (paper / docs/maths/mlstm.md), per (b, head), t, s = 0 … S−1:
//   F_t     = Σ_{r ≤ t} logσ(f̃_r)
//   logD_ts = F_t − F_s + ĩ_s (s ≤ t), −∞ (s > t)
//   M_t     = max_s logD_ts
//   C_ts    = (q_t·k_s/√DH) · exp(logD_ts − M_t)
//   N_t     = max(|Σ_s C_ts|, exp(−M_t))
//   h_t     = (Σ_s C_ts v_s) / (N_t + eps)
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

/// Forward intermediates of one (b, head).
template <class T>
struct ParallelHead {
  Vec<T> F, M, r, den;       // (S)
  std::vector<Index> argM;   // s* of each row's max
  Mat<T> Dm, QK, Cm, num;    // (S,S) and num (S,DH)

  void forward(const T* q, const T* k, const T* v, const T* ig, const T* fg, Index S, Index DH, double eps) {
    CMatMap<T> Q(q, S, DH), K(k, S, DH), V(v, S, DH);
    F.resize(S);
    T acc = 0;
    for (Index t = 0; t < S; ++t) F[t] = (acc += detail::logsigmoid(fg[t]));
    M.resize(S);
    argM.assign(size_t(S), 0);
    Dm.setZero(S, S);
    for (Index t = 0; t < S; ++t) {
      T best = -std::numeric_limits<T>::infinity();
      Index arg = 0;
      for (Index s = 0; s <= t; ++s) {
        const T ld = F[t] - F[s] + ig[s];  // logD_ts
        Dm(t, s) = ld;
        if (ld > best) best = ld, arg = s;  // first index on ties, like torch.max(dim)
      }
      M[t] = best;
      argM[size_t(t)] = arg;
      for (Index s = 0; s <= t; ++s) Dm(t, s) = std::exp(Dm(t, s) - best);  // exp(logD_ts − M_t)
    }
    QK.noalias() = Q * K.transpose();
    QK *= T(1) / std::sqrt(T(DH));  // keys divided by √DH
    Cm = QK.cwiseProduct(Dm);
    r = Cm.rowwise().sum();
    den.resize(S);
    for (Index t = 0; t < S; ++t) den[t] = std::max(std::fabs(r[t]), std::exp(-M[t])) + T(eps);
    num.noalias() = Cm * V;
  }
};

template <class T>
void fwd_impl(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& ig,
              const Tensor<T>& fg, Tensor<T>& h, double eps) {
  const MlstmDims d = mlstm_dims(q, k, v, ig, fg);
  h = Tensor<T>(q.shape());
  const Index S = d.S, DH = d.DH;
  parallel_for(d.B * d.NH, [&](Index bh) {
    ParallelHead<T> w;
    w.forward(q.data() + bh * S * DH, k.data() + bh * S * DH, v.data() + bh * S * DH, ig.data() + bh * S,
              fg.data() + bh * S, S, DH, eps);
    MatMap<T> H(h.data() + bh * S * DH, S, DH);
    H = w.den.cwiseInverse().asDiagonal() * w.num;  // h_t = num_t / (N_t + eps)
  });
}

}  // namespace

template <class T>
Tensor<T> mlstm_parallel_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                             const Tensor<T>& fgate, double eps) {
  Tensor<T> h;
  fwd_impl(q, k, v, igate, fgate, h, eps);
  return h;
}

template <class T>
void mlstm_parallel_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                        const Tensor<T>& fgate, const Tensor<T>& dh, MlstmGrads<T>& g, double eps) {
  const MlstmDims d = mlstm_dims(q, k, v, igate, fgate);
  expect_shape(dh, q.shape(), "mlstm_parallel_bwd: dh");
  const Index S = d.S, DH = d.DH;
  g.dq = Tensor<T>(q.shape());
  g.dk = Tensor<T>(q.shape());
  g.dv = Tensor<T>(q.shape());
  g.di = Tensor<T>(igate.shape());
  g.df = Tensor<T>(fgate.shape());
  const T inv_sqrt = T(1) / std::sqrt(T(DH));
  parallel_for(d.B * d.NH, [&](Index bh) {
    const Index o = bh * S * DH;
    const T* ig = igate.data() + bh * S;
    const T* fg = fgate.data() + bh * S;
    ParallelHead<T> w;
    w.forward(q.data() + o, k.data() + o, v.data() + o, ig, fg, S, DH, eps);
    CMatMap<T> Q(q.data() + o, S, DH), K(k.data() + o, S, DH), V(v.data() + o, S, DH), dH(dh.data() + o, S, DH);
    MatMap<T> dQ(g.dq.data() + o, S, DH), dK(g.dk.data() + o, S, DH), dV(g.dv.data() + o, S, DH);
    // h_t = num_t / den_t:  dnum_t = dh_t / den_t,  dden_t = −(dh_t·num_t) / den_t²
    Mat<T> dnum = w.den.cwiseInverse().asDiagonal() * dH;
    Vec<T> dM = Vec<T>::Zero(S), dr(S);
    for (Index t = 0; t < S; ++t) {
      const T dden = -dH.row(t).dot(w.num.row(t)) / (w.den[t] * w.den[t]);
      // N_t = max(|r_t|, exp(−M_t))
      const T a = std::fabs(w.r[t]), b = std::exp(-w.M[t]);
      const T sa = detail::max_share_a(a, b);
      dr[t] = sa * dden * detail::sgn(w.r[t]);
      dM[t] += (T(1) - sa) * dden * (-b);
    }
    // num = C V, r = C·1:  dC = dnum Vᵀ + dr 1ᵀ,  dV = Cᵀ dnum
    Mat<T> dC = dnum * V.transpose();
    dC.colwise() += dr;
    dV.noalias() = w.Cm.transpose() * dnum;
    // C = QK ⊙ D:  dQK = dC ⊙ D,  dD = dC ⊙ QK;  QK = Q Kᵀ/√DH
    Mat<T> dQK = dC.cwiseProduct(w.Dm);
    dQ.noalias() = inv_sqrt * (dQK * K);
    dK.noalias() = inv_sqrt * (dQK.transpose() * Q);
    // D_ts = exp(logD_ts − M_t):  dlogD = dD ⊙ D,  dM_t −= Σ_s dlogD_ts  (only s ≤ t is non-zero)
    Mat<T> dlogD = dC.cwiseProduct(w.QK).cwiseProduct(w.Dm);
    dM -= dlogD.rowwise().sum();
    // M_t = logD_{t,s*}: the whole dM_t goes to the selected entry (torch.max(dim) backward)
    for (Index t = 0; t < S; ++t) dlogD(t, w.argM[size_t(t)]) += dM[t];
    // logD_ts = F_t − F_s + ĩ_s (s ≤ t)
    T* di = g.di.data() + bh * S;
    T* df = g.df.data() + bh * S;
    Vec<T> dF = Vec<T>::Zero(S);
    for (Index t = 0; t < S; ++t)
      for (Index s = 0; s <= t; ++s) {
        const T x = dlogD(t, s);
        dF[t] += x;
        dF[s] -= x;
        di[s] += x;
      }
    // F = cumsum(logσ(f̃)):  dlogσ(f̃_r) = Σ_{t ≥ r} dF_t
    T acc = 0;
    for (Index r = S - 1; r >= 0; --r) {
      acc += dF[r];
      df[r] = acc * detail::logsigmoid_grad(fg[r]);
    }
  });
}

#define XSSM_INST(T)                                                                                              \
  template Tensor<T> mlstm_parallel_fwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,   \
                                        const Tensor<T>&, double);                                                \
  template void mlstm_parallel_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,        \
                                   const Tensor<T>&, const Tensor<T>&, MlstmGrads<T>&, double);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
