#include <catch2/catch.hpp>

#include "nn/grad_check.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/nn/causal_conv1d.hpp"

using namespace xssm;

namespace {
nn::CausalConv1d<double> make_conv(Index F, Index K, bool bias, Rng& rng) {
  nn::CausalConv1d<double> conv(F, K, bias);
  nn::ParamList<double> pl;
  conv.collect("", pl);
  test::randomize(pl, rng, 0.5);
  return conv;
}
// Rows [s0, s1) of x (B, S, F).
Tensor<double> time_slice(const Tensor<double>& x, Index s0, Index s1) {
  const Index B = x.dim(0), F = x.dim(2);
  Tensor<double> y({B, s1 - s0, F});
  for (Index b = 0; b < B; ++b)
    for (Index s = s0; s < s1; ++s)
      for (Index c = 0; c < F; ++c) y.at(b, s - s0, c) = x.at(b, s, c);
  return y;
}
}  // namespace

TEST_CASE("causal_conv1d: forward matches the definition; names") {
  Rng rng(1);
  const Index B = 2, S = 5, F = 3, K = 3;
  auto conv = make_conv(F, K, true, rng);
  nn::ParamList<double> pl;
  conv.collect("conv1d/conv", pl);
  CHECK(pl.find("conv1d/conv/weight") == &conv.weight);
  CHECK(pl.find("conv1d/conv/bias") == &conv.bias);
  Tensor<double> x = test::randn({B, S, F}, rng), init = test::randn({B, F, K - 1}, rng);
  for (bool silu : {false, true}) {
    Tensor<double> y = conv.forward(x, silu, &init);
    for (Index b = 0; b < B; ++b)
      for (Index t = 0; t < S; ++t)
        for (Index c = 0; c < F; ++c) {
          double acc = conv.bias.value[c];
          for (Index j = 0; j < K; ++j) {
            const Index s = t - K + 1 + j;  // W[c,0,K−1] multiplies the current input
            const double v = s >= 0 ? x.at(b, s, c) : init.at(b, c, K - 1 + s);
            acc += conv.weight.value.at(c, 0, j) * v;
          }
          CHECK(y.at(b, t, c) == Approx(silu ? nn::silu(acc) : acc).epsilon(1e-14).margin(1e-15));
        }
  }
  CHECK_THROWS_AS(conv.forward(test::randn({B, S, F + 1}, rng)), Error);
  Tensor<double> bad = test::randn({B, F, K}, rng);
  CHECK_THROWS_AS(conv.forward(x, false, &bad), Error);
}

TEST_CASE("causal_conv1d: FD gradients for x, weight, bias and initial state, with final-state cotangent") {
  struct Case { Index B, S, F, K; bool bias, silu, init, fin; };
  const Case cases[] = {{2, 6, 3, 4, true, true, true, true},  {1, 5, 2, 3, false, false, true, false},
                        {2, 2, 3, 4, true, true, true, true},  // S < K − 1: carry holds initial columns
                        {2, 4, 2, 2, true, false, false, true}, {1, 1, 2, 4, true, true, true, true},
                        {2, 3, 2, 1, true, true, false, false}};
  for (const Case& c : cases) {
    INFO("B=" << c.B << " S=" << c.S << " F=" << c.F << " K=" << c.K << " bias=" << c.bias << " silu=" << c.silu
              << " init=" << c.init << " final=" << c.fin);
    Rng rng(2);
    auto conv = make_conv(c.F, c.K, c.bias, rng);
    nn::ParamList<double> pl;
    conv.collect("", pl);
    Tensor<double> x = test::randn({c.B, c.S, c.F}, rng), init = test::randn({c.B, c.F, c.K - 1}, rng);
    Tensor<double> w = test::randn({c.B, c.S, c.F}, rng), wf = test::randn({c.B, c.F, c.K - 1}, rng);
    auto loss = [&] {
      Tensor<double> fin;
      Tensor<double> y = conv.forward(x, c.silu, c.init ? &init : nullptr, c.fin ? &fin : nullptr);
      return test::dot(y, w) + (c.fin ? test::dot(fin, wf) : 0.0);
    };
    pl.zero_grad();
    Tensor<double> dinit;
    Tensor<double> dx = conv.backward(x, w, c.silu, c.init ? &init : nullptr, &dinit, c.fin ? &wf : nullptr);
    test::check_input_grad(loss, x, dx, "x");
    test::check_param_grads(loss, pl);
    if (c.init) test::check_input_grad(loss, init, dinit, "initial_state");
  }
}

TEST_CASE("causal_conv1d: step repeated S times equals forward (from zero and from a carried state)") {
  Rng rng(3);
  const Index B = 2, S = 7, F = 4, K = 4;
  auto conv = make_conv(F, K, true, rng);
  Tensor<double> x = test::randn({B, S, F}, rng), init = test::randn({B, F, K - 1}, rng);
  for (bool use_init : {false, true}) {
    Tensor<double> fin;
    const Tensor<double> y = conv.forward(x, true, use_init ? &init : nullptr, &fin);
    Tensor<double> st = use_init ? nn::step_state_from_carry(init) : Tensor<double>({B, F, K});
    Tensor<double> ys({B, S, F});
    for (Index t = 0; t < S; ++t) {
      Tensor<double> xt({B, F});
      for (Index b = 0; b < B; ++b)
        for (Index c = 0; c < F; ++c) xt.at(b, c) = x.at(b, t, c);
      Tensor<double> yt = conv.step(xt, st, true);
      for (Index b = 0; b < B; ++b)
        for (Index c = 0; c < F; ++c) ys.at(b, t, c) = yt.at(b, c);
    }
    XSSM_CHECK_CLOSE(ys, y, 1e-14);
    // The step window holds the last K inputs, oldest first; its newest K−1 are the carry.
    XSSM_CHECK_CLOSE(nn::carry_from_step_state(st), fin, 0.0);
    for (Index b = 0; b < B; ++b)
      for (Index c = 0; c < F; ++c) CHECK(st.at(b, c, 0) == x.at(b, S - K, c));
  }
}

TEST_CASE("causal_conv1d: state passing: forward(x[0:s]) then forward(x[s:S]) from the carry = forward(x)") {
  Rng rng(4);
  const Index B = 2, S = 9, F = 3, K = 4;
  auto conv = make_conv(F, K, true, rng);
  Tensor<double> x = test::randn({B, S, F}, rng), init = test::randn({B, F, K - 1}, rng);
  Tensor<double> fin_all;
  const Tensor<double> y = conv.forward(x, true, &init, &fin_all);
  for (Index s : {Index(1), Index(2), Index(5), Index(8)}) {
    INFO("split at " << s);
    Tensor<double> carry, fin;
    Tensor<double> y1 = conv.forward(time_slice(x, 0, s), true, &init, &carry);
    Tensor<double> y2 = conv.forward(time_slice(x, s, S), true, &carry, &fin);
    XSSM_CHECK_CLOSE(y1, time_slice(y, 0, s), 1e-15);
    XSSM_CHECK_CLOSE(y2, time_slice(y, s, S), 1e-15);
    XSSM_CHECK_CLOSE(fin, fin_all, 0.0);
  }
  // Gradients through the split: backward of part 2 gives d(carry), which part 1 takes as d_final.
  Tensor<double> dy = test::randn({B, S, F}, rng);
  conv.weight.zero_grad();
  Tensor<double> dinit_all;
  const Tensor<double> dx = conv.backward(x, dy, true, &init, &dinit_all);
  const Tensor<double> dW_all = conv.weight.grad;
  conv.weight.zero_grad();
  const Index s = 3;
  Tensor<double> carry, dcarry, dinit;
  conv.forward(time_slice(x, 0, s), true, &init, &carry);
  Tensor<double> dx2 = conv.backward(time_slice(x, s, S), time_slice(dy, s, S), true, &carry, &dcarry);
  Tensor<double> dx1 = conv.backward(time_slice(x, 0, s), time_slice(dy, 0, s), true, &init, &dinit, &dcarry);
  XSSM_CHECK_CLOSE(dx1, time_slice(dx, 0, s), 1e-14);
  XSSM_CHECK_CLOSE(dx2, time_slice(dx, s, S), 1e-14);
  XSSM_CHECK_CLOSE(dinit, dinit_all, 1e-14);
  XSSM_CHECK_CLOSE(conv.weight.grad, dW_all, 1e-14);
}

TEST_CASE("causal_conv1d: large batch (parallel path) and float agree with double") {
  Rng rng(5);
  const Index B = 8, S = 64, F = 48, K = 4;
  auto conv = make_conv(F, K, true, rng);
  Tensor<double> x = test::randn({B, S, F}, rng), dy = test::randn({B, S, F}, rng);
  const Tensor<double> y = conv.forward(x, true);
  conv.weight.zero_grad();
  conv.bias.zero_grad();
  const Tensor<double> dx = conv.backward(x, dy, true);
  // Batch element 3 alone gives the same numbers.
  Tensor<double> x3({1, S, F});
  std::copy(x.ptr(3), x.ptr(3) + S * F, x3.data());
  const Tensor<double> y3 = conv.forward(x3, true);
  for (Index i = 0; i < S * F; ++i) CHECK(y3[i] == y.ptr(3)[i]);

  nn::CausalConv1d<float> cf(F, K, true);
  cf.weight.value = conv.weight.value.cast<float>();
  cf.bias.value = conv.bias.value.cast<float>();
  const Tensor<float> yf = cf.forward(x.cast<float>(), true);
  const Tensor<float> dxf = cf.backward(x.cast<float>(), dy.cast<float>(), true);
  XSSM_CHECK_CLOSE(yf, y, 1e-5);
  XSSM_CHECK_CLOSE(dxf, dx, 1e-5);
  XSSM_CHECK_CLOSE(cf.weight.grad, conv.weight.grad, 1e-4);
  XSSM_CHECK_CLOSE(cf.bias.grad, conv.bias.grad, 1e-4);
}
