// mLSTM layer: FD gradients (input and every parameter), parallel = chunkwise forms,
// step() repeated S times = forward(), constant step memory, official initialisation.
#include <cmath>
#include <limits>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/mlstm_layer.hpp"

using namespace xssm;
using namespace xssm::seq;
using test::rel_err;

namespace {

MlstmLayerConfig small_config(bool bias, MlstmForm form, Index chunk, Index K = 3) {
  MlstmLayerConfig c;
  c.embedding_dim = 6;
  c.num_heads = 2;
  c.proj_factor = 2.0;
  c.round_to = 4;  // P = 12, DH = 6
  c.qkv_proj_blocksize = 3;
  c.conv1d_kernel_size = K;
  c.bias = bias;
  c.chunk_size = chunk;
  c.form = form;
  return c;
}

/// Official init, then every parameter moved by N(0, 0.3²) so that no value is trivial.
template <class T>
void randomise(MlstmLayer<T>& layer, Rng& rng) {
  layer.init(rng, 2, 0);
  nn::ParamList<T> pl;
  layer.collect("", pl);
  for (auto& it : pl.items())
    for (auto& v : it.second->value) v += T(0.3 * rng.normal());
}

Tensor<double> slice_t(const Tensor<double>& x, Index t) {  // (B,S,D) → (B,D) at step t
  const Index B = x.dim(0), S = x.dim(1), D = x.dim(2);
  Tensor<double> y({B, D});
  for (Index b = 0; b < B; ++b) std::copy_n(x.data() + (b * S + t) * D, D, y.data() + b * D);
  return y;
}

}  // namespace

TEST_CASE("mlstm layer: config sizes and official initialisation", "[mlstm_layer]") {
  MlstmLayerConfig c;
  c.embedding_dim = 24;
  c.num_heads = 4;
  CHECK(c.inner_dim() == 64);  // 2·24 = 48 rounded up to 64
  c.round_to = 16;
  CHECK(c.inner_dim() == 48);
  MlstmLayerConfig bad = c;
  bad.num_heads = 5;
  CHECK_THROWS_AS(MlstmLayer<double>(bad), UsageError);

  MlstmLayer<double> layer(c);
  Rng rng(1);
  layer.init(rng, 3, 1);
  CHECK(layer.fgate.bias.value[0] == Approx(3.0));
  CHECK(layer.fgate.bias.value[3] == Approx(6.0));
  CHECK(layer.fgate.bias.value[1] == Approx(4.0));
  CHECK(layer.fgate.weight.value.vec().cwiseAbs().maxCoeff() == 0.0);
  CHECK(layer.igate.weight.value.vec().cwiseAbs().maxCoeff() == 0.0);
  CHECK(layer.learnable_skip.value.vec().minCoeff() == 1.0);
  CHECK(layer.outnorm.weight.value.vec().cwiseAbs().maxCoeff() == 0.0);
  // small init std √(2/(5D)) and Wang init 2/(num_blocks·√D)
  const auto& W = layer.proj_up.weight.value;
  const double sd = std::sqrt(W.vec().squaredNorm() / double(W.size()));
  CHECK(sd == Approx(std::sqrt(2.0 / (5.0 * 24))).epsilon(0.05));
  const auto& Wd = layer.proj_down.weight.value;
  const double sdd = std::sqrt(Wd.vec().squaredNorm() / double(Wd.size()));
  CHECK(sdd == Approx(2.0 / (3.0 * std::sqrt(24.0))).epsilon(0.05));

  nn::ParamList<double> pl;
  layer.collect("blk", pl);
  CHECK(pl.find("blk/mlstm_cell/igate/weight") != nullptr);
  CHECK(pl.find("blk/conv1d/conv/weight") != nullptr);
  CHECK(pl.find("blk/learnable_skip") != nullptr);
  CHECK(pl.find("blk/proj_up/bias") == nullptr);  // bias = false
  CHECK(pl.size() == 13);
}

TEST_CASE("mlstm layer: finite-difference gradients for the input and every parameter", "[mlstm_layer][grad]") {
  for (bool bias : {false, true}) {
    for (MlstmForm form : {MlstmForm::Chunkwise, MlstmForm::Parallel}) {
      const Index K = bias ? 0 : 3;  // K = 0: no convolution
      INFO("bias=" << bias << " K=" << K << " form=" << (form == MlstmForm::Chunkwise ? "chunkwise(L=2)" : "parallel"));
      MlstmLayer<double> layer(small_config(bias, form, 2, K));
      Rng rng(bias ? 11 : 12);
      randomise(layer, rng);
      const Index B = 2, S = 5;
      Tensor<double> x = test::randn({B, S, 6}, rng);
      const Tensor<double> w = test::randn({B, S, 6}, rng);
      nn::ParamList<double> pl;
      layer.collect("", pl);
      pl.zero_grad();
      layer.forward(x);
      const Tensor<double> dx = layer.backward(w);
      auto loss = [&]() { return test::dot(layer.forward(x), w); };
      { const Tensor<double> num_ = test::numeric_grad(loss, x); XSSM_CHECK_CLOSE(dx, num_, 1e-7); }
      for (auto& it : pl.items()) {
        INFO("parameter " << it.first);
        Tensor<double>& v = it.second->value;
        const Tensor<double> grad = it.second->grad;
        if (v.size() <= 64) {
          { const Tensor<double> num_ = test::numeric_grad(loss, v); XSSM_CHECK_CLOSE(grad, num_, 1e-7); }
        } else {
          CHECK(test::directional_check(loss, v, grad, rng, 4) < 1e-7);
        }
      }
    }
  }
}

TEST_CASE("mlstm layer: parallel and chunkwise forms agree (fwd and bwd)", "[mlstm_layer]") {
  Rng rng(21);
  const Index B = 2, S = 11;
  MlstmLayer<double> lp(small_config(true, MlstmForm::Parallel, 4));
  randomise(lp, rng);
  const Tensor<double> x = test::randn({B, S, 6}, rng), w = test::randn({B, S, 6}, rng);
  nn::ParamList<double> pp;
  lp.collect("", pp);
  const Tensor<double> yp = lp.forward(x);
  const Tensor<double> dxp = lp.backward(w);
  for (Index L : {1, 3, 4, 11, 32}) {
    INFO("chunk " << L);
    MlstmLayer<double> lc(small_config(true, MlstmForm::Chunkwise, L));
    nn::ParamList<double> pc;
    lc.collect("", pc);
    for (size_t i = 0; i < pc.size(); ++i) pc.items()[i].second->value = pp.items()[i].second->value;
    const Tensor<double> yc = lc.forward(x);
    const Tensor<double> dxc = lc.backward(w);  // (XSSM_CHECK_CLOSE evaluates its arguments more than once)
    XSSM_CHECK_CLOSE(yc, yp, 1e-12);
    XSSM_CHECK_CLOSE(dxc, dxp, 1e-11);
    for (size_t i = 0; i < pc.size(); ++i) {
      INFO(pc.items()[i].first);
      XSSM_CHECK_CLOSE(pc.items()[i].second->grad, pp.items()[i].second->grad, 1e-11);
    }
  }
}

TEST_CASE("mlstm layer: step() repeated S times = forward(); constant step memory", "[mlstm_layer]") {
  Rng rng(31);
  const Index B = 2, S = 9;
  const double inf = std::numeric_limits<double>::infinity();
  struct Case { double m0; Index K; };
  for (Case c : {Case{-inf, 3}, Case{0.0, 3}, Case{-inf, 0}, Case{-inf, 1}}) {
    const double m0 = c.m0;
    INFO("step_m0 = " << m0 << " K = " << c.K);
    MlstmLayerConfig cfg = small_config(true, MlstmForm::Chunkwise, 4, c.K);
    cfg.step_m0 = m0;
    MlstmLayer<double> layer(cfg);
    randomise(layer, rng);
    const Tensor<double> x = test::randn({B, S, 6}, rng);
    const Tensor<double> y = layer.forward(x);
    CHECK(layer.constant_state());
    NamedTensors<double> st = layer.initial_state(B);
    CHECK(st.names_str() == "C, n, m, conv");
    const Index numel0 = st.numel();
    Tensor<double> ys({B, S, 6});
    for (Index t = 0; t < S; ++t) {
      const Tensor<double> yt = layer.step(slice_t(x, t), st);
      CHECK(st.numel() == numel0);
      for (Index b = 0; b < B; ++b) std::copy_n(yt.data() + b * 6, 6, ys.data() + (b * S + t) * 6);
    }
    // m0 = −∞ is forward()'s convention (exact); m0 = 0 (official step) moves h by ~1e-7 via eps
    XSSM_CHECK_CLOSE(ys, y, std::isinf(m0) ? 1e-12 : 1e-5);
  }
}

TEST_CASE("mlstm layer: float32 agrees with float64", "[mlstm_layer]") {
  Rng rng(41);
  const Index B = 2, S = 10;
  MlstmLayer<double> ld(small_config(true, MlstmForm::Chunkwise, 4));
  MlstmLayer<float> lf(small_config(true, MlstmForm::Chunkwise, 4));
  randomise(ld, rng);
  nn::ParamList<double> pd;
  nn::ParamList<float> pf;
  ld.collect("", pd);
  lf.collect("", pf);
  for (size_t i = 0; i < pd.size(); ++i) pf.items()[i].second->value = pd.items()[i].second->value.cast<float>();
  const Tensor<double> x = test::randn({B, S, 6}, rng), w = test::randn({B, S, 6}, rng);
  CHECK(rel_err(lf.forward(x.cast<float>()), ld.forward(x)) < 1e-5);
  CHECK(rel_err(lf.backward(w.cast<float>()), ld.backward(w)) < 1e-5);
  for (size_t i = 0; i < pd.size(); ++i) {
    INFO(pd.items()[i].first);
    CHECK(rel_err(pf.items()[i].second->grad, pd.items()[i].second->grad) < 1e-4);
  }
}
