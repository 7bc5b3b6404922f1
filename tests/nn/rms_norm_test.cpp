#include <catch2/catch.hpp>
#include <cmath>

#include "nn/grad_check.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/nn/rms_norm.hpp"

using namespace xssm;

TEST_CASE("rms_norm: forward matches x / sqrt(mean(x^2) + eps) * weight; FD gradients") {
  Rng rng(1);
  nn::RmsNorm<double> rn(6);
  for (double v : rn.weight.value) CHECK(v == 1.0);
  nn::ParamList<double> pl;
  rn.collect("norm_f", pl);
  CHECK(pl.find("norm_f/weight") == &rn.weight);
  test::randomize(pl, rng, 0.3, 1.0);
  Tensor<double> x = test::randn({2, 3, 6}, rng, 1.5), w = test::randn({2, 3, 6}, rng);
  Tensor<double> y = rn.forward(x);
  for (Index r = 0; r < 6; ++r) {
    double ms = 0;
    for (Index i = 0; i < 6; ++i) ms += x[r * 6 + i] * x[r * 6 + i] / 6;
    for (Index i = 0; i < 6; ++i)
      CHECK(y[r * 6 + i] == Approx(x[r * 6 + i] / std::sqrt(ms + 1e-5) * rn.weight.value[i]).epsilon(1e-14));
  }
  auto loss = [&] { return test::dot(rn.forward(x), w); };
  pl.zero_grad();
  Tensor<double> dx = rn.backward(x, w);
  test::check_input_grad(loss, x, dx, "x");
  test::check_param_grads(loss, pl);

  nn::RmsNorm<float> rf(6);
  rf.weight.value = rn.weight.value.cast<float>();
  const Tensor<float> yf = rf.forward(x.cast<float>());
  const Tensor<float> dxf = rf.backward(x.cast<float>(), w.cast<float>());
  XSSM_CHECK_CLOSE(yf, y, 1e-5);
  XSSM_CHECK_CLOSE(dxf, dx, 1e-4);
}

TEST_CASE("gated_rms_norm: grouped definition, one group = RmsNorm of x*silu(z); FD gradients") {
  Rng rng(2);
  const Index D = 8;
  for (Index gs : {Index(0), Index(4), Index(2)}) {
    INFO("group_size " << gs);
    nn::GatedRmsNorm<double> gn(D, gs);
    nn::ParamList<double> pl;
    gn.collect("norm", pl);
    CHECK(pl.find("norm/weight") == &gn.weight);
    test::randomize(pl, rng, 0.3, 1.0);
    Tensor<double> x = test::randn({2, 3, D}, rng, 1.5), z = test::randn({2, 3, D}, rng, 1.5);
    Tensor<double> w = test::randn({2, 3, D}, rng);
    const Tensor<double> y = gn.forward(x, z);
    const Index G = gs == 0 ? D : gs;
    for (Index r = 0; r < 6; ++r)
      for (Index g = 0; g < D / G; ++g) {
        double ms = 0;
        for (Index i = 0; i < G; ++i) {
          const Index k = r * D + g * G + i;
          ms += std::pow(x[k] * nn::silu(z[k]), 2) / G;
        }
        for (Index i = 0; i < G; ++i) {
          const Index k = r * D + g * G + i;
          CHECK(y[k] == Approx(x[k] * nn::silu(z[k]) / std::sqrt(ms + 1e-5) * gn.weight.value[g * G + i])
                            .epsilon(1e-13).margin(1e-15));
        }
      }
    if (gs == 0) {
      nn::RmsNorm<double> rn(D);
      rn.weight.value = gn.weight.value;
      Tensor<double> v(x.shape());
      for (Index i = 0; i < x.size(); ++i) v[i] = x[i] * nn::silu(z[i]);
      XSSM_CHECK_CLOSE(y, rn.forward(v), 1e-15);
    }
    auto loss = [&] { return test::dot(gn.forward(x, z), w); };
    pl.zero_grad();
    Tensor<double> dx, dz;
    gn.backward(x, z, w, dx, dz);
    test::check_input_grad(loss, x, dx, "x");
    test::check_input_grad(loss, z, dz, "z");
    test::check_param_grads(loss, pl);

    nn::GatedRmsNorm<float> gf(D, gs);
    gf.weight.value = gn.weight.value.cast<float>();
    Tensor<float> dxf, dzf;
    gf.backward(x.cast<float>(), z.cast<float>(), w.cast<float>(), dxf, dzf);
    const Tensor<float> yf = gf.forward(x.cast<float>(), z.cast<float>());
    XSSM_CHECK_CLOSE(yf, y, 1e-5);
    XSSM_CHECK_CLOSE(dxf, dx, 1e-4);
    XSSM_CHECK_CLOSE(dzf, dz, 1e-4);
  }
  CHECK_THROWS_AS(nn::GatedRmsNorm<double>(8, 3), Error);
}
