// The Mamba-2 block: forward, backward and step (mamba2.hpp; docs/maths/mamba2.md).
// The SSD core runs in chunks of chunk_size (ssd_chunked.cpp); L need not be a multiple.
#include "xssm/seq/mamba2.hpp"

#include <cmath>
#include <limits>

#include "xssm/core/error.hpp"
#include "xssm/seq/conv_window.hpp"
#include "xssm/seq/dt_init.hpp"
#include "xssm/seq/scalar_ops.hpp"
#include "xssm/seq/ssd.hpp"
#include "xssm/seq/split_last.hpp"

namespace xssm::seq {

Mamba2Config Mamba2Config::from_json(const json::Value& v) {
  Mamba2Config c;
  c.d_model = v.get_int("d_model", 0);
  c.d_state = v.get_int("d_state", c.d_state);
  c.d_conv = v.get_int("d_conv", c.d_conv);
  c.expand = v.get_int("expand", c.expand);
  c.headdim = v.get_int("headdim", c.headdim);
  c.ngroups = v.get_int("ngroups", c.ngroups);
  c.D_has_hdim = v.get_bool("D_has_hdim", c.D_has_hdim);
  c.rmsnorm = v.get_bool("rmsnorm", c.rmsnorm);
  c.norm_before_gate = v.get_bool("norm_before_gate", c.norm_before_gate);
  c.chunk_size = v.get_int("chunk_size", c.chunk_size);
  c.dt_min = v.get_number("dt_min", c.dt_min);
  c.dt_max = v.get_number("dt_max", c.dt_max);
  c.dt_init_floor = v.get_number("dt_init_floor", c.dt_init_floor);
  c.conv_bias = v.get_bool("conv_bias", c.conv_bias);
  c.bias = v.get_bool("bias", c.bias);
  c.norm_eps = v.get_number("norm_eps", c.norm_eps);
  if (const json::Value* r = v.find("A_init_range"); r && r->is_array() && r->size() == 2) {
    c.A_init_range_lo = (*r)[0].as_number();
    c.A_init_range_hi = (*r)[1].as_number();
  }
  if (const json::Value* d = v.find("dt_limit"); d && d->is_array() && d->size() == 2) {
    const bool lo0 = (*d)[0].is_number() && (*d)[0].as_number() == 0.0;
    const bool hiinf = (*d)[1].is_string() ? (*d)[1].as_string() == "inf"
                                           : (*d)[1].is_number() && std::isinf((*d)[1].as_number());
    if (!lo0 || !hiinf) throw UsageError("mamba2: only dt_limit = (0, inf) is supported");
  }
  if (const json::Value* n = v.find("norm_group_size"); n && n->is_number() && c.ngroups > 0 &&
                                                        n->as_int() != c.d_inner() / c.ngroups)
    throw UsageError(cat("mamba2: norm_group_size ", n->as_int(), " differs from d_inner/ngroups"));
  if (const json::Value* d = v.find("d_ssm"); d && d->is_number() && d->as_int() != c.d_inner())
    throw UsageError(cat("mamba2: d_ssm ", d->as_int(), " ≠ d_inner ", c.d_inner(), " (the extra MLP branch) is not supported"));
  if (const json::Value* h = v.find("nheads"); h && h->is_number() && h->as_int() != c.nheads())
    throw UsageError(cat("mamba2: nheads ", h->as_int(), " in the config ≠ d_inner/headdim ", c.nheads()));
  c.validate();
  return c;
}

void Mamba2Config::validate() const {
  if (d_model < 1 || d_state < 1 || d_conv < 1 || expand < 1 || headdim < 1 || ngroups < 1 || chunk_size < 1)
    throw UsageError(cat("mamba2: sizes must be ≥ 1 (d_model=", d_model, " d_state=", d_state, " d_conv=", d_conv,
                         " expand=", expand, " headdim=", headdim, " ngroups=", ngroups, " chunk_size=", chunk_size, ")"));
  if (d_inner() % headdim != 0)
    throw UsageError(cat("mamba2: headdim ", headdim, " must divide d_inner ", d_inner()));
  if (nheads() % ngroups != 0)
    throw UsageError(cat("mamba2: ngroups ", ngroups, " must divide nheads ", nheads()));
  if (norm_before_gate) throw UsageError("mamba2: norm_before_gate=true is not supported");
}

template <class T>
Mamba2<T>::Mamba2(const Mamba2Config& cfg) : cfg_(cfg) {
  cfg_.validate();
  const Index E = cfg_.d_inner(), H = cfg_.nheads();
  in_proj = nn::Linear<T>(cfg_.d_model, cfg_.d_in_proj(), cfg_.bias);
  conv1d = nn::CausalConv1d<T>(cfg_.conv_dim(), cfg_.d_conv, cfg_.conv_bias);
  if (cfg_.rmsnorm) norm = nn::GatedRmsNorm<T>(E, E / cfg_.ngroups, cfg_.norm_eps);
  out_proj = nn::Linear<T>(E, cfg_.d_model, cfg_.bias);
  dt_bias = nn::Param<T>(Shape{H}, false);
  A_log = nn::Param<T>(Shape{H}, false);
  D = nn::Param<T>(Shape{cfg_.D_has_hdim ? E : H}, false);
}

template <class T>
void Mamba2<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  out.add(nn::join(prefix, "dt_bias"), dt_bias);
  out.add(nn::join(prefix, "A_log"), A_log);
  out.add(nn::join(prefix, "D"), D);
  in_proj.collect(nn::join(prefix, "in_proj"), out);
  conv1d.collect(nn::join(prefix, "conv1d"), out);
  if (cfg_.rmsnorm) norm.collect(nn::join(prefix, "norm"), out);
  out_proj.collect(nn::join(prefix, "out_proj"), out);
}

template <class T>
void Mamba2<T>::init(Rng& rng, Index, Index) {
  in_proj.init_torch_default(rng);
  conv1d.init_torch_default(rng);
  out_proj.init_torch_default(rng);
  init_dt_bias(dt_bias.value, rng, cfg_.dt_min, cfg_.dt_max, cfg_.dt_init_floor);
  for (auto& a : A_log.value) a = T(std::log(rng.uniform(cfg_.A_init_range_lo, cfg_.A_init_range_hi)));
  D.value.fill(T(1));
  if (cfg_.rmsnorm) norm.weight.value.fill(T(1));
}

template <class T>
void Mamba2<T>::add_skip(Tensor<T>& y, const Tensor<T>& xs) const {
  const Index E = cfg_.d_inner(), P = cfg_.headdim;
  for (Index i = 0; i < y.size(); ++i) {
    const Index e = i % E;
    y[i] += (cfg_.D_has_hdim ? D.value[e] : D.value[e / P]) * xs[i];
  }
}

template <class T>
Tensor<T> Mamba2<T>::forward(const Tensor<T>& x) {
  return forward_impl(x, nullptr);
}

template <class T>
Tensor<T> Mamba2<T>::forward(const Tensor<T>& x, NamedTensors<T>& state) {
  return forward_impl(x, &state);
}

template <class T>
Tensor<T> Mamba2<T>::forward_impl(const Tensor<T>& x, NamedTensors<T>* state) {
  const Index E = cfg_.d_inner(), H = cfg_.nheads(), P = cfg_.headdim, G = cfg_.ngroups, N = cfg_.d_state;
  if (x.rank() != 3 || x.dim(2) != cfg_.d_model)
    throw Error(cat("mamba2: x has shape ", shape_str(x.shape()), ", expected (B,L,", cfg_.d_model, ")"));
  const Index Bt = x.dim(0), L = x.dim(1);
  x_ = x;
  auto p = split_last(in_proj.forward(x), {E, cfg_.conv_dim(), H});  // [z | xBC | dt]
  z_ = std::move(p[0]);
  xbc_ = std::move(p[1]);
  dt_ = std::move(p[2]);
  stateful_ = state != nullptr;
  if (stateful_) {
    expect_shape((*state)["conv"], {Bt, cfg_.conv_dim(), cfg_.d_conv}, "mamba2: state conv");
    expect_shape((*state)["ssm"], {Bt, H, P, N}, "mamba2: state ssm");
    conv0_ = nn::carry_from_step_state((*state)["conv"]);
    ssm0_ = (*state)["ssm"];
    (*state)["conv"] = conv_window_advance((*state)["conv"], xbc_);
  }
  xbcc_ = conv1d.forward(xbc_, /*silu=*/true, stateful_ ? &conv0_ : nullptr);
  auto q = split_last(xbcc_, {E, G * N, G * N});  // [x | B | C]
  xs_ = std::move(q[0]);
  Bm_ = std::move(q[1]).reshaped({Bt, L, G, N});
  Cm_ = std::move(q[2]).reshaped({Bt, L, G, N});
  delta_ = Tensor<T>(dt_.shape());
  Aseq_ = Tensor<T>(dt_.shape());
  X_ = Tensor<T>({Bt, L, H, P});
  for (Index i = 0; i < delta_.size(); ++i) {
    const Index h = i % H;
    delta_[i] = detail::softplus(dt_[i] + dt_bias.value[h]);  // Δ = softplus(dt + dt_bias)
    Aseq_[i] = -std::exp(A_log.value[h]) * delta_[i];         // log-decay a_h·Δ
    for (Index pp = 0; pp < P; ++pp) X_[i * P + pp] = xs_[i * P + pp] * delta_[i];  // X = x·Δ
  }
  auto r = ssd_chunked_fwd<T>(X_, Aseq_, Bm_, Cm_, stateful_ ? &ssm0_ : nullptr, cfg_.chunk_size);
  yhat_ = std::move(r.Y).reshaped({Bt, L, E});
  if (stateful_) (*state)["ssm"] = std::move(r.final_state);
  add_skip(yhat_, xs_);
  if (cfg_.rmsnorm) {
    v_ = norm.forward(yhat_, z_);
  } else {
    v_ = yhat_;
    for (Index i = 0; i < v_.size(); ++i) v_[i] *= detail::silu(z_[i]);
  }
  return out_proj.forward(v_);
}

template <class T>
Tensor<T> Mamba2<T>::backward(const Tensor<T>& dy) {
  XSSM_ASSERT(!x_.empty(), "mamba2: backward before forward");
  expect_shape(dy, x_.shape(), "mamba2: dy");
  const Index E = cfg_.d_inner(), H = cfg_.nheads(), P = cfg_.headdim, G = cfg_.ngroups, N = cfg_.d_state;
  const Index Bt = x_.dim(0), L = x_.dim(1);
  const Tensor<T> dv = out_proj.backward(v_, dy);
  Tensor<T> dyhat, dz;
  if (cfg_.rmsnorm) {
    norm.backward(yhat_, z_, dv, dyhat, dz);
  } else {
    dyhat = Tensor<T>(dv.shape());
    dz = Tensor<T>(dv.shape());
    for (Index i = 0; i < dv.size(); ++i) {
      dyhat[i] = dv[i] * detail::silu(z_[i]);
      dz[i] = dv[i] * yhat_[i] * detail::silu_grad(z_[i]);
    }
  }
  // ŷ = Y + D·x
  Tensor<T> dxs(xs_.shape());
  for (Index i = 0; i < dyhat.size(); ++i) {
    const Index e = i % E, di = cfg_.D_has_hdim ? e : e / P;
    D.grad[di] += dyhat[i] * xs_[i];
    dxs[i] = D.value[di] * dyhat[i];
  }
  auto g = ssd_chunked_bwd<T>(X_, Aseq_, Bm_, Cm_, stateful_ ? &ssm0_ : nullptr, cfg_.chunk_size, dyhat.reshaped({Bt, L, H, P}), nullptr);
  Tensor<T> ddt(dt_.shape());
  for (Index i = 0; i < delta_.size(); ++i) {
    const Index h = i % H;
    const T a = -std::exp(A_log.value[h]);
    T dΔ = g.dA[i] * a;                    // A_t = a·Δ
    A_log.grad[h] += g.dA[i] * delta_[i] * a;  // da/dA_log = a
    for (Index pp = 0; pp < P; ++pp) {     // X = x·Δ
      dΔ += g.dX[i * P + pp] * xs_[i * P + pp];
      dxs[i * P + pp] += g.dX[i * P + pp] * delta_[i];
    }
    ddt[i] = dΔ * detail::softplus_grad(dt_[i] + dt_bias.value[h]);
    dt_bias.grad[h] += ddt[i];
  }
  const Tensor<T> dB = g.dB.reshaped({Bt, L, G * N}), dC = g.dC.reshaped({Bt, L, G * N});
  const Tensor<T> dxbc = conv1d.backward(xbc_, concat_last<T>({&dxs, &dB, &dC}), /*silu=*/true,
                                         stateful_ ? &conv0_ : nullptr);
  return in_proj.backward(x_, concat_last<T>({&dz, &dxbc, &ddt}));
}

template <class T>
NamedTensors<T> Mamba2<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  s.set("conv", Tensor<T>({batch, cfg_.conv_dim(), cfg_.d_conv}));
  s.set("ssm", Tensor<T>({batch, cfg_.nheads(), cfg_.headdim, cfg_.d_state}));
  return s;
}

template <class T>
Tensor<T> Mamba2<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  const Index E = cfg_.d_inner(), H = cfg_.nheads(), P = cfg_.headdim, G = cfg_.ngroups, N = cfg_.d_state;
  if (x_t.rank() != 2 || x_t.dim(1) != cfg_.d_model)
    throw Error(cat("mamba2: x_t has shape ", shape_str(x_t.shape()), ", expected (B,", cfg_.d_model, ")"));
  const Index Bt = x_t.dim(0);
  Tensor<T>& conv = state["conv"];
  Tensor<T>& ssm = state["ssm"];
  expect_shape(conv, {Bt, cfg_.conv_dim(), cfg_.d_conv}, "mamba2: state conv");
  expect_shape(ssm, {Bt, H, P, N}, "mamba2: state ssm");
  auto p = split_last(in_proj.forward(x_t), {E, cfg_.conv_dim(), H});
  const Tensor<T> xbcc = conv1d.step(p[1], conv, /*silu=*/true);
  auto q = split_last(xbcc, {E, G * N, G * N});
  Tensor<T> X({Bt, H, P}), A({Bt, H});
  for (Index i = 0; i < Bt * H; ++i) {
    const Index h = i % H;
    const T Δ = detail::softplus(p[2][i] + dt_bias.value[h]);
    A[i] = -std::exp(A_log.value[h]) * Δ;
    for (Index pp = 0; pp < P; ++pp) X[i * P + pp] = q[0][i * P + pp] * Δ;
  }
  Tensor<T> y = ssd_step<T>(X, A, q[1].reshaped({Bt, G, N}), q[2].reshaped({Bt, G, N}), ssm).reshaped({Bt, E});
  add_skip(y, q[0]);
  if (cfg_.rmsnorm) {
    y = norm.forward(y, p[0]);
  } else {
    for (Index i = 0; i < y.size(); ++i) y[i] *= detail::silu(p[0][i]);
  }
  return out_proj.forward(y);
}

template class Mamba2<float>;
template class Mamba2<double>;

}  // namespace xssm::seq
