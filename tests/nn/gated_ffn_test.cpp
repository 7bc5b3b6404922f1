#include <catch2/catch.hpp>

#include "nn/grad_check.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/nn/gated_ffn.hpp"

using namespace xssm;

TEST_CASE("gated_ffn: up_proj_dim rounds up to the multiple (fixtures README)") {
  CHECK(nn::up_proj_dim(32, 1.3, 64) == 64);
  CHECK(nn::up_proj_dim(24, 2.0, 64) == 64);
  CHECK(nn::up_proj_dim(16, 2.0, 16) == 32);
  CHECK(nn::up_proj_dim(64, 2.0, 64) == 128);
  CHECK(nn::up_proj_dim(100, 1.3, 64) == 192);
}

TEST_CASE("gated_ffn: first half is the gate; FD gradients (gelu and silu, with/without bias)") {
  for (nn::FfnAct act : {nn::FfnAct::Gelu, nn::FfnAct::Silu})
    for (bool bias : {false, true}) {
      Rng rng(1);
      const Index D = 4, P = 3;
      nn::GatedFfn<double> ffn(D, P, bias, act);
      nn::ParamList<double> pl;
      ffn.collect("ffn", pl);
      CHECK(pl.find("ffn/proj_up/weight") == &ffn.proj_up.weight);
      CHECK(pl.find("ffn/proj_down/weight") == &ffn.proj_down.weight);
      CHECK(pl.size() == (bias ? 4u : 2u));
      test::randomize(pl, rng, 0.5);
      Tensor<double> x = test::randn({2, 3, D}, rng), w = test::randn({2, 3, D}, rng);
      // Definition: y = proj_down(act(u[:P]) ⊙ u[P:]).
      Tensor<double> u = ffn.proj_up.forward(x), h({2, 3, P});
      for (Index r = 0; r < 6; ++r)
        for (Index i = 0; i < P; ++i) {
          const double g = u[r * 2 * P + i];
          h[r * P + i] = (act == nn::FfnAct::Gelu ? nn::gelu(g) : nn::silu(g)) * u[r * 2 * P + P + i];
        }
      XSSM_CHECK_CLOSE(ffn.forward(x), ffn.proj_down.forward(h), 1e-15);
      auto loss = [&] { return test::dot(ffn.forward(x), w); };
      pl.zero_grad();
      Tensor<double> dx = ffn.backward(x, w);
      test::check_input_grad(loss, x, dx, "x");
      test::check_param_grads(loss, pl);
    }
}

TEST_CASE("gated_ffn: float agrees with double; init") {
  Rng rng(2);
  nn::GatedFfn<double> ffn(8, 16);
  ffn.init(rng, 4);
  nn::GatedFfn<float> ff(8, 16);
  ff.proj_up.weight.value = ffn.proj_up.weight.value.cast<float>();
  ff.proj_down.weight.value = ffn.proj_down.weight.value.cast<float>();
  Tensor<double> x = test::randn({5, 8}, rng), dy = test::randn({5, 8}, rng);
  const Tensor<double> y = ffn.forward(x), dx = ffn.backward(x, dy);
  const Tensor<float> yf = ff.forward(x.cast<float>()), dxf = ff.backward(x.cast<float>(), dy.cast<float>());
  XSSM_CHECK_CLOSE(yf, y, 1e-5);
  XSSM_CHECK_CLOSE(dxf, dx, 1e-5);
}

TEST_CASE("swiglu: y = w2(silu(w1 x) * w3 x); FD gradients; names") {
  Rng rng(3);
  nn::SwiGlu<double> mlp(4, 6);
  nn::ParamList<double> pl;
  mlp.collect("feed_forward", pl);
  REQUIRE(pl.size() == 3);
  CHECK(pl.find("feed_forward/w1/weight") == &mlp.w1.weight);
  CHECK(pl.find("feed_forward/w2/weight") == &mlp.w2.weight);
  CHECK(pl.find("feed_forward/w3/weight") == &mlp.w3.weight);
  test::randomize(pl, rng, 0.5);
  Tensor<double> x = test::randn({3, 4}, rng), w = test::randn({3, 4}, rng);
  Tensor<double> a = mlp.w1.forward(x), b = mlp.w3.forward(x);
  for (Index i = 0; i < a.size(); ++i) b[i] *= nn::silu(a[i]);
  XSSM_CHECK_CLOSE(mlp.forward(x), mlp.w2.forward(b), 1e-15);
  auto loss = [&] { return test::dot(mlp.forward(x), w); };
  pl.zero_grad();
  Tensor<double> dx = mlp.backward(x, w);
  test::check_input_grad(loss, x, dx, "x");
  test::check_param_grads(loss, pl);
}
