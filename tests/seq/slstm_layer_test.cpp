// sLSTM layer: finite-difference gradients (input, every parameter, initial state), step = forward,
// state passing, float32 vs float64, stability, parameter names and official init.
#include <catch2/catch.hpp>
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/slstm_layer.hpp"

using namespace xssm;
using namespace xssm::seq;

namespace {

template <class T>
Tensor<T> slice_t(const Tensor<T>& x, Index t0, Index t1) {
  Tensor<T> out({x.dim(0), t1 - t0, x.dim(2)});
  for (Index b = 0; b < x.dim(0); ++b)
    for (Index t = t0; t < t1; ++t) std::copy(x.ptr(b, t), x.ptr(b, t) + x.dim(2), out.ptr(b, t - t0));
  return out;
}

template <class T>
bool all_finite(const Tensor<T>& t) {
  for (T v : t)
    if (!std::isfinite(v)) return false;
  return true;
}

SlstmLayerConfig config(Index D, Index NH, Index K) {
  SlstmLayerConfig c;
  c.embedding_dim = D;
  c.num_heads = NH;
  c.conv1d_kernel_size = K;
  return c;
}

/// Official init, then every parameter moved (as the fixtures do) so nothing is 0 or 1.
void perturbed_init(SlstmLayer<double>& layer, Rng& rng) {
  layer.init(rng, 2, 1);
  nn::ParamList<double> pl;
  layer.collect("", pl);
  for (auto& it : pl.items())
    for (auto& v : it.second->value) v += 0.3 * rng.normal();
}

/// A random state with n > 0.
NamedTensors<double> random_state(const SlstmLayer<double>& layer, Index B, Rng& rng) {
  NamedTensors<double> s = layer.initial_state(B);
  for (auto& it : s)
    for (auto& v : it.second) v = it.first == "n" ? rng.uniform(0.5, 2.0) : rng.normal();
  return s;
}

}  // namespace

TEST_CASE("slstm layer: finite-difference gradients (x, params, initial state)", "[slstm]") {
  for (Index K : {0, 3}) {
    Rng rng(500 + K);
    const Index B = 2, S = 4, D = 4, NH = 2;
    SlstmLayer<double> layer(config(D, NH, K));
    perturbed_init(layer, rng);
    nn::ParamList<double> pl;
    layer.collect("", pl);
    Tensor<double> x = test::randn({B, S, D}, rng);
    const Tensor<double> w = test::randn({B, S, D}, rng);
    NamedTensors<double> s0 = random_state(layer, B, rng);
    auto loss = [&]() {
      NamedTensors<double> s = s0;
      return test::dot(layer.forward(x, s), w);
    };
    NamedTensors<double> s = s0;
    layer.forward(x, s);
    pl.zero_grad();
    NamedTensors<double> ds0;
    const Tensor<double> dx = layer.backward(w, &ds0);
    XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, x), 1e-7);
    for (auto& it : pl.items()) {
      INFO("param " << it.first);
      XSSM_CHECK_CLOSE(it.second->grad, test::numeric_grad(loss, it.second->value), 1e-7);
    }
    for (auto& it : s0) {
      INFO("state " << it.first);
      Tensor<double> num = test::numeric_grad(loss, it.second);
      XSSM_CHECK_CLOSE(ds0[it.first], num, 1e-7);
    }
    // From the zero state (Mixer::forward): gradients w.r.t. x.
    auto loss0 = [&]() { return test::dot(layer.forward(x), w); };
    layer.forward(x);
    const Tensor<double> dx0 = layer.backward(w);  // before the FD loop overwrites the cache
    XSSM_CHECK_CLOSE(dx0, test::numeric_grad(loss0, x), 1e-7);
  }
}

TEST_CASE("slstm layer: step repeated = forward; state passing; constant step memory", "[slstm]") {
  for (Index K : {0, 2, 4}) {
    Rng rng(600 + K);
    const Index B = 2, S = 7, D = 6, NH = 3;
    SlstmLayer<double> layer(config(D, NH, K));
    perturbed_init(layer, rng);
    const Tensor<double> x = test::randn({B, S, D}, rng);
    const Tensor<double> y = layer.forward(x);
    NamedTensors<double> st = layer.initial_state(B);
    CHECK(st.size() == size_t(K > 0 ? 5 : 4));
    const Index n0 = st.numel();
    Tensor<double> ys({B, S, D});
    for (Index t = 0; t < S; ++t) {
      const Tensor<double> yt = layer.step(slice_t(x, t, t + 1).reshaped({B, D}), st);
      CHECK(st.numel() == n0);
      for (Index b = 0; b < B; ++b) std::copy(yt.ptr(b), yt.ptr(b) + D, ys.ptr(b, t));
    }
    XSSM_CHECK_CLOSE(ys, y, 1e-13);
    for (Index split : {1, 3, 6}) {
      NamedTensors<double> s = layer.initial_state(B);
      const Tensor<double> y1 = layer.forward(slice_t(x, 0, split), s);
      const Tensor<double> y2 = layer.forward(slice_t(x, split, S), s);
      XSSM_CHECK_CLOSE(y1, slice_t(y, 0, split), 1e-13);
      XSSM_CHECK_CLOSE(y2, slice_t(y, split, S), 1e-13);
      for (auto& it : st) {
        INFO("state " << it.first);
        XSSM_CHECK_CLOSE(s[it.first], it.second, 1e-13);
      }
    }
  }
}

TEST_CASE("slstm layer: float32 agrees with float64; stability", "[slstm]") {
  Rng rng(700);
  const Index B = 2, S = 16, D = 8, NH = 2;
  SlstmLayer<double> l64(config(D, NH, 4));
  SlstmLayer<float> l32(config(D, NH, 4));
  perturbed_init(l64, rng);
  nn::ParamList<double> p64;
  nn::ParamList<float> p32;
  l64.collect("", p64);
  l32.collect("", p32);
  REQUIRE(p64.size() == p32.size());
  for (size_t k = 0; k < p64.size(); ++k) p32.items()[k].second->value = p64.items()[k].second->value.cast<float>();
  const Tensor<double> x = test::randn({B, S, D}, rng), w = test::randn({B, S, D}, rng);
  XSSM_CHECK_CLOSE(l32.forward(x.cast<float>()), l64.forward(x), 1e-5);
  XSSM_CHECK_CLOSE(l32.backward(w.cast<float>()), l64.backward(w), 1e-4);

  Tensor<double> xl({1, 4096, D});
  for (auto& v : xl) v = rng.bernoulli(0.5) ? 50.0 : -50.0;
  CHECK(all_finite(l64.forward(xl)));
  CHECK(all_finite(l64.backward(test::randn({1, 4096, D}, rng))));
  CHECK(all_finite(l32.forward(xl.cast<float>())));

  // Tiny: D = NH = 1 (DH = 1), S = 1.
  SlstmLayer<double> tiny(config(1, 1, 2));
  perturbed_init(tiny, rng);
  Tensor<double> xt = test::randn({1, 1, 1}, rng);
  auto loss = [&]() { return tiny.forward(xt)[0] * 0.3; };
  tiny.forward(xt);
  const Tensor<double> dxt = tiny.backward(Tensor<double>({1, 1, 1}, 0.3));
  XSSM_CHECK_CLOSE(dxt, test::numeric_grad(loss, xt), 1e-7);
}

TEST_CASE("slstm layer: parameter names and official init", "[slstm]") {
  Rng rng(800);
  SlstmLayer<double> layer(config(8, 2, 4));
  nn::ParamList<double> pl;
  layer.collect("xlstm", pl);
  for (const char* n : {"xlstm/conv1d/conv/weight", "xlstm/conv1d/conv/bias", "xlstm/fgate/weight", "xlstm/igate/weight",
                        "xlstm/zgate/weight", "xlstm/ogate/weight", "xlstm/slstm_cell/_recurrent_kernel_",
                        "xlstm/slstm_cell/_bias_", "xlstm/group_norm/weight"}) {
    INFO(n);
    CHECK(pl.find(n) != nullptr);
  }
  CHECK(pl.size() == 9);
  CHECK(pl["xlstm/fgate/weight"].value.shape() == Shape{2, 4, 4});
  CHECK(pl["xlstm/slstm_cell/_recurrent_kernel_"].value.shape() == Shape{2, 16, 4});
  layer.init(rng, 1, 0);
  CHECK(pl["xlstm/slstm_cell/_recurrent_kernel_"].value.vec().cwiseAbs().maxCoeff() == 0.0);
  CHECK(pl["xlstm/slstm_cell/_bias_"].value[8] == Approx(5.0));   // forget gate, d = 0
  CHECK(pl["xlstm/slstm_cell/_bias_"].value[11] == Approx(-7.0)); // forget gate, d = DH-1
  const auto& W = pl["xlstm/zgate/weight"].value;
  double ss = 0;
  for (double v : W) ss += v * v;
  CHECK(std::sqrt(ss / double(W.size())) == Approx(std::sqrt(2.0 / 40.0)).epsilon(0.35));
  SlstmLayer<double> noconv(config(8, 2, 0));
  nn::ParamList<double> p2;
  noconv.collect("", p2);
  CHECK(p2.size() == 7);
  CHECK_THROWS_AS(SlstmLayer<double>(config(9, 2, 4)), UsageError);
}
