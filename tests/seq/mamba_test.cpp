// Mamba block: FD gradients (x and every parameter, with and without linear biases, explicit
// and auto dt_rank, W = 3), step = forward, float32, init, long sequence, constant state.
#include "seq/mixer_test_util.hpp"
#include "xssm/seq/mamba.hpp"

using namespace xssm;
using namespace xssm::test;

namespace {
seq::MambaConfig small(bool bias, Index dt_rank, Index W) {
  seq::MambaConfig c;
  c.d_model = 4;
  c.d_state = 3;
  c.d_conv = W;
  c.expand = 2;
  c.dt_rank = dt_rank;
  c.bias = bias;
  c.dt_min = 0.01;
  c.dt_max = 0.5;
  return c;
}
}  // namespace

TEST_CASE("mamba: FD gradients of x and all parameters", "[seq][mamba]") {
  for (auto [bias, R, W] : {std::tuple<bool, Index, Index>{false, 0, 4}, {true, 2, 3}}) {
    INFO("bias " << bias << " dt_rank " << R << " W " << W);
    Rng rng(31 + W);
    seq::Mamba<double> m(small(bias, R, W));
    m.init(rng, 1, 0);
    perturb_params(m, rng);
    check_mixer_fd(m, randn({2, 5, 4}, rng), rng);
  }
}

TEST_CASE("mamba: step repeated = forward (incl. L < W and B = 1); constant state", "[seq][mamba]") {
  Rng rng(32);
  seq::Mamba<double> m(small(true, 2, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng);
  CHECK(m.constant_state());
  for (auto [B, L] : {std::pair<Index, Index>{2, 9}, {1, 2}, {1, 1}}) {
    const Tensor<double> x = randn({B, L, 4}, rng);
    NamedTensors<double> st;
    XSSM_CHECK_CLOSE(run_steps(m, x, &st), m.forward(x), 1e-12);
    CHECK(st["conv"].shape() == Shape{B, 8, 4});
    CHECK(st["ssm"].shape() == Shape{B, 8, 3});
  }
}

TEST_CASE("mamba: float32 agrees with float64", "[seq][mamba]") {
  Rng rng(33);
  seq::Mamba<double> m(small(false, 0, 4));
  seq::Mamba<float> mf(small(false, 0, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng, 0.1);
  check_float32(m, mf, randn({2, 12, 4}, rng), rng);
}

TEST_CASE("mamba: official init and parameter names", "[seq][mamba]") {
  Rng rng(34);
  auto c = small(false, 0, 4);
  c.d_model = 20;  // dt_rank auto = ceil(20/16) = 2
  seq::Mamba<double> m(c);
  m.init(rng, 1, 0);
  CHECK(c.resolved_dt_rank() == 2);
  CHECK(m.x_proj.weight.value.shape() == Shape{2 + 6, 40});
  for (Index e = 0; e < 40; ++e) {
    CHECK(m.D.value[e] == 1.0);
    for (Index n = 0; n < 3; ++n) CHECK(m.A_log.value.at(e, n) == Approx(std::log(n + 1.0)));
    const double dt = std::log1p(std::exp(m.dt_proj.bias.value[e]));
    CHECK(dt >= 0.01 * (1 - 1e-9));
    CHECK(dt <= 0.5 * (1 + 1e-9));
  }
  nn::ParamList<double> l;
  m.collect("mixer", l);
  for (const char* n : {"mixer/in_proj/weight", "mixer/conv1d/weight", "mixer/conv1d/bias", "mixer/x_proj/weight",
                        "mixer/dt_proj/weight", "mixer/dt_proj/bias", "mixer/A_log", "mixer/D", "mixer/out_proj/weight"})
    CHECK(l.find(n) != nullptr);
  CHECK(l.size() == 9);
  CHECK_THROWS_AS(seq::Mamba<double>(small(false, -1, 4)), UsageError);
}

TEST_CASE("mamba: stable on a long sequence (L = 4096), step = forward at the end", "[seq][mamba]") {
  Rng rng(35);
  auto c = small(false, 0, 4);
  c.d_model = 2;
  c.d_state = 2;
  seq::Mamba<double> m(c);
  m.init(rng, 1, 0);
  const Tensor<double> x = randn({1, 4096, 2}, rng, 2.0);
  const Tensor<double> y = m.forward(x);
  for (double v : y) REQUIRE(std::isfinite(v));
  const Tensor<double> dx = m.backward(y);
  for (double v : dx) REQUIRE(std::isfinite(v));
  XSSM_CHECK_CLOSE(run_steps(m, x), y, 1e-10);
}

TEST_CASE("mamba: state passing through forward(x, state); FD from a non-zero state", "[seq][mamba]") {
  Rng rng(36);
  seq::Mamba<double> m(small(true, 2, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng);
  const Tensor<double> x = randn({2, 9, 4}, rng);
  for (Index s : {1, 2, 5, 8}) check_state_passing(m, x, s);
  check_stateful_fd(m, randn({2, 3, 4}, rng), randn({2, 4, 4}, rng), rng);
  check_stateful_fd(m, randn({2, 1, 4}, rng), randn({2, 1, 4}, rng), rng);  // L < W − 1
}
