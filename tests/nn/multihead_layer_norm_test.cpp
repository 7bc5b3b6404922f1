#include <catch2/catch.hpp>

#include "nn/grad_check.hpp"
#include "xssm/nn/layer_norm.hpp"
#include "xssm/nn/multihead_layer_norm.hpp"

using namespace xssm;

TEST_CASE("multihead_layer_norm: NH = 1 equals LayerNorm with offset weight") {
  Rng rng(1);
  nn::MultiHeadLayerNorm<double> mh(1, 6);
  nn::LayerNorm<double> ln(6);
  for (Index i = 0; i < 6; ++i) ln.weight.value[i] = mh.weight.value[i] = 0.3 * rng.normal();
  Tensor<double> x = test::randn({2, 5, 1, 6}, rng), dy = test::randn({2, 5, 6}, rng);
  Tensor<double> y = mh.forward(x);
  REQUIRE(y.shape() == Shape{2, 5, 6});
  XSSM_CHECK_CLOSE(y, ln.forward(x.reshaped({2, 5, 6})), 1e-15);
  Tensor<double> dx = mh.backward(x, dy);
  const Tensor<double> dx_ln = ln.backward(x.reshaped({2, 5, 6}), dy);
  XSSM_CHECK_CLOSE(dx.reshaped({2, 5, 6}), dx_ln, 1e-15);
  XSSM_CHECK_CLOSE(mh.weight.grad, ln.weight.grad, 1e-15);
}

TEST_CASE("multihead_layer_norm: each head is a LayerNorm with its slice of the weight") {
  Rng rng(2);
  const Index NH = 3, DH = 4;
  nn::MultiHeadLayerNorm<double> mh(NH, DH, true);
  nn::ParamList<double> pl;
  mh.collect("outnorm", pl);
  CHECK(pl.find("outnorm/weight") == &mh.weight);
  CHECK(pl.find("outnorm/bias") == &mh.bias);
  test::randomize(pl, rng, 0.3);
  Tensor<double> x = test::randn({2, 3, NH, DH}, rng, 1.5);
  Tensor<double> y = mh.forward(x);
  for (Index h = 0; h < NH; ++h) {
    nn::LayerNorm<double> ln(DH, true);
    Tensor<double> xh(Shape{6, DH});
    for (Index r = 0; r < 6; ++r)
      for (Index d = 0; d < DH; ++d) {
        xh.at(r, d) = x[(r * NH + h) * DH + d];
        ln.weight.value[d] = mh.weight.value[h * DH + d];
        ln.bias.value[d] = mh.bias.value[h * DH + d];
      }
    Tensor<double> yh = ln.forward(xh);
    for (Index r = 0; r < 6; ++r)
      for (Index d = 0; d < DH; ++d) CHECK(y[r * NH * DH + h * DH + d] == Approx(yh.at(r, d)).epsilon(1e-14));
  }
  CHECK_THROWS_AS(mh.forward(test::randn({2, 3, NH * DH}, rng)), Error);
}

TEST_CASE("multihead_layer_norm: FD gradients; float agrees with double") {
  for (bool bias : {false, true}) {
    Rng rng(3);
    nn::MultiHeadLayerNorm<double> mh(2, 5, bias);
    nn::ParamList<double> pl;
    mh.collect("", pl);
    test::randomize(pl, rng, 0.3);
    Tensor<double> x = test::randn({2, 3, 2, 5}, rng, 2.0), w = test::randn({2, 3, 10}, rng);
    auto loss = [&] { return test::dot(mh.forward(x), w); };
    pl.zero_grad();
    Tensor<double> dx = mh.backward(x, w);
    test::check_input_grad(loss, x, dx, "x");
    test::check_param_grads(loss, pl);

    nn::MultiHeadLayerNorm<float> mf(2, 5, bias);
    mf.weight.value = mh.weight.value.cast<float>();
    if (bias) mf.bias.value = mh.bias.value.cast<float>();
    const Tensor<float> yf = mf.forward(x.cast<float>());
    const Tensor<float> dxf = mf.backward(x.cast<float>(), w.cast<float>());
    XSSM_CHECK_CLOSE(yf, mh.forward(x), 1e-5);
    XSSM_CHECK_CLOSE(dxf, dx, 1e-4);
  }
}
