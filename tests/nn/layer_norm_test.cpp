#include <catch2/catch.hpp>
#include <cmath>

#include "nn/grad_check.hpp"
#include "xssm/nn/layer_norm.hpp"

using namespace xssm;

namespace {
// Naive reference: per row, (x − μ)/√(σ² + eps)·scale + bias.
Tensor<double> ln_ref(const Tensor<double>& x, const nn::LayerNorm<double>& ln) {
  const Index D = x.shape().back(), R = x.size() / D;
  Tensor<double> y(x.shape());
  for (Index r = 0; r < R; ++r) {
    double mu = 0, var = 0;
    for (Index i = 0; i < D; ++i) mu += x[r * D + i] / D;
    for (Index i = 0; i < D; ++i) var += (x[r * D + i] - mu) * (x[r * D + i] - mu) / D;
    for (Index i = 0; i < D; ++i) {
      const double s = ln.weight_offset ? 1 + ln.weight.value[i] : ln.weight.value[i];
      y[r * D + i] = (x[r * D + i] - mu) / std::sqrt(var + ln.eps) * s + (ln.has_bias ? ln.bias.value[i] : 0.0);
    }
  }
  return y;
}
}  // namespace

TEST_CASE("layer_norm: init is the identity normalisation; names") {
  nn::LayerNorm<double> a(4), b(4, true, false);
  for (double v : a.weight.value) CHECK(v == 0.0);
  for (double v : b.weight.value) CHECK(v == 1.0);
  nn::ParamList<double> pl;
  a.collect("xlstm_norm", pl);
  b.collect("norm", pl);
  REQUIRE(pl.size() == 3);
  CHECK(pl.find("xlstm_norm/weight") == &a.weight);
  CHECK(pl.find("norm/bias") == &b.bias);
  Rng rng(1);
  Tensor<double> x = test::randn({3, 4}, rng);
  XSSM_CHECK_CLOSE(a.forward(x), b.forward(x), 1e-15);
  CHECK_THROWS_AS(a.forward(test::randn({3, 5}, rng)), Error);
}

TEST_CASE("layer_norm: forward matches the naive formula and FD gradients (all options)") {
  for (bool bias : {false, true})
    for (bool offset : {true, false}) {
      INFO("bias " << bias << " offset " << offset);
      Rng rng(2);
      nn::LayerNorm<double> ln(7, bias, offset, 1e-5);
      nn::ParamList<double> pl;
      ln.collect("", pl);
      test::randomize(pl, rng, 0.3, offset ? 0.0 : 1.0);
      Tensor<double> x = test::randn({2, 3, 7}, rng, 2.0), w = test::randn({2, 3, 7}, rng);
      XSSM_CHECK_CLOSE(ln.forward(x), ln_ref(x, ln), 1e-14);
      auto loss = [&] { return test::dot(ln.forward(x), w); };
      pl.zero_grad();
      Tensor<double> dx = ln.backward(x, w);
      test::check_input_grad(loss, x, dx, "x");
      test::check_param_grads(loss, pl);
    }
}

TEST_CASE("layer_norm: many rows (parallel path) and float agree with double") {
  Rng rng(3);
  nn::LayerNorm<double> ln(96, true, true);
  nn::ParamList<double> pl;
  ln.collect("", pl);
  test::randomize(pl, rng, 0.2);
  Tensor<double> x = test::randn({1000, 96}, rng), dy = test::randn({1000, 96}, rng);
  Tensor<double> y = ln.forward(x);
  XSSM_CHECK_CLOSE(y, ln_ref(x, ln), 1e-14);
  pl.zero_grad();
  Tensor<double> dx = ln.backward(x, dy);
  // Weight gradient by the definition Σ_rows dy ⊙ x̂.
  Tensor<double> dw(Shape{96}), db(Shape{96});
  nn::LayerNorm<double> plain(96, false, false);
  Tensor<double> xh = plain.forward(x);
  for (Index r = 0; r < 1000; ++r)
    for (Index c = 0; c < 96; ++c) dw[c] += dy[r * 96 + c] * xh[r * 96 + c], db[c] += dy[r * 96 + c];
  XSSM_CHECK_CLOSE(ln.weight.grad, dw, 1e-12);
  XSSM_CHECK_CLOSE(ln.bias.grad, db, 1e-12);

  nn::LayerNorm<float> lf(96, true, true);
  lf.weight.value = ln.weight.value.cast<float>();
  lf.bias.value = ln.bias.value.cast<float>();
  const Tensor<float> yf = lf.forward(x.cast<float>());
  const Tensor<float> dxf = lf.backward(x.cast<float>(), dy.cast<float>());
  XSSM_CHECK_CLOSE(yf, y, 1e-5);
  XSSM_CHECK_CLOSE(dxf, dx, 1e-4);
  XSSM_CHECK_CLOSE(lf.weight.grad, ln.weight.grad, 1e-4);
}
