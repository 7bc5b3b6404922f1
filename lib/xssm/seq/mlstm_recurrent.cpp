// mLSTM recurrent form: recurrent_step_stabilized_simple applied step by step, forward and a
// backward through the steps (stores every state: S·DH² numbers per (b, head)).
// Per step t, for every (b, head), with k̂ = k_t/√DH (paper notation):
//   m_t  = max(logσ(f̃_t) + m_{t−1}, ĩ_t)
//   f'_t = exp(logσ(f̃_t) + m_{t−1} − m_t),   i'_t = exp(ĩ_t − m_t)
//   C_t  = f'_t C_{t−1} + i'_t k̂ v_tᵀ,   n_t = f'_t n_{t−1} + i'_t k̂
//   h_t  = C_tᵀ q_t / (max(|q_t·n_t|, exp(−m_t)) + eps)
#include <cmath>
#include <limits>
#include <vector>

#include "xssm/core/parallel.hpp"
#include "xssm/seq/mlstm_common.hpp"

namespace xssm::seq {
namespace {

template <class T>
using Vec = VecX<T>;

/// One step of one (b, head), state (C, n, m) updated in place; h ← h_t.
template <class T>
void step_head(const T* q, const T* k, const T* v, T ig, T fg, T* C, T* n, T& m, T* h, Index DH, double eps) {
  const T lf = detail::logsigmoid(fg);
  const T m_new = std::max(lf + m, ig);
  const T fa = std::exp(lf + m - m_new);  // f'_t (0 when m_{t−1} = −∞)
  const T ia = std::exp(ig - m_new);      // i'_t
  const T s = T(1) / std::sqrt(T(DH));
  MatMap<T> Cm(C, DH, DH);
  VecMap<T> nv(n, DH);
  CVecMap<T> qv(q, DH), kv(k, DH), vv(v, DH);
  Cm = fa * Cm + (ia * s) * (kv * vv.transpose());
  nv = fa * nv + (ia * s) * kv;
  m = m_new;
  const T qn = qv.dot(nv);
  const T den = std::max(std::fabs(qn), std::exp(-m_new)) + T(eps);
  VecMap<T>(h, DH).noalias() = (Cm.transpose() * qv) / den;
}

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

}  // namespace

template <class T>
Tensor<T> mlstm_recurrent_step(const Tensor<T>& q_t, const Tensor<T>& k_t, const Tensor<T>& v_t,
                               const Tensor<T>& igate_t, const Tensor<T>& fgate_t, MlstmState<T>& state,
                               double eps) {
  if (q_t.rank() != 3) throw Error(cat("mlstm_recurrent_step: q_t has shape ", shape_str(q_t.shape()),
                                       ", expected (B,NH,DH)"));
  const Index B = q_t.dim(0), NH = q_t.dim(1), DH = q_t.dim(2);
  expect_shape(k_t, q_t.shape(), "mlstm_recurrent_step: k_t");
  expect_shape(v_t, q_t.shape(), "mlstm_recurrent_step: v_t");
  if (igate_t.size() != B * NH || fgate_t.size() != B * NH)
    throw Error(cat("mlstm_recurrent_step: gates have ", igate_t.size(), " and ", fgate_t.size(),
                    " entries, expected B·NH = ", B * NH));
  expect_shape(state.C, {B, NH, DH, DH}, "mlstm_recurrent_step: state C");
  if (state.n.size() != B * NH * DH || state.m.size() != B * NH)
    throw Error(cat("mlstm_recurrent_step: state n/m have shapes ", shape_str(state.n.shape()), " ",
                    shape_str(state.m.shape()), ", expected (B,NH,DH) and (B,NH)"));
  Tensor<T> h({B, NH, DH});
  parallel_for(B * NH, [&](Index bh) {
    step_head(q_t.data() + bh * DH, k_t.data() + bh * DH, v_t.data() + bh * DH, igate_t[bh], fgate_t[bh],
              state.C.data() + bh * DH * DH, state.n.data() + bh * DH, state.m[bh], h.data() + bh * DH, DH, eps);
  });
  return h;
}

template <class T>
Tensor<T> mlstm_recurrent_fwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                              const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, NoDeduce<MlstmState<T>>* last, double eps) {
  const MlstmDims d = mlstm_dims(q, k, v, igate, fgate, state0);
  const Index S = d.S, DH = d.DH;
  Tensor<T> h(q.shape());
  MlstmState<T> st = MlstmState<T>::zeros(d.B, d.NH, DH);
  parallel_for(d.B * d.NH, [&](Index bh) {
    T* C = st.C.data() + bh * DH * DH;
    T* n = st.n.data() + bh * DH;
    T& m = st.m[bh];
    copy_state0(state0, bh, DH, C, n, m);
    const Index o = bh * S * DH;
    for (Index t = 0; t < S; ++t)
      step_head(q.data() + o + t * DH, k.data() + o + t * DH, v.data() + o + t * DH, igate[bh * S + t],
                fgate[bh * S + t], C, n, m, h.data() + o + t * DH, DH, eps);
  });
  if (last) *last = std::move(st);
  return h;
}

template <class T>
void mlstm_recurrent_bwd(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                         const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state0, const Tensor<T>& dh,
                         const NoDeduce<MlstmState<T>>* dlast, MlstmGrads<T>& g, double eps) {
  const MlstmDims d = mlstm_dims(q, k, v, igate, fgate, state0);
  expect_shape(dh, q.shape(), "mlstm_recurrent_bwd: dh");
  if (dlast) mlstm_dims(q, k, v, igate, fgate, dlast);
  const Index S = d.S, DH = d.DH, DD = DH * DH;
  g.dq = Tensor<T>(q.shape());
  g.dk = Tensor<T>(q.shape());
  g.dv = Tensor<T>(q.shape());
  g.di = Tensor<T>(igate.shape());
  g.df = Tensor<T>(fgate.shape());
  g.dstate0 = MlstmState<T>::zeros(d.B, d.NH, DH, T(0));
  const T s = T(1) / std::sqrt(T(DH));
  parallel_for(d.B * d.NH, [&](Index bh) {
    // forward, keeping states 0 … S (index t+1 = after step t)
    std::vector<T> Cs(size_t((S + 1) * DD)), ns(size_t((S + 1) * DH)), ms(size_t(S + 1));
    copy_state0(state0, bh, DH, Cs.data(), ns.data(), ms[0]);
    const Index o = bh * S * DH;
    Vec<T> htmp(DH);
    for (Index t = 0; t < S; ++t) {
      std::copy_n(Cs.data() + t * DD, DD, Cs.data() + (t + 1) * DD);
      std::copy_n(ns.data() + t * DH, DH, ns.data() + (t + 1) * DH);
      ms[size_t(t + 1)] = ms[size_t(t)];
      step_head(q.data() + o + t * DH, k.data() + o + t * DH, v.data() + o + t * DH, igate[bh * S + t],
                fgate[bh * S + t], Cs.data() + (t + 1) * DD, ns.data() + (t + 1) * DH, ms[size_t(t + 1)],
                htmp.data(), DH, eps);
    }
    // cotangents of the state after the last step
    MatR<T> dC = MatR<T>::Zero(DH, DH);
    Vec<T> dn = Vec<T>::Zero(DH);
    T dm = 0;
    if (dlast) {
      dC = CMatMap<T>(dlast->C.data() + bh * DD, DH, DH);
      dn = CVecMap<T>(dlast->n.data() + bh * DH, DH);
      dm = dlast->m[bh];
    }
    for (Index t = S - 1; t >= 0; --t) {
      CVecMap<T> qv(q.data() + o + t * DH, DH), kv(k.data() + o + t * DH, DH), vv(v.data() + o + t * DH, DH);
      CVecMap<T> dhv(dh.data() + o + t * DH, DH);
      CMatMap<T> Cp(Cs.data() + t * DD, DH, DH), Ct(Cs.data() + (t + 1) * DD, DH, DH);
      CVecMap<T> np(ns.data() + t * DH, DH), nt(ns.data() + (t + 1) * DH, DH);
      const T mp = ms[size_t(t)], mt = ms[size_t(t + 1)];
      const T ig = igate[bh * S + t], fg = fgate[bh * S + t];
      const T lf = detail::logsigmoid(fg);
      const T fa = std::exp(lf + mp - mt), ia = std::exp(ig - mt);
      // h = num / den, num = C_tᵀ q, den = max(|q·n_t|, exp(−m_t)) + eps
      const T qn = qv.dot(nt), lo = std::exp(-mt);
      const T den = std::max(std::fabs(qn), lo) + T(eps);
      const Vec<T> num = Ct.transpose() * qv;
      const Vec<T> dnum = dhv / den;
      const T dden = -dhv.dot(num) / (den * den);
      const T sa = detail::max_share_a(std::fabs(qn), lo);
      const T dqn = sa * dden * detail::sgn(qn);
      dm += (T(1) - sa) * dden * (-lo);
      VecMap<T> dq(g.dq.data() + o + t * DH, DH), dk(g.dk.data() + o + t * DH, DH), dv(g.dv.data() + o + t * DH, DH);
      dq = Ct * dnum + dqn * nt;
      dC.noalias() += qv * dnum.transpose();
      dn += dqn * qv;
      // C_t = f' C_{t−1} + i' k̂ vᵀ,  n_t = f' n_{t−1} + i' k̂
      const T dfa = (dC.cwiseProduct(Cp)).sum() + dn.dot(np);
      const Vec<T> dCv = dC * vv;
      const T dia = s * (kv.dot(dCv) + dn.dot(kv));
      dk = (ia * s) * (dCv + dn);
      dv = (ia * s) * (dC.transpose() * kv);
      dC *= fa;
      dn *= fa;
      // f' = exp(lf + m_{t−1} − m_t),  i' = exp(ĩ − m_t)
      const T pf = dfa * fa, pi = dia * ia;
      T dlf = pf, dmp = pf, di = pi;
      dm -= pf + pi;
      // m_t = max(lf + m_{t−1}, ĩ)
      const T sm = detail::max_share_a(lf + mp, ig);
      dlf += sm * dm;
      dmp += sm * dm;
      di += (T(1) - sm) * dm;
      dm = dmp;
      g.di[bh * S + t] = di;
      g.df[bh * S + t] = dlf * detail::logsigmoid_grad(fg);
    }
    MatMap<T>(g.dstate0.C.data() + bh * DD, DH, DH) = dC;
    VecMap<T>(g.dstate0.n.data() + bh * DH, DH) = dn;
    g.dstate0.m[bh] = dm;
  });
}

#define XSSM_INST(T)                                                                                              \
  template Tensor<T> mlstm_recurrent_step(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, \
                                          const Tensor<T>&, MlstmState<T>&, double);                              \
  template Tensor<T> mlstm_recurrent_fwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,  \
                                         const Tensor<T>&, const NoDeduce<MlstmState<T>>*, MlstmState<T>*, double);         \
  template void mlstm_recurrent_bwd(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,       \
                                    const Tensor<T>&, const NoDeduce<MlstmState<T>>*, const Tensor<T>&,                     \
                                    const NoDeduce<MlstmState<T>>*, MlstmGrads<T>&, double);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
