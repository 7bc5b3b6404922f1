// sLSTM cell, official vanilla backend (xlstm/blocks/slstm/src/vanilla/slstm.py:
// slstm_forward_pointwise), forward, hand-written backward through the stabiliser, and step.
#include <algorithm>
#include <cmath>

#include "xssm/core/parallel.hpp"
#include "xssm/seq/slstm.hpp"

namespace xssm::seq {
namespace {

template <class T>
inline T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}
/// logσ(x) = −log(1 + e^(−x)), evaluated without overflow.
template <class T>
inline T log_sigmoid(T x) {
  return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

/// Gradient share of `a` in PyTorch's min(a, b)/max(a, b) backward: all of it when a wins, half
/// on a tie, none when it loses.
template <class T>
inline T min_share(T a, T b) { return a < b ? T(1) : (a == b ? T(0.5) : T(0)); }
template <class T>
inline T max_share(T a, T b) { return a > b ? T(1) : (a == b ? T(0.5) : T(0)); }

/// One step for one (batch, head) unit. p: total pre-activations (4,DH) [i f z o];
/// prev, cur: states (4,DH) [y c n m]. `first`: the batch-wide "all n == 0" branch.
template <class T>
inline void unit_pointwise(const T* p, const T* prev, T* cur, Index DH, bool first) {
  for (Index a = 0; a < DH; ++a) {
    const T it = p[a], ft = p[DH + a], zt = p[2 * DH + a], ot = p[3 * DH + a];
    const T c0 = prev[DH + a], n0 = prev[2 * DH + a], m0 = prev[3 * DH + a];
    // m_t = max(ĩ, m_{t−1} + logσ(f̃))  (m_t = ĩ when every n_{t−1} of the batch is 0)
    const T lfm = m0 + log_sigmoid(ft);
    const T m = first ? it : std::max(it, lfm);
    // i_t = min(exp(ĩ − m_t), 1),  f_t = min(exp(m_{t−1} + logσ(f̃) − m_t), 1)
    const T i = std::min(std::exp(it - m), T(1));
    const T f = std::min(std::exp(lfm - m), T(1));
    const T c = f * c0 + i * std::tanh(zt);  // c_t = f c_{t−1} + i tanh(z̃)
    const T n = f * n0 + i;                  // n_t = f n_{t−1} + i
    cur[a] = sigmoid(ot) * c / n;            // y_t = σ(õ) c_t / n_t  (no bound on n)
    cur[DH + a] = c;
    cur[2 * DH + a] = n;
    cur[3 * DH + a] = m;
  }
}

/// p (4DH) = x-part (gathered by the caller) + R_h y_{t−1}; R_h is (4DH, DH) row-major.
template <class T>
inline void add_recurrent(const T* Rh, const T* y_prev, T* p, Index DH) {
  for (Index r = 0; r < 4 * DH; ++r) {
    const T* row = Rh + r * DH;
    T s = 0;
    for (Index k = 0; k < DH; ++k) s += row[k] * y_prev[k];
    p[r] += s;
  }
}

}  // namespace

template <class T>
Tensor<T> slstm_recurrent_fwd(const Tensor<T>& x, const Tensor<T>& R, const Tensor<T>& b, Index NH,
                    const NoDeduce<Tensor<T>>* state0, NoDeduce<Tensor<T>>* state_out,
                    NoDeduce<SlstmCache<T>>* cache) {
  if (x.rank() != 3 || NH <= 0 || x.dim(2) % (4 * NH) != 0)
    throw Error(cat("slstm: x has shape ", shape_str(x.shape()), ", expected (B,S,4H) with H a multiple of NH=", NH));
  const Index B = x.dim(0), S = x.dim(1), H = x.dim(2) / 4, DH = H / NH;
  expect_shape(R, {NH, 4 * DH, DH}, "slstm _recurrent_kernel_");
  expect_shape(b, {4 * H}, "slstm _bias_");
  if (state0) expect_shape(*state0, {4, B, H}, "slstm initial state");

  SlstmCache<T> local;
  SlstmCache<T>& C = cache ? *cache : local;
  C.B = B, C.S = S, C.NH = NH, C.DH = DH;
  C.states.resize({B, NH, S + 1, 4, DH});
  C.pre.resize({B, NH, S, 4, DH});
  C.first_branch.assign(size_t(S), 0);

  // The official check "every entry of n_{t−1} is exactly 0" spans the whole batch, which would
  // serialise the units. n stays > 0 after any step in practice, so run the units independently
  // with the branch known for step 1 only, record where a unit's n was all zero, and rerun from
  // the first step whose batch-wide branch was guessed wrong (never happens with finite inputs).
  if (state0 && S > 0) {
    bool all0 = true;
    for (Index j = 0; j < B * H; ++j) all0 = all0 && (*state0)[2 * B * H + j] == T(0);
    C.first_branch[0] = all0;
  } else if (S > 0) {
    C.first_branch[0] = 1;
  }
  std::vector<char> zero_n(size_t(B * NH * std::max<Index>(S, 1)), 0);
  const Index U = B * NH;
  for (;;) {
    parallel_for(U, [&](Index u) {
      const Index bb = u / NH, h = u % NH;
      T* st = C.states.ptr(bb, h);
      T* pre = C.pre.ptr(bb, h);
      const T* Rh = R.ptr(h);
      for (int q = 0; q < 4; ++q)
        for (Index a = 0; a < DH; ++a)
          st[q * DH + a] = state0 ? (*state0).at(q, bb, h * DH + a) : T(0);
      for (Index t = 0; t < S; ++t) {
        T* p = pre + t * 4 * DH;
        const T* xt = x.ptr(bb, t);
        for (Index g = 0; g < 4; ++g)
          for (Index a = 0; a < DH; ++a) p[g * DH + a] = xt[g * H + h * DH + a] + b[g * H + h * DH + a];
        const T* prev = st + t * 4 * DH;
        T* cur = st + (t + 1) * 4 * DH;
        add_recurrent(Rh, prev, p, DH);
        unit_pointwise(p, prev, cur, DH, C.first_branch[size_t(t)] != 0);
        bool z = true;
        for (Index a = 0; a < DH; ++a) z = z && cur[2 * DH + a] == T(0);
        zero_n[size_t(u * S + t)] = z;
      }
    });
    Index bad = -1;
    for (Index t = 1; t < S && bad < 0; ++t) {
      bool all0 = true;
      for (Index u = 0; u < U && all0; ++u) all0 = zero_n[size_t(u * S + t - 1)] != 0;
      if (char(all0) != C.first_branch[size_t(t)]) bad = t;
    }
    if (bad < 0) break;
    C.first_branch[size_t(bad)] = !C.first_branch[size_t(bad)];
    for (Index t = bad + 1; t < S; ++t) C.first_branch[size_t(t)] = 0;
  }

  Tensor<T> y({B, S, H});
  for (Index bb = 0; bb < B; ++bb)
    for (Index h = 0; h < NH; ++h)
      for (Index t = 0; t < S; ++t) {
        const T* cur = C.states.ptr(bb, h, t + 1);
        std::copy(cur, cur + DH, y.ptr(bb, t) + h * DH);
      }
  if (state_out) {
    state_out->resize({4, B, H});
    for (Index bb = 0; bb < B; ++bb)
      for (Index h = 0; h < NH; ++h) {
        const T* fin = C.states.ptr(bb, h, S);
        for (int q = 0; q < 4; ++q)
          for (Index a = 0; a < DH; ++a) state_out->at(q, bb, h * DH + a) = fin[q * DH + a];
      }
  }
  return y;
}

template <class T>
Tensor<T> slstm_recurrent_bwd(const Tensor<T>& R, const NoDeduce<SlstmCache<T>>& C, const NoDeduce<Tensor<T>>& dy,
                    const NoDeduce<Tensor<T>>* dstate, NoDeduce<Tensor<T>>& dR, NoDeduce<Tensor<T>>& db,
                    NoDeduce<Tensor<T>>* dstate0) {
  const Index B = C.B, S = C.S, NH = C.NH, DH = C.DH, H = NH * DH;
  expect_shape(dy, {B, S, H}, "slstm dy");
  if (dstate) expect_shape(*dstate, {4, B, H}, "slstm final-state cotangent");
  expect_shape(dR, {NH, 4 * DH, DH}, "slstm d_recurrent_kernel_");
  expect_shape(db, {4 * H}, "slstm d_bias_");
  Tensor<T> dx({B, S, 4 * H});
  if (dstate0) dstate0->resize({4, B, H});

  parallel_for(B * NH, [&](Index u) {
    const Index bb = u / NH, h = u % NH;
    const T* st = C.states.ptr(bb, h);
    const T* pre = C.pre.ptr(bb, h);
    const T* Rh = R.ptr(h);
    // Cotangents of the state after step t: y (from later steps and the final state), c, n, m.
    std::vector<T> gy(size_t(DH), T(0)), gc(size_t(DH), T(0)), gn(size_t(DH), T(0)), gm(size_t(DH), T(0));
    std::vector<T> dp(size_t(4 * DH));
    if (dstate)
      for (Index a = 0; a < DH; ++a) {
        gy[a] = dstate->at(0, bb, h * DH + a);
        gc[a] = dstate->at(1, bb, h * DH + a);
        gn[a] = dstate->at(2, bb, h * DH + a);
        gm[a] = dstate->at(3, bb, h * DH + a);
      }
    for (Index t = S - 1; t >= 0; --t) {
      const T* p = pre + t * 4 * DH;
      const T* prev = st + t * 4 * DH;
      const T* cur = prev + 4 * DH;
      const bool first = C.first_branch[size_t(t)] != 0;
      const T* dyt = dy.ptr(bb, t) + h * DH;
      for (Index a = 0; a < DH; ++a) {
        const T it = p[a], ft = p[DH + a], zt = p[2 * DH + a], ot = p[3 * DH + a];
        const T c0 = prev[DH + a], n0 = prev[2 * DH + a], m0 = prev[3 * DH + a];
        const T c = cur[DH + a], n = cur[2 * DH + a], m = cur[3 * DH + a];
        const T lfm = m0 + log_sigmoid(ft);
        const T ei = std::exp(it - m), ef = std::exp(lfm - m);
        const T i = std::min(ei, T(1)), f = std::min(ef, T(1));
        const T tz = std::tanh(zt), o = sigmoid(ot);

        const T g_y = dyt[a] + gy[a];
        // y = o c / n
        const T d_o = g_y * c / n;
        const T d_c = gc[a] + g_y * o / n;
        const T d_n = gn[a] - g_y * o * c / (n * n);
        // c = f c0 + i tanh(z̃),  n = f n0 + i
        const T d_f = d_c * c0 + d_n * n0;
        const T d_i = d_c * tz + d_n;
        const T d_tz = d_c * i;
        // i = min(ei, 1), ei = exp(ĩ − m);  f = min(ef, 1), ef = exp(lfm − m)
        const T d_ei = d_i * min_share(ei, T(1));
        const T d_ef = d_f * min_share(ef, T(1));
        T d_it = d_ei * ei;
        T d_lfm = d_ef * ef;
        const T d_m = gm[a] - d_ei * ei - d_ef * ef;
        // m = ĩ (first-step branch) or max(ĩ, lfm)
        if (first) {
          d_it += d_m;
        } else {
          d_it += d_m * max_share(it, lfm);
          d_lfm += d_m * max_share(lfm, it);
        }
        // lfm = m0 + logσ(f̃);  d logσ(x)/dx = σ(−x)
        dp[a] = d_it;
        dp[DH + a] = d_lfm * sigmoid(-ft);
        dp[2 * DH + a] = d_tz * (T(1) - tz * tz);
        dp[3 * DH + a] = d_o * o * (T(1) - o);
        gc[a] = d_c * f;
        gn[a] = d_n * f;
        gm[a] = d_lfm;
      }
      T* dxt = dx.ptr(bb, t);
      for (Index g = 0; g < 4; ++g)
        for (Index a = 0; a < DH; ++a) dxt[g * H + h * DH + a] = dp[g * DH + a];
      // y_{t−1} feeds the recurrence: gy = R_hᵀ dp
      for (Index k = 0; k < DH; ++k) gy[k] = 0;
      for (Index r = 0; r < 4 * DH; ++r) {
        const T* row = Rh + r * DH;
        const T d = dp[r];
        for (Index k = 0; k < DH; ++k) gy[k] += row[k] * d;
      }
    }
    if (dstate0)
      for (Index a = 0; a < DH; ++a) {
        dstate0->at(0, bb, h * DH + a) = gy[a];
        dstate0->at(1, bb, h * DH + a) = gc[a];
        dstate0->at(2, bb, h * DH + a) = gn[a];
        dstate0->at(3, bb, h * DH + a) = gm[a];
      }
  });

  // Parameter gradients as fixed-order reductions over (b, t): db = Σ dpre,
  // dR[h, r, k] = Σ dpre[h, r] · y_{t−1}[h·DH + k].
  for (Index bb = 0; bb < B; ++bb)
    for (Index t = 0; t < S; ++t) {
      const T* dxt = dx.ptr(bb, t);
      for (Index j = 0; j < 4 * H; ++j) db[j] += dxt[j];
    }
  parallel_for(NH, [&](Index h) {
    T* dRh = dR.ptr(h);
    for (Index bb = 0; bb < B; ++bb)
      for (Index t = 0; t < S; ++t) {
        const T* yprev = C.states.ptr(bb, h, t);  // row 0 of the (4,DH) block = y_{t−1}
        const T* dxt = dx.ptr(bb, t);
        for (Index g = 0; g < 4; ++g)
          for (Index a = 0; a < DH; ++a) {
            const T d = dxt[g * H + h * DH + a];
            T* row = dRh + (g * DH + a) * DH;
            for (Index k = 0; k < DH; ++k) row[k] += d * yprev[k];
          }
      }
  });
  return dx;
}

template <class T>
Tensor<T> slstm_step(const Tensor<T>& x_t, const Tensor<T>& R, const Tensor<T>& b, Index NH, Tensor<T>& state) {
  if (x_t.rank() != 2 || NH <= 0 || x_t.dim(1) % (4 * NH) != 0)
    throw Error(cat("slstm step: x_t has shape ", shape_str(x_t.shape()), ", expected (B,4H) with H a multiple of NH=", NH));
  const Index B = x_t.dim(0), H = x_t.dim(1) / 4, DH = H / NH;
  expect_shape(R, {NH, 4 * DH, DH}, "slstm _recurrent_kernel_");
  expect_shape(b, {4 * H}, "slstm _bias_");
  expect_shape(state, {4, B, H}, "slstm state");
  bool first = true;
  for (Index j = 0; j < B * H; ++j) first = first && state[2 * B * H + j] == T(0);
  Tensor<T> y({B, H});
  parallel_for(B * NH, [&](Index u) {
    const Index bb = u / NH, h = u % NH;
    std::vector<T> p(size_t(4 * DH)), prev(size_t(4 * DH)), cur(size_t(4 * DH));
    for (Index g = 0; g < 4; ++g)
      for (Index a = 0; a < DH; ++a) {
        p[g * DH + a] = x_t.at(bb, g * H + h * DH + a) + b[g * H + h * DH + a];
        prev[g * DH + a] = state.at(g, bb, h * DH + a);
      }
    add_recurrent(R.ptr(h), prev.data(), p.data(), DH);
    unit_pointwise(p.data(), prev.data(), cur.data(), DH, first);
    for (Index a = 0; a < DH; ++a) {
      for (Index q = 0; q < 4; ++q) state.at(q, bb, h * DH + a) = cur[q * DH + a];
      y.at(bb, h * DH + a) = cur[a];
    }
  });
  return y;
}

template <class T>
SlstmCell<T>::SlstmCell(Index hidden_size, Index num_heads) : H_(hidden_size), NH_(num_heads) {
  if (num_heads <= 0 || hidden_size <= 0 || hidden_size % num_heads != 0)
    throw UsageError(cat("slstm: hidden size ", hidden_size, " must be a positive multiple of num_heads ", num_heads));
  const Index DH = H_ / NH_;
  recurrent_kernel.reset({NH_, 4 * DH, DH});
  bias.reset({4 * H_}, /*decay=*/false);
}

template <class T>
void SlstmCell<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  out.add(nn::join(prefix, "_recurrent_kernel_"), recurrent_kernel);
  out.add(nn::join(prefix, "_bias_"), bias);
}

template <class T>
void SlstmCell<T>::init(Index num_blocks, Index block_index) {
  // recurrent_weight_init = "zeros"; bias_init = "powerlaw_blockdependent" (forget gate only).
  recurrent_kernel.value.zero();
  bias.value.zero();
  const Index DH = H_ / NH_;
  const double ratio = num_blocks > 1 ? double(block_index) / double(num_blocks - 1) : 0.0;
  const double expo = 0.3 + 1.3 * ratio;
  for (Index h = 0; h < NH_; ++h)
    for (Index d = 0; d < DH; ++d) {
      const double frac = DH > 1 ? double(d) / double(DH - 1) : 0.0;
      bias.value[1 * H_ + h * DH + d] = T(5.0 - 12.0 * std::pow(frac, expo));
    }
}

#define XSSM_INST(T)                                                                                   \
  template Tensor<T> slstm_recurrent_fwd<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Index,        \
                                  const Tensor<T>*, Tensor<T>*, SlstmCache<T>*);                      \
  template Tensor<T> slstm_recurrent_bwd<T>(const Tensor<T>&, const SlstmCache<T>&, const Tensor<T>&,           \
                                  const Tensor<T>*, Tensor<T>&, Tensor<T>&, Tensor<T>*);              \
  template Tensor<T> slstm_step<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Index, Tensor<T>&); \
  template class SlstmCell<T>;
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
