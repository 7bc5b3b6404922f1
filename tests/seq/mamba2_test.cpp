// Mamba-2 block: FD gradients (x and every parameter; groups, D_has_hdim, biases, no rmsnorm),
// chunk size does not change the result, step = forward, float32, init, long sequence.
#include "seq/mixer_test_util.hpp"
#include "xssm/seq/mamba2.hpp"

using namespace xssm;
using namespace xssm::test;

namespace {
seq::Mamba2Config small(Index G, bool D_has_hdim, bool bias, bool rmsnorm, Index chunk) {
  seq::Mamba2Config c;
  c.d_model = 4;
  c.d_state = 3;
  c.d_conv = 3;
  c.expand = 2;
  c.headdim = 2;  // H = 4
  c.ngroups = G;
  c.D_has_hdim = D_has_hdim;
  c.bias = bias;
  c.rmsnorm = rmsnorm;
  c.chunk_size = chunk;
  c.dt_min = 0.01;
  c.dt_max = 0.5;
  return c;
}
}  // namespace

TEST_CASE("mamba2: FD gradients of x and all parameters", "[seq][mamba2]") {
  struct V {
    Index G;
    bool hdim, bias, rms;
    Index chunk;
  };
  for (V v : {V{1, false, false, true, 4}, V{2, true, true, true, 3}, V{4, false, false, false, 2}}) {
    INFO("G " << v.G << " D_has_hdim " << v.hdim << " bias " << v.bias << " rmsnorm " << v.rms);
    Rng rng(41 + v.G);
    seq::Mamba2<double> m(small(v.G, v.hdim, v.bias, v.rms, v.chunk));
    m.init(rng, 1, 0);
    perturb_params(m, rng);
    check_mixer_fd(m, randn({2, 7, 4}, rng), rng);
  }
}

TEST_CASE("mamba2: chunk size does not change the output; step repeated = forward", "[seq][mamba2]") {
  Rng rng(42);
  seq::Mamba2<double> m(small(2, true, true, true, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng);
  const Tensor<double> x = randn({2, 11, 4}, rng);
  const Tensor<double> y = m.forward(x);
  for (Index chunk : {1, 3, 11, 64}) {
    seq::Mamba2<double> m2(small(2, true, true, true, chunk));
    nn::ParamList<double> a, b;
    m.collect("", a);
    m2.collect("", b);
    for (size_t i = 0; i < a.size(); ++i) b.items()[i].second->value = a.items()[i].second->value;
    XSSM_CHECK_CLOSE(m2.forward(x), y, 1e-12);
  }
  CHECK(m.constant_state());
  NamedTensors<double> st;
  XSSM_CHECK_CLOSE(run_steps(m, x, &st), y, 1e-12);
  CHECK(st["conv"].shape() == Shape{2, 8 + 2 * 2 * 3, 3});
  CHECK(st["ssm"].shape() == Shape{2, 4, 2, 3});
  const Tensor<double> x1 = randn({1, 1, 4}, rng);
  XSSM_CHECK_CLOSE(run_steps(m, x1), m.forward(x1), 1e-12);
}

TEST_CASE("mamba2: float32 agrees with float64", "[seq][mamba2]") {
  Rng rng(43);
  seq::Mamba2<double> m(small(2, false, false, true, 4));
  seq::Mamba2<float> mf(small(2, false, false, true, 4));
  m.init(rng, 1, 0);
  perturb_params(m, rng, 0.1);
  check_float32(m, mf, randn({2, 13, 4}, rng), rng);
}

TEST_CASE("mamba2: official init, parameter names and config checks", "[seq][mamba2]") {
  Rng rng(44);
  seq::Mamba2<double> m(small(2, false, false, true, 4));
  m.init(rng, 1, 0);
  for (Index h = 0; h < 4; ++h) {
    CHECK(m.D.value[h] == 1.0);
    const double a = std::exp(m.A_log.value[h]);
    CHECK((a >= 1.0 && a <= 16.0));
    const double dt = std::log1p(std::exp(m.dt_bias.value[h]));
    CHECK((dt >= 0.01 * (1 - 1e-9) && dt <= 0.5 * (1 + 1e-9)));
  }
  for (double w : m.norm.weight.value) CHECK(w == 1.0);
  nn::ParamList<double> l;
  m.collect("", l);
  for (const char* n : {"in_proj/weight", "conv1d/weight", "conv1d/bias", "dt_bias", "A_log", "D", "norm/weight",
                        "out_proj/weight"})
    CHECK(l.find(n) != nullptr);
  CHECK(l.size() == 8);
  CHECK(m.in_proj.weight.value.shape() == Shape{2 * 8 + 2 * 2 * 3 + 4, 4});
  auto bad = small(3, false, false, true, 4);  // 3 does not divide H = 4
  CHECK_THROWS_AS(seq::Mamba2<double>(bad), UsageError);
}

TEST_CASE("mamba2: stable on a long sequence (L = 4096)", "[seq][mamba2]") {
  Rng rng(45);
  auto c = small(1, false, false, true, 256);
  c.d_model = 2;
  c.d_state = 2;
  seq::Mamba2<double> m(c);
  m.init(rng, 1, 0);
  const Tensor<double> x = randn({1, 4096, 2}, rng, 2.0);
  const Tensor<double> y = m.forward(x);
  for (double v : y) REQUIRE(std::isfinite(v));
  const Tensor<double> dx = m.backward(y);
  for (double v : dx) REQUIRE(std::isfinite(v));
  XSSM_CHECK_CLOSE(run_steps(m, x), y, 1e-10);
}

TEST_CASE("mamba2: state passing through forward(x, state); FD from a non-zero state", "[seq][mamba2]") {
  Rng rng(46);
  seq::Mamba2<double> m(small(2, true, false, true, 3));
  m.init(rng, 1, 0);
  perturb_params(m, rng);
  const Tensor<double> x = randn({2, 10, 4}, rng);
  for (Index s : {1, 3, 7}) check_state_passing(m, x, s);
  check_stateful_fd(m, randn({2, 4, 4}, rng), randn({2, 5, 4}, rng), rng);
}
