// sLSTM layer (official sLSTMLayer, vanilla backend): conv + SiLU → i, f gates; raw x → z, o
// gates; the sLSTM cell; per-head group norm.
#include "xssm/seq/slstm_layer.hpp"

#include <algorithm>

#include "xssm/nn/linear.hpp"

namespace xssm::seq {
namespace {

/// Gate-major concat of four (B,S,D) tensors into (B,S,4D).
template <class T>
Tensor<T> concat4(const Tensor<T>& a, const Tensor<T>& b, const Tensor<T>& c, const Tensor<T>& d) {
  const Index rows = a.size() / a.dim(-1), D = a.dim(-1);
  Shape s = a.shape();
  s.back() = 4 * D;
  Tensor<T> out(s);
  const Tensor<T>* parts[4] = {&a, &b, &c, &d};
  for (Index r = 0; r < rows; ++r)
    for (int g = 0; g < 4; ++g) std::copy(parts[g]->data() + r * D, parts[g]->data() + (r + 1) * D, out.data() + r * 4 * D + g * D);
  return out;
}

/// Part g of a (…,4D) gate-major tensor as (…,D).
template <class T>
Tensor<T> part(const Tensor<T>& x, int g) {
  const Index D = x.dim(-1) / 4, rows = x.size() / x.dim(-1);
  Shape s = x.shape();
  s.back() = D;
  Tensor<T> out(s);
  for (Index r = 0; r < rows; ++r) std::copy(x.data() + r * 4 * D + g * D, x.data() + r * 4 * D + (g + 1) * D, out.data() + r * D);
  return out;
}

template <class T>
void add_into(Tensor<T>& a, const Tensor<T>& b) {
  a.vec() += b.vec();
}

const char* const kCellNames[4] = {"h", "c", "n", "m"};  // order of the cell's (4,B,H) state

}  // namespace

template <class T>
SlstmLayer<T>::SlstmLayer(const SlstmLayerConfig& cfg) : cfg_(cfg) {
  const Index D = cfg.embedding_dim, NH = cfg.num_heads;
  if (D <= 0 || NH <= 0 || D % NH != 0)
    throw UsageError(cat("slstm layer: embedding_dim ", D, " must be a positive multiple of num_heads ", NH));
  if (cfg.conv1d_kernel_size < 0) throw UsageError(cat("slstm layer: conv1d_kernel_size ", cfg.conv1d_kernel_size, " < 0"));
  NH_ = NH;
  DH_ = D / NH;
  if (cfg.conv1d_kernel_size > 0) conv1d = nn::CausalConv1d<T>(D, cfg.conv1d_kernel_size, cfg.conv1d_bias);
  fgate = nn::HeadwiseLinear<T>(D, NH, 1, cfg.gate_bias);
  igate = nn::HeadwiseLinear<T>(D, NH, 1, cfg.gate_bias);
  zgate = nn::HeadwiseLinear<T>(D, NH, 1, cfg.gate_bias);
  ogate = nn::HeadwiseLinear<T>(D, NH, 1, cfg.gate_bias);
  slstm_cell = SlstmCell<T>(D, NH);
  group_norm = nn::MultiHeadLayerNorm<T>(NH, DH_, false, 1e-5);
}

template <class T>
void SlstmLayer<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  if (cfg_.conv1d_kernel_size > 0) conv1d.collect(nn::join(prefix, "conv1d/conv"), out);
  fgate.collect(nn::join(prefix, "fgate"), out);
  igate.collect(nn::join(prefix, "igate"), out);
  zgate.collect(nn::join(prefix, "zgate"), out);
  ogate.collect(nn::join(prefix, "ogate"), out);
  slstm_cell.collect(nn::join(prefix, "slstm_cell"), out);
  if (cfg_.group_norm_weight) group_norm.collect(nn::join(prefix, "group_norm"), out);
}

template <class T>
void SlstmLayer<T>::init(Rng& rng, Index num_blocks, Index block_index) {
  if (cfg_.conv1d_kernel_size > 0) conv1d.init_torch_default(rng);
  const double std = nn::small_init_std(cfg_.embedding_dim);
  for (auto* g : {&igate, &fgate, &zgate, &ogate}) g->init_normal(rng, std);
  slstm_cell.init(num_blocks, block_index);
  group_norm.weight.value.zero();
  group_norm.weight.decay = false;
}

template <class T>
NamedTensors<T> SlstmLayer<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  const Index D = cfg_.embedding_dim;
  for (const char* n : {"c", "n", "m", "h"}) s.set(n, Tensor<T>({batch, D}));
  if (cfg_.conv1d_kernel_size > 0) s.set("conv", Tensor<T>({batch, D, cfg_.conv1d_kernel_size}));
  return s;
}

template <class T>
Tensor<T> SlstmLayer<T>::forward(const Tensor<T>& x) { return run(x, nullptr, nullptr); }

template <class T>
Tensor<T> SlstmLayer<T>::forward(const Tensor<T>& x, NamedTensors<T>& state) { return run(x, &state, &state); }

template <class T>
Tensor<T> SlstmLayer<T>::run(const Tensor<T>& x, const NamedTensors<T>* state0, NamedTensors<T>* state_out) {
  const Index D = cfg_.embedding_dim, K = cfg_.conv1d_kernel_size;
  if (x.rank() != 3 || x.dim(2) != D)
    throw Error(cat("slstm layer: x has shape ", shape_str(x.shape()), ", expected (B,S,", D, ")"));
  const Index B = x.dim(0), S = x.dim(1);
  have_state0_ = state0 != nullptr;
  if (state0) {
    cell_state0_.resize({4, B, D});
    for (int q = 0; q < 4; ++q) {
      const Tensor<T>& s = (*state0)[kCellNames[q]];
      expect_shape(s, {B, D}, cat("slstm state '", kCellNames[q], "'"));
      std::copy(s.begin(), s.end(), cell_state0_.ptr(q));
    }
    if (K > 0) {
      const Tensor<T>& w = (*state0)["conv"];
      expect_shape(w, {B, D, K}, "slstm state 'conv'");
      conv_carry0_ = nn::carry_from_step_state(w);
    }
  }
  x_ = x;
  // x_c = silu(conv1d(x)) feeds the i and f gates only.
  if (K > 0) {
    xc_ = conv1d.forward(x, /*silu=*/true, state0 ? &conv_carry0_ : nullptr, nullptr);
  } else {
    xc_ = x;
  }
  // fgate gives the INPUT gate, igate the FORGET gate (official naming).
  const Tensor<T> cell_in = concat4(fgate.forward(xc_), igate.forward(xc_), zgate.forward(x), ogate.forward(x));
  Tensor<T> cell_state;
  yc_ = slstm_cell.forward(cell_in, state0 ? &cell_state0_ : nullptr, state_out ? &cell_state : nullptr, &cell_cache_);
  yc_.reshape({B, S, NH_, DH_});
  have_cache_ = true;
  Tensor<T> y = group_norm.forward(yc_);
  if (state_out) {
    for (int q = 0; q < 4; ++q) {
      Tensor<T> s({B, D});
      std::copy(cell_state.ptr(q), cell_state.ptr(q) + B * D, s.data());
      state_out->set(kCellNames[q], std::move(s));
    }
    if (K > 0) {
      // The last K inputs of concat(window0, x) along time, oldest first.
      Tensor<T> w({B, D, K});
      const Tensor<T>* w0 = state0 ? state0->find("conv") : nullptr;
      for (Index b = 0; b < B; ++b)
        for (Index k = 0; k < K; ++k) {
          const Index t = S - K + k;  // time index in x; negative = from the old window
          for (Index d = 0; d < D; ++d)
            w.at(b, d, k) = t >= 0 ? x.at(b, t, d) : (w0 ? w0->at(b, d, K + t) : T(0));
        }
      state_out->set("conv", std::move(w));
    }
  }
  return y;
}

template <class T>
Tensor<T> SlstmLayer<T>::backward(const Tensor<T>& dy) { return backward(dy, nullptr); }

template <class T>
Tensor<T> SlstmLayer<T>::backward(const Tensor<T>& dy, NamedTensors<T>* d_state0) {
  if (!have_cache_) throw Error("slstm layer: backward() called before forward()");
  const Index D = cfg_.embedding_dim, K = cfg_.conv1d_kernel_size;
  const Index B = x_.dim(0), S = x_.dim(1);
  expect_shape(dy, {B, S, D}, "slstm layer dy");
  Tensor<T> dyc = group_norm.backward(yc_, dy);
  dyc.reshape({B, S, D});
  Tensor<T> dcell_state0;
  const Tensor<T> dcell = slstm_cell.backward(cell_cache_, dyc, nullptr, d_state0 ? &dcell_state0 : nullptr);
  // z, o from x; i (fgate), f (igate) from x_c.
  Tensor<T> dx = zgate.backward(x_, part(dcell, 2));
  add_into(dx, ogate.backward(x_, part(dcell, 3)));
  Tensor<T> dxc = fgate.backward(xc_, part(dcell, 0));
  add_into(dxc, igate.backward(xc_, part(dcell, 1)));
  Tensor<T> dcarry;
  if (K > 0) {
    add_into(dx, conv1d.backward(x_, dxc, /*silu=*/true, have_state0_ ? &conv_carry0_ : nullptr,
                                 d_state0 ? &dcarry : nullptr, nullptr));
  } else {
    add_into(dx, dxc);
  }
  if (d_state0) {
    for (int q = 0; q < 4; ++q) {
      Tensor<T> s({B, D});
      std::copy(dcell_state0.ptr(q), dcell_state0.ptr(q) + B * D, s.data());
      d_state0->set(kCellNames[q], std::move(s));
    }
    if (K > 0) d_state0->set("conv", nn::step_state_from_carry(dcarry));
  }
  return dx;
}

template <class T>
Tensor<T> SlstmLayer<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  const Index D = cfg_.embedding_dim, K = cfg_.conv1d_kernel_size;
  if (x_t.rank() != 2 || x_t.dim(1) != D)
    throw Error(cat("slstm layer step: x_t has shape ", shape_str(x_t.shape()), ", expected (B,", D, ")"));
  const Index B = x_t.dim(0);
  const Tensor<T> xc = K > 0 ? conv1d.step(x_t, state["conv"], /*silu=*/true) : x_t;
  const Tensor<T> cell_in = concat4(fgate.forward(xc), igate.forward(xc), zgate.forward(x_t), ogate.forward(x_t));
  Tensor<T> cs({4, B, D});
  for (int q = 0; q < 4; ++q) {
    const Tensor<T>& s = state[kCellNames[q]];
    expect_shape(s, {B, D}, cat("slstm state '", kCellNames[q], "'"));
    std::copy(s.begin(), s.end(), cs.ptr(q));
  }
  Tensor<T> yc = slstm_cell.step(cell_in, cs);
  for (int q = 0; q < 4; ++q) {
    Tensor<T>& s = state[kCellNames[q]];
    std::copy(cs.ptr(q), cs.ptr(q) + B * D, s.data());
  }
  yc.reshape({B, NH_, DH_});
  return group_norm.forward(yc);
}

template class SlstmLayer<float>;
template class SlstmLayer<double>;

}  // namespace xssm::seq
