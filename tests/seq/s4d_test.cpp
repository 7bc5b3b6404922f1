// S4D layer: FD gradients (u and every parameter), step (diagonal recurrence) = forward,
// float32, init, long sequence.
#include "seq/mixer_test_util.hpp"
#include "xssm/seq/long_conv.hpp"
#include "xssm/seq/s4d.hpp"

using namespace xssm;
using namespace xssm::test;

namespace {
seq::S4dConfig small(Index H, Index N) {
  seq::S4dConfig c;
  c.d_model = H;
  c.d_state = N;
  c.dt_min = 0.01;
  c.dt_max = 0.5;
  return c;
}
}  // namespace

TEST_CASE("s4d: FD gradients of u and all parameters", "[seq][s4d]") {
  Rng rng(51);
  seq::S4d<double> m(small(3, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng, 0.1);
  check_mixer_fd(m, randn({2, 6, 3}, rng), rng);
}

TEST_CASE("s4d: FD gradients at a length that takes the FFT convolution", "[seq][s4d]") {
  Rng rng(56);
  const Index L = seq::long_conv_fft_threshold();
  REQUIRE(seq::long_conv_resolve(L, seq::ConvPath::Auto) == seq::ConvPath::Fft);
  seq::S4d<double> m(small(2, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng, 0.1);
  check_mixer_fd(m, randn({1, L, 2}, rng), rng);
}

TEST_CASE("s4d: step repeated = forward; constant state", "[seq][s4d]") {
  Rng rng(52);
  seq::S4d<double> m(small(3, 6));
  m.init(rng, 1, 0);
  perturb_params(m, rng, 0.1);
  CHECK(m.constant_state());
  for (auto [B, L] : {std::pair<Index, Index>{2, 17}, {1, 1}}) {
    const Tensor<double> x = randn({B, L, 3}, rng);
    NamedTensors<double> st;
    XSSM_CHECK_CLOSE(run_steps(m, x, &st), m.forward(x), 1e-11);
    CHECK(st["ssm"].shape() == Shape{B, 3, 3, 2});
  }
}

TEST_CASE("s4d: float32 agrees with float64", "[seq][s4d]") {
  Rng rng(53);
  seq::S4d<double> m(small(4, 4));
  seq::S4d<float> mf(small(4, 4));
  m.init(rng, 1, 0);
  check_float32(m, mf, randn({2, 16, 4}, rng), rng);
}

TEST_CASE("s4d: parameter names and config checks", "[seq][s4d]") {
  seq::S4d<double> m(small(2, 4));
  nn::ParamList<double> l;
  m.collect("", l);
  for (const char* n : {"D", "kernel/log_dt", "kernel/C", "kernel/log_A_real", "kernel/A_imag",
                        "output_linear/0/weight", "output_linear/0/bias"})
    CHECK(l.find(n) != nullptr);
  CHECK(l.size() == 7);
  CHECK(m.W.value.shape() == Shape{4, 2, 1});
  CHECK_THROWS_AS(seq::S4d<double>(small(2, 3)), UsageError);
}

TEST_CASE("s4d: stable on a long sequence (L = 4096)", "[seq][s4d]") {
  Rng rng(54);
  seq::S4d<double> m(small(2, 4));
  m.init(rng, 1, 0);
  const Tensor<double> x = randn({1, 4096, 2}, rng);
  const Tensor<double> y = m.forward(x);
  for (double v : y) REQUIRE(std::isfinite(v));
  const Tensor<double> dx = m.backward(y);
  for (double v : dx) REQUIRE(std::isfinite(v));
  XSSM_CHECK_CLOSE(run_steps(m, x), y, 1e-9);
}

TEST_CASE("s4d: state passing through forward(x, state); FD from a non-zero state", "[seq][s4d]") {
  Rng rng(55);
  seq::S4d<double> m(small(3, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng, 0.1);
  const Tensor<double> x = randn({2, 11, 3}, rng);
  for (Index s : {1, 4, 10}) check_state_passing(m, x, s);
  check_stateful_fd(m, randn({2, 5, 3}, rng), randn({2, 6, 3}, rng), rng);
}
