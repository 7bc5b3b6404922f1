#include <catch2/catch.hpp>

#include "nn/grad_check.hpp"
#include "xssm/nn/headwise_linear.hpp"
#include "xssm/nn/linear.hpp"

using namespace xssm;

TEST_CASE("headwise_linear: equals a Linear with a block-diagonal weight") {
  Rng rng(1);
  const Index in = 6, NH = 3, E = 2;  // I = 2, O = 4, out = 12
  nn::HeadwiseLinear<double> hw(in, NH, E, true);
  REQUIRE(hw.weight.value.shape() == Shape{3, 4, 2});
  CHECK(hw.in() == 6);
  CHECK(hw.out() == 12);
  nn::ParamList<double> pl;
  hw.collect("q_proj", pl);
  CHECK(pl.find("q_proj/weight") == &hw.weight);
  CHECK(pl.find("q_proj/bias") == &hw.bias);
  test::randomize(pl, rng);
  nn::Linear<double> lin(in, 12, true);
  lin.weight.value.zero();
  for (Index n = 0; n < NH; ++n)
    for (Index o = 0; o < 4; ++o)
      for (Index i = 0; i < 2; ++i) lin.weight.value.at(n * 4 + o, n * 2 + i) = hw.weight.value.at(n, o, i);
  lin.bias.value = hw.bias.value;
  Tensor<double> x = test::randn({2, 3, in}, rng), dy = test::randn({2, 3, 12}, rng);
  XSSM_CHECK_CLOSE(hw.forward(x), lin.forward(x), 1e-14);
  const Tensor<double> dx_hw = hw.backward(x, dy), dx_lin = lin.backward(x, dy);
  XSSM_CHECK_CLOSE(dx_hw, dx_lin, 1e-14);
  XSSM_CHECK_CLOSE(hw.bias.grad, lin.bias.grad, 1e-14);
  CHECK_THROWS_AS(nn::HeadwiseLinear<double>(7, 2), Error);
  CHECK_THROWS_AS(hw.forward(test::randn({2, 5}, rng)), Error);
}

TEST_CASE("headwise_linear: FD gradients; float agrees with double") {
  for (bool bias : {false, true}) {
    Rng rng(2);
    nn::HeadwiseLinear<double> hw(8, 4, 1, bias);
    nn::ParamList<double> pl;
    hw.collect("", pl);
    test::randomize(pl, rng);
    Tensor<double> x = test::randn({3, 2, 8}, rng), w = test::randn({3, 2, 8}, rng);
    auto loss = [&] { return test::dot(hw.forward(x), w); };
    pl.zero_grad();
    Tensor<double> dx = hw.backward(x, w);
    test::check_input_grad(loss, x, dx, "x");
    test::check_param_grads(loss, pl);

    nn::HeadwiseLinear<float> hf(8, 4, 1, bias);
    hf.weight.value = hw.weight.value.cast<float>();
    if (bias) hf.bias.value = hw.bias.value.cast<float>();
    const Tensor<float> yf = hf.forward(x.cast<float>());
    const Tensor<float> dxf = hf.backward(x.cast<float>(), w.cast<float>());
    XSSM_CHECK_CLOSE(yf, hw.forward(x), 1e-5);
    XSSM_CHECK_CLOSE(dxf, dx, 1e-5);
    XSSM_CHECK_CLOSE(hf.weight.grad, hw.weight.grad, 1e-5);
  }
}
