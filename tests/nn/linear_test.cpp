#include <catch2/catch.hpp>

#include "nn/grad_check.hpp"
#include "xssm/nn/linear.hpp"

using namespace xssm;

TEST_CASE("linear: forward equals x Wᵀ + b elementwise") {
  Rng rng(1);
  nn::Linear<double> lin(3, 4, true);
  nn::ParamList<double> pl;
  lin.collect("proj", pl);
  REQUIRE(pl.size() == 2);
  CHECK(pl.find("proj/weight") == &lin.weight);
  CHECK(pl.find("proj/bias") == &lin.bias);
  test::randomize(pl, rng);
  Tensor<double> x = test::randn({2, 5, 3}, rng);
  Tensor<double> y = lin.forward(x);
  REQUIRE(y.shape() == Shape{2, 5, 4});
  for (Index b = 0; b < 2; ++b)
    for (Index s = 0; s < 5; ++s)
      for (Index o = 0; o < 4; ++o) {
        double want = lin.bias.value[o];
        for (Index i = 0; i < 3; ++i) want += lin.weight.value.at(o, i) * x.at(b, s, i);
        CHECK(y.at(b, s, o) == Approx(want).epsilon(1e-14).margin(1e-14));
      }
  CHECK_THROWS_AS(lin.forward(test::randn({2, 4}, rng)), Error);
}

TEST_CASE("linear: FD gradients (input, weight, bias), with and without bias") {
  for (bool bias : {true, false}) {
    Rng rng(2);
    nn::Linear<double> lin(5, 3, bias);
    nn::ParamList<double> pl;
    lin.collect("", pl);
    CHECK(pl.size() == (bias ? 2u : 1u));
    test::randomize(pl, rng);
    Tensor<double> x = test::randn({2, 3, 5}, rng), w = test::randn({2, 3, 3}, rng);
    auto loss = [&] { return test::dot(lin.forward(x), w); };
    pl.zero_grad();
    Tensor<double> dx = lin.backward(x, w);
    test::check_input_grad(loss, x, dx, "x");
    test::check_param_grads(loss, pl);
    // Gradients accumulate.
    Tensor<double> g1 = lin.weight.grad;
    lin.backward(x, w);
    for (Index i = 0; i < g1.size(); ++i) CHECK(lin.weight.grad[i] == Approx(2 * g1[i]));
  }
}

TEST_CASE("linear: large input (parallel blocks) equals the serial product; float agrees with double") {
  Rng rng(3);
  nn::Linear<double> lin(64, 80, true);
  nn::ParamList<double> pl;
  lin.collect("", pl);
  test::randomize(pl, rng, 0.1);
  Tensor<double> x = test::randn({130, 64}, rng);
  Tensor<double> y = lin.forward(x);
  Tensor<double> want(Shape{130, 80});
  want.mat() = (x.mat() * lin.weight.value.mat().transpose()).rowwise() + lin.bias.value.vec().transpose();
  XSSM_CHECK_CLOSE(y, want, 1e-14);
  Tensor<double> dy = test::randn({130, 80}, rng);
  pl.zero_grad();
  Tensor<double> dx = lin.backward(x, dy);
  Tensor<double> dW_want(Shape{80, 64});
  dW_want.mat() = dy.mat().transpose() * x.mat();
  XSSM_CHECK_CLOSE(lin.weight.grad, dW_want, 1e-13);

  nn::Linear<float> lf(64, 80, true);
  lf.weight.value = lin.weight.value.cast<float>();
  lf.bias.value = lin.bias.value.cast<float>();
  // (XSSM_CHECK_CLOSE evaluates its arguments more than once: compute first.)
  const Tensor<float> yf = lf.forward(x.cast<float>());
  const Tensor<float> dxf = lf.backward(x.cast<float>(), dy.cast<float>());
  XSSM_CHECK_CLOSE(yf, y, 1e-5);
  XSSM_CHECK_CLOSE(dxf, dx, 1e-5);
  XSSM_CHECK_CLOSE(lf.weight.grad, lin.weight.grad, 1e-5);
}

TEST_CASE("linear: init helpers") {
  Rng rng(4);
  nn::Linear<double> lin(100, 50, true);
  lin.init_normal(rng, nn::small_init_std(100));
  double s2 = 0;
  for (double v : lin.weight.value) s2 += v * v;
  CHECK(std::sqrt(s2 / 5000) == Approx(std::sqrt(2.0 / 500)).epsilon(0.05));
  for (double v : lin.bias.value) CHECK(v == 0.0);
  CHECK(nn::wang_init_std(16, 4) == Approx(2.0 / (4 * 4)));
  lin.init_torch_default(rng);
  for (double v : lin.weight.value) CHECK(std::fabs(v) <= 0.1);
}
