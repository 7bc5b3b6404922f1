// The Mamba block: forward, backward and step (mamba.hpp; docs/maths/mamba.md).
// Δ's bias: the official forward passes dt_proj.bias to the scan as delta_bias; here dt_proj is
// applied with its bias and the scan gets none: softplus(δWᵀ + b) either way (same numbers).
#include "xssm/seq/mamba.hpp"

#include <cmath>

#include "xssm/core/error.hpp"
#include "xssm/seq/conv_window.hpp"
#include "xssm/seq/dt_init.hpp"
#include "xssm/seq/selective_scan.hpp"
#include "xssm/seq/split_last.hpp"

namespace xssm::seq {

MambaConfig MambaConfig::from_json(const json::Value& v) {
  MambaConfig c;
  c.d_model = v.get_int("d_model", 0);
  c.d_state = v.get_int("d_state", c.d_state);
  c.d_conv = v.get_int("d_conv", c.d_conv);
  c.expand = v.get_int("expand", c.expand);
  if (const json::Value* r = v.find("dt_rank"); r && r->is_number()) c.dt_rank = r->as_int();
  c.dt_min = v.get_number("dt_min", c.dt_min);
  c.dt_max = v.get_number("dt_max", c.dt_max);
  c.dt_init_floor = v.get_number("dt_init_floor", c.dt_init_floor);
  c.dt_scale = v.get_number("dt_scale", c.dt_scale);
  c.dt_init = v.get_string("dt_init", c.dt_init);
  c.conv_bias = v.get_bool("conv_bias", c.conv_bias);
  c.bias = v.get_bool("bias", c.bias);
  c.validate();
  return c;
}

void MambaConfig::validate() const {
  if (d_model < 1 || d_state < 1 || d_conv < 1 || expand < 1 || dt_rank < 0)
    throw UsageError(cat("mamba: need d_model, d_state, d_conv, expand ≥ 1 and dt_rank ≥ 0, got d_model=", d_model,
                         " d_state=", d_state, " d_conv=", d_conv, " expand=", expand, " dt_rank=", dt_rank));
  if (dt_init != "random" && dt_init != "constant")
    throw UsageError(cat("mamba: dt_init must be random or constant, got ", dt_init));
}

template <class T>
Mamba<T>::Mamba(const MambaConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  const Index Dm = cfg_.d_model, E = cfg_.d_inner(), N = cfg_.d_state, R = cfg_.resolved_dt_rank();
  in_proj = nn::Linear<T>(Dm, 2 * E, cfg_.bias);
  conv1d = nn::CausalConv1d<T>(E, cfg_.d_conv, cfg_.conv_bias);
  x_proj = nn::Linear<T>(E, R + 2 * N, false);
  dt_proj = nn::Linear<T>(R, E, true);
  out_proj = nn::Linear<T>(E, Dm, cfg_.bias);
  A_log = nn::Param<T>(Shape{E, N}, false);  // _no_weight_decay in the official code
  D = nn::Param<T>(Shape{E}, false);
}

template <class T>
void Mamba<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  out.add(nn::join(prefix, "A_log"), A_log);
  out.add(nn::join(prefix, "D"), D);
  in_proj.collect(nn::join(prefix, "in_proj"), out);
  conv1d.collect(nn::join(prefix, "conv1d"), out);
  x_proj.collect(nn::join(prefix, "x_proj"), out);
  dt_proj.collect(nn::join(prefix, "dt_proj"), out);
  out_proj.collect(nn::join(prefix, "out_proj"), out);
}

template <class T>
void Mamba<T>::init(Rng& rng, Index, Index) {
  in_proj.init_torch_default(rng);
  conv1d.init_torch_default(rng);
  x_proj.init_torch_default(rng);
  out_proj.init_torch_default(rng);
  const double std = std::pow(double(cfg_.resolved_dt_rank()), -0.5) * cfg_.dt_scale;
  if (cfg_.dt_init == "constant")
    dt_proj.weight.value.fill(T(std));
  else
    nn::fill_uniform(dt_proj.weight.value, rng, -std, std);
  init_dt_bias(dt_proj.bias.value, rng, cfg_.dt_min, cfg_.dt_max, cfg_.dt_init_floor);
  for (Index e = 0; e < cfg_.d_inner(); ++e) {
    for (Index n = 0; n < cfg_.d_state; ++n) A_log.value.at(e, n) = T(std::log(double(n + 1)));  // S4D-Real
    D.value[e] = T(1);
  }
}

template <class T>
Tensor<T> Mamba<T>::A_() const {
  Tensor<T> A(A_log.value.shape());
  for (Index i = 0; i < A.size(); ++i) A[i] = -std::exp(A_log.value[i]);
  return A;
}

template <class T>
Tensor<T> Mamba<T>::forward(const Tensor<T>& x) {
  return forward_impl(x, nullptr);
}

template <class T>
Tensor<T> Mamba<T>::forward(const Tensor<T>& x, NamedTensors<T>& state) {
  return forward_impl(x, &state);
}

template <class T>
Tensor<T> Mamba<T>::forward_impl(const Tensor<T>& x, NamedTensors<T>* state) {
  const Index E = cfg_.d_inner(), N = cfg_.d_state, R = cfg_.resolved_dt_rank();
  if (x.rank() != 3 || x.dim(2) != cfg_.d_model)
    throw Error(cat("mamba: x has shape ", shape_str(x.shape()), ", expected (B,L,", cfg_.d_model, ")"));
  const Index Bt = x.dim(0), L = x.dim(1);
  x_ = x;
  auto xz = split_last(in_proj.forward(x), {E, E});  // [x̃ | z]
  xt_ = std::move(xz[0]);
  z_ = std::move(xz[1]);
  stateful_ = state != nullptr;
  Tensor<T> conv1;
  if (stateful_) {
    expect_shape((*state)["conv"], {Bt, E, cfg_.d_conv}, "mamba: state conv");
    expect_shape((*state)["ssm"], {Bt, E, N}, "mamba: state ssm");
    conv0_ = nn::carry_from_step_state((*state)["conv"]);
    ssm0_ = (*state)["ssm"];
    (*state)["conv"] = conv_window_advance((*state)["conv"], xt_);
  }
  u_ = conv1d.forward(xt_, /*silu=*/true, stateful_ ? &conv0_ : nullptr);  // u = silu(conv(x̃))
  dbc_ = x_proj.forward(u_);
  auto p = split_last(dbc_, {R, N, N});  // [δ | B | C]
  delta_in_ = std::move(p[0]);
  B_ = std::move(p[1]).reshaped({Bt, L, 1, N});
  C_ = std::move(p[2]).reshaped({Bt, L, 1, N});
  delta_ = dt_proj.forward(delta_in_);  // δ·Wᵀ + b, softplus applied by the scan
  const Tensor<T> A = A_();
  SelectiveScanArgs<T> a;
  a.u = &u_;
  a.delta = &delta_;
  a.A = &A;
  a.B = &B_;
  a.C = &C_;
  a.D = &D.value;
  a.z = &z_;
  if (stateful_) a.initial_state = &ssm0_;
  auto r = selective_scan_fwd(a);
  yg_ = std::move(r.out);  // ŷ ⊙ silu(z)
  if (stateful_) (*state)["ssm"] = std::move(r.last_state);
  return out_proj.forward(yg_);
}

template <class T>
Tensor<T> Mamba<T>::backward(const Tensor<T>& dy) {
  XSSM_ASSERT(!x_.empty(), "mamba: backward before forward");
  expect_shape(dy, x_.shape(), "mamba: dy");
  const Index Bt = x_.dim(0), L = x_.dim(1), N = cfg_.d_state;
  const Tensor<T> dyg = out_proj.backward(yg_, dy);
  const Tensor<T> A = A_();
  SelectiveScanArgs<T> a;
  a.u = &u_;
  a.delta = &delta_;
  a.A = &A;
  a.B = &B_;
  a.C = &C_;
  a.D = &D.value;
  a.z = &z_;
  if (stateful_) a.initial_state = &ssm0_;
  auto g = selective_scan_bwd<T>(a, dyg, nullptr);
  for (Index i = 0; i < A.size(); ++i) A_log.grad[i] += g.dA[i] * A[i];  // dA/dA_log = A
  D.grad.vec() += g.dD.vec();
  const Tensor<T> ddin = dt_proj.backward(delta_in_, g.ddelta);
  const Tensor<T> dB = g.dB.reshaped({Bt, L, N}), dC = g.dC.reshaped({Bt, L, N});
  Tensor<T> du = x_proj.backward(u_, concat_last<T>({&ddin, &dB, &dC}));
  du.vec() += g.du.vec();
  const Tensor<T> dxt = conv1d.backward(xt_, du, /*silu=*/true, stateful_ ? &conv0_ : nullptr);
  return in_proj.backward(x_, concat_last<T>({&dxt, &g.dz}));
}

template <class T>
NamedTensors<T> Mamba<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  s.set("conv", Tensor<T>({batch, cfg_.d_inner(), cfg_.d_conv}));
  s.set("ssm", Tensor<T>({batch, cfg_.d_inner(), cfg_.d_state}));
  return s;
}

template <class T>
Tensor<T> Mamba<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  const Index E = cfg_.d_inner(), N = cfg_.d_state, R = cfg_.resolved_dt_rank();
  if (x_t.rank() != 2 || x_t.dim(1) != cfg_.d_model)
    throw Error(cat("mamba: x_t has shape ", shape_str(x_t.shape()), ", expected (B,", cfg_.d_model, ")"));
  const Index Bt = x_t.dim(0);
  Tensor<T>& conv = state["conv"];
  Tensor<T>& ssm = state["ssm"];
  expect_shape(conv, {Bt, E, cfg_.d_conv}, "mamba: state conv");
  expect_shape(ssm, {Bt, E, N}, "mamba: state ssm");
  auto xz = split_last(in_proj.forward(x_t), {E, E});
  const Tensor<T> u = conv1d.step(xz[0], conv, /*silu=*/true);
  auto p = split_last(x_proj.forward(u), {R, N, N});
  const Tensor<T> delta = dt_proj.forward(p[0]);
  const Tensor<T> Bv = p[1].reshaped({Bt, 1, N}), Cv = p[2].reshaped({Bt, 1, N});
  const Tensor<T> A = A_();
  const Tensor<T> y = selective_scan_step<T>(u, delta, A, Bv, Cv, &D.value, nullptr, &xz[1], ssm);
  return out_proj.forward(y);
}

template class Mamba<float>;
template class Mamba<double>;

}  // namespace xssm::seq
