#include "xssm/nn/causal_conv1d.hpp"

#include <cmath>
#include <vector>

#include "xssm/core/parallel.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/nn/activations_array.hpp"
#include "xssm/nn/linear.hpp"

namespace xssm::nn {

namespace {
constexpr Index kParallelWork = Index(1) << 16;

template <class T>
void check_input(const Tensor<T>& x, Index F, const char* what) {
  if (x.rank() != 3 || x.dim(2) != F)
    throw Error(cat(what, ": input has shape ", shape_str(x.shape()), ", expected (B,S,", F, ")"));
}

// W transposed to (K, F) so the inner loops run over contiguous channels.
template <class T>
std::vector<T> weight_kf(const Tensor<T>& w, Index F, Index K) {
  std::vector<T> wt(size_t(K * F));
  for (Index c = 0; c < F; ++c)
    for (Index j = 0; j < K; ++j) wt[size_t(j * F + c)] = w[c * K + j];
  return wt;
}

// xp = concat(initial_state[b] (time-major), x[b]) : (K−1+S, F).
template <class T>
void padded_input(const Tensor<T>& x, const Tensor<T>* init, Index b, Index S, Index F, Index K, std::vector<T>& xp) {
  const Index P = K - 1;
  xp.assign(size_t((P + S) * F), T(0));
  if (init)
    for (Index c = 0; c < F; ++c)
      for (Index i = 0; i < P; ++i) xp[size_t(i * F + c)] = (*init)[(b * F + c) * P + i];
  std::copy(x.ptr(b), x.ptr(b) + S * F, xp.begin() + P * F);
}

// pre[t,c] = bias[c] + Σ_j W[c,j]·xp[t+j,c]
template <class T>
void conv_rows(const std::vector<T>& xp, const std::vector<T>& wt, const T* bias, Index S, Index F, Index K, T* pre) {
  for (Index t = 0; t < S; ++t) {
    T* p = pre + t * F;
    for (Index c = 0; c < F; ++c) p[c] = bias ? bias[c] : T(0);
    for (Index j = 0; j < K; ++j) {
      const T* xr = xp.data() + (t + j) * F;
      const T* w = wt.data() + j * F;
      for (Index c = 0; c < F; ++c) p[c] += w[c] * xr[c];
    }
  }
}
}  // namespace

template <class T>
CausalConv1d<T>::CausalConv1d(Index F, Index k, bool b) : has_bias(b), K(k) {
  if (F <= 0 || k <= 0) throw Error(cat("CausalConv1d: channels and kernel size must be positive, got F=", F, " K=", k));
  weight.reset({F, 1, k}, true);
  if (b) bias.reset({F}, false);
}

template <class T>
void CausalConv1d<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
  if (has_bias) l.add(join(prefix, "bias"), bias);
}

template <class T>
Tensor<T> CausalConv1d<T>::forward(const Tensor<T>& x, bool silu, const Tensor<T>* init, Tensor<T>* final_state) const {
  const Index F = channels();
  check_input(x, F, "CausalConv1d");
  const Index B = x.dim(0), S = x.dim(1), P = K - 1;
  if (init) expect_shape(*init, {B, F, P}, "CausalConv1d initial_state");
  Tensor<T> y(x.shape());
  if (final_state) final_state->resize({B, F, P});
  const std::vector<T> wt = weight_kf(weight.value, F, K);
  const T* bias_p = has_bias ? bias.value.data() : nullptr;
  auto one = [&](Index b) {
    std::vector<T> xp;
    padded_input(x, init, b, S, F, K, xp);
    T* out = y.ptr(b);
    conv_rows(xp, wt, bias_p, S, F, K, out);
    if (silu) nn::ArrMap<T>(out, S * F) = nn::silu_a(nn::ArrMap<T>(out, S * F));
    if (final_state)  // the last K−1 rows of xp
      for (Index c = 0; c < F; ++c)
        for (Index i = 0; i < P; ++i) (*final_state)[(b * F + c) * P + i] = xp[size_t((S + i) * F + c)];
  };
  if (B * S * F * K < kParallelWork) for (Index b = 0; b < B; ++b) one(b);
  else parallel_for(B, [&](Index b) { one(b); });
  return y;
}

template <class T>
Tensor<T> CausalConv1d<T>::backward(const Tensor<T>& x, const Tensor<T>& dy, bool silu, const Tensor<T>* init,
                                    Tensor<T>* d_init, const Tensor<T>* d_final) {
  const Index F = channels();
  check_input(x, F, "CausalConv1d::backward x");
  expect_shape(dy, x.shape(), "CausalConv1d::backward dy");
  const Index B = x.dim(0), S = x.dim(1), P = K - 1;
  if (init) expect_shape(*init, {B, F, P}, "CausalConv1d initial_state");
  if (d_final) expect_shape(*d_final, {B, F, P}, "CausalConv1d d_final_state");
  Tensor<T> dx(x.shape());
  if (d_init) d_init->resize({B, F, P});
  const std::vector<T> wt = weight_kf(weight.value, F, K);
  const T* bias_p = has_bias ? bias.value.data() : nullptr;
  // Per-batch partial dW (K, F) and db (F), reduced in batch order afterwards (deterministic).
  std::vector<T> pdw(size_t(B * K * F), T(0)), pdb(size_t(B * F), T(0));
  auto one = [&](Index b) {
    std::vector<T> xp, dpre(size_t(S * F));
    padded_input(x, init, b, S, F, K, xp);
    const T* g = dy.ptr(b);
    if (silu) {  // dpre = dy · silu'(pre), pre recomputed
      conv_rows(xp, wt, bias_p, S, F, K, dpre.data());
      nn::ArrMap<T> pre(dpre.data(), S * F);
      pre = nn::CArrMap<T>(g, S * F) * nn::silu_grad_a(pre);
    } else {
      std::copy(g, g + S * F, dpre.begin());
    }
    std::vector<T> dxp(size_t((P + S) * F), T(0));
    T* dw = pdw.data() + b * K * F;
    T* db = pdb.data() + b * F;
    for (Index t = 0; t < S; ++t) {
      const T* d = dpre.data() + t * F;
      for (Index c = 0; c < F; ++c) db[c] += d[c];
      for (Index j = 0; j < K; ++j) {
        const T* w = wt.data() + j * F;
        const T* xr = xp.data() + (t + j) * F;
        T* dxr = dxp.data() + (t + j) * F;
        T* dwj = dw + j * F;
        for (Index c = 0; c < F; ++c) {
          dxr[c] += w[c] * d[c];   // dxp[t+j] += W[:,j] ⊙ dpre[t]
          dwj[c] += d[c] * xr[c];  // dW[:,j] += dpre[t] ⊙ xp[t+j]
        }
      }
    }
    if (d_final)  // final_state = xp[S … S+K−2]
      for (Index c = 0; c < F; ++c)
        for (Index i = 0; i < P; ++i) dxp[size_t((S + i) * F + c)] += (*d_final)[(b * F + c) * P + i];
    std::copy(dxp.begin() + P * F, dxp.end(), dx.ptr(b));
    if (d_init)
      for (Index c = 0; c < F; ++c)
        for (Index i = 0; i < P; ++i) (*d_init)[(b * F + c) * P + i] = dxp[size_t(i * F + c)];
  };
  if (B * S * F * K < kParallelWork) for (Index b = 0; b < B; ++b) one(b);
  else parallel_for(B, [&](Index b) { one(b); });
  for (Index b = 0; b < B; ++b) {
    for (Index c = 0; c < F; ++c)
      for (Index j = 0; j < K; ++j) weight.grad[c * K + j] += pdw[size_t((b * K + j) * F + c)];
    if (has_bias)
      for (Index c = 0; c < F; ++c) bias.grad[c] += pdb[size_t(b * F + c)];
  }
  return dx;
}

template <class T>
Tensor<T> CausalConv1d<T>::step(const Tensor<T>& x_t, Tensor<T>& st, bool silu) const {
  const Index F = channels();
  if (x_t.rank() != 2 || x_t.dim(1) != F)
    throw Error(cat("CausalConv1d::step: input has shape ", shape_str(x_t.shape()), ", expected (B,", F, ")"));
  const Index B = x_t.dim(0);
  expect_shape(st, {B, F, K}, "CausalConv1d::step conv_state");
  Tensor<T> y({B, F});
  for (Index b = 0; b < B; ++b)
    for (Index c = 0; c < F; ++c) {
      T* w = st.ptr(b, c);
      for (Index k = 0; k + 1 < K; ++k) w[k] = w[k + 1];  // roll left
      w[K - 1] = x_t.at(b, c);                           // newest input last
      T acc = has_bias ? bias.value[c] : T(0);
      for (Index k = 0; k < K; ++k) acc += w[k] * weight.value[c * K + k];
      y.at(b, c) = silu ? nn::silu(acc) : acc;
    }
  return y;
}

template <class T>
void CausalConv1d<T>::init_torch_default(Rng& rng) {
  const double bound = 1.0 / std::sqrt(double(K));
  fill_uniform(weight.value, rng, -bound, bound);
  if (has_bias) fill_uniform(bias.value, rng, -bound, bound);
}

template <class T>
Tensor<T> step_state_from_carry(const Tensor<T>& carry) {
  if (carry.rank() != 3) throw Error(cat("conv carry has shape ", shape_str(carry.shape()), ", expected (B,F,K-1)"));
  const Index B = carry.dim(0), F = carry.dim(1), P = carry.dim(2);
  Tensor<T> st({B, F, P + 1});
  for (Index r = 0; r < B * F; ++r)
    for (Index i = 0; i < P; ++i) st[r * (P + 1) + 1 + i] = carry[r * P + i];
  return st;
}

template <class T>
Tensor<T> carry_from_step_state(const Tensor<T>& st) {
  if (st.rank() != 3 || st.dim(2) < 1)
    throw Error(cat("conv step state has shape ", shape_str(st.shape()), ", expected (B,F,K)"));
  const Index B = st.dim(0), F = st.dim(1), P = st.dim(2) - 1;
  Tensor<T> carry({B, F, P});
  for (Index r = 0; r < B * F; ++r)
    for (Index i = 0; i < P; ++i) carry[r * P + i] = st[r * (P + 1) + 1 + i];
  return carry;
}

template struct CausalConv1d<float>;
template struct CausalConv1d<double>;
template Tensor<float> step_state_from_carry(const Tensor<float>&);
template Tensor<double> step_state_from_carry(const Tensor<double>&);
template Tensor<float> carry_from_step_state(const Tensor<float>&);
template Tensor<double> carry_from_step_state(const Tensor<double>&);

}  // namespace xssm::nn
