// CPU vs CUDA parity of the sLSTM forward (STYLE.md 8.7 point 4): y, final state and the backward
// cache (states, pre-activations, branch flags), then the CPU backward run from either cache.
// double at 1e-10 relative, float at 1e-4 (exp/tanh/FMA rounding through S steps; docs/cuda.md).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/core/device.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/seq/slstm.hpp"

using namespace xssm;
using namespace xssm::seq;

namespace {

enum class Init { Zero, Random, ZeroN };  // state0: nullptr, random (n > 0), random with n = 0

struct SlstmCase {
  Index B, S, NH, DH;
  Init init;
  std::uint64_t seed;
};

template <class T>
struct SlstmInputs {
  Tensor<T> x, R, b, state0;
};

template <class T>
SlstmInputs<T> make_inputs(const SlstmCase& c) {
  Rng rng(c.seed);
  const Index H = c.NH * c.DH;
  SlstmInputs<T> in;
  in.x = test::randn<double>({c.B, c.S, 4 * H}, rng, 1.5).template cast<T>();
  in.R = test::randn<double>({c.NH, 4 * c.DH, c.DH}, rng, 1.0 / std::sqrt(double(c.DH))).template cast<T>();
  in.b = test::randn<double>({4 * H}, rng).template cast<T>();
  Tensor<double> s0 = test::randn<double>({4, c.B, H}, rng);
  for (Index j = 0; j < c.B * H; ++j) {
    double& n = s0[2 * c.B * H + j];
    n = c.init == Init::ZeroN ? 0.0 : 0.5 + std::fabs(n);  // the normaliser is ≥ 0
  }
  in.state0 = s0.template cast<T>();
  return in;
}

template <class T>
void check_parity(const SlstmCase& c, const SlstmInputs<T>& in, double tol) {
  INFO("seed " << c.seed << ", " << (sizeof(T) == 8 ? "double" : "float"));
  const Tensor<T>* s0 = c.init == Init::Zero ? nullptr : &in.state0;
  Tensor<T> st_cpu, st_gpu;
  SlstmCache<T> ca_cpu, ca_gpu;
  const Tensor<T> y_cpu = slstm_recurrent_fwd<T>(in.x, in.R, in.b, c.NH, s0, &st_cpu, &ca_cpu, Device::Cpu);
  const Tensor<T> y_gpu = slstm_recurrent_fwd<T>(in.x, in.R, in.b, c.NH, s0, &st_gpu, &ca_gpu, Device::Cuda);
  XSSM_CHECK_CLOSE(y_gpu, y_cpu, tol);
  XSSM_CHECK_CLOSE(st_gpu, st_cpu, tol);
  XSSM_CHECK_CLOSE(ca_gpu.states, ca_cpu.states, tol);
  XSSM_CHECK_CLOSE(ca_gpu.pre, ca_cpu.pre, tol);
  CHECK(ca_gpu.first_branch == ca_cpu.first_branch);
  CHECK((ca_gpu.B == ca_cpu.B && ca_gpu.S == ca_cpu.S && ca_gpu.NH == ca_cpu.NH && ca_gpu.DH == ca_cpu.DH));

  // Without cache / state_out the kernel takes its other path.
  const Tensor<T> y_plain = slstm_recurrent_fwd<T>(in.x, in.R, in.b, c.NH, s0, nullptr, nullptr, Device::Cuda);
  XSSM_CHECK_CLOSE(y_plain, y_gpu, 0.0);

  // The GPU cache drives the CPU backward to the same gradients.
  Rng rng(c.seed + 1000);
  const Tensor<T> dy = test::randn<double>(y_cpu.shape(), rng).template cast<T>();
  Tensor<T> dR1(in.R.shape()), db1(in.b.shape()), dR2(in.R.shape()), db2(in.b.shape());
  const Tensor<T> dx1 = slstm_recurrent_bwd<T>(in.R, ca_cpu, dy, nullptr, dR1, db1, nullptr);
  const Tensor<T> dx2 = slstm_recurrent_bwd<T>(in.R, ca_gpu, dy, nullptr, dR2, db2, nullptr);
  XSSM_CHECK_CLOSE(dx2, dx1, 10 * tol);
  XSSM_CHECK_CLOSE(dR2, dR1, 10 * tol);
}

void run_both(const SlstmCase& c) {
  check_parity<double>(c, make_inputs<double>(c), 1e-10);
  check_parity<float>(c, make_inputs<float>(c), 1e-4);
}

}  // namespace

TEST_CASE("slstm(B=2,S=23,NH=3,DH=8,state0=random)", "[cuda]") { run_both({2, 23, 3, 8, Init::Random, 21}); }
TEST_CASE("slstm(B=3,S=16,NH=2,DH=16,state0=zero)", "[cuda]") { run_both({3, 16, 2, 16, Init::Zero, 22}); }
TEST_CASE("slstm(B=2,S=9,NH=2,DH=4,state0=n zero)", "[cuda]") { run_both({2, 9, 2, 4, Init::ZeroN, 23}); }
TEST_CASE("slstm(B=1,S=1,NH=1,DH=1,state0=random)", "[cuda]") { run_both({1, 1, 1, 1, Init::Random, 24}); }
TEST_CASE("slstm(B=2,S=12,NH=1,DH=64,state0=random)", "[cuda]") { run_both({2, 12, 1, 64, Init::Random, 25}); }
TEST_CASE("slstm(B=1,S=7,NH=4,DH=33,state0=zero)", "[cuda]") { run_both({1, 7, 4, 33, Init::Zero, 26}); }
TEST_CASE("slstm(B=2,S=0,NH=2,DH=8,state0=random)", "[cuda]") { run_both({2, 0, 2, 8, Init::Random, 27}); }

TEST_CASE("slstm(B=2,S=6,NH=2,DH=8) NaN positions match", "[cuda]") {
  const SlstmCase c{2, 6, 2, 8, Init::Random, 28};
  auto in = make_inputs<double>(c);
  in.x.at(1, 2, 3) = std::numeric_limits<double>::quiet_NaN();  // batch 1, head 0 from t = 2 on
  const Tensor<double> y_cpu = slstm_recurrent_fwd<double>(in.x, in.R, in.b, c.NH, &in.state0, nullptr, nullptr, Device::Cpu);
  const Tensor<double> y_gpu = slstm_recurrent_fwd<double>(in.x, in.R, in.b, c.NH, &in.state0, nullptr, nullptr, Device::Cuda);
  XSSM_CHECK_CLOSE(y_gpu, y_cpu, 1e-10);
  CHECK(std::isfinite(y_gpu.at(0, 5, 3)));
  CHECK(std::isfinite(y_gpu.at(1, 1, 3)));
}

TEST_CASE("slstm(DH=65) is not supported: error in strict mode, CPU fallback otherwise", "[cuda]") {
  const SlstmCase c{1, 3, 1, 65, Init::Random, 29};
  const auto in = make_inputs<double>(c);
  CHECK_THROWS_AS(slstm_recurrent_fwd<double>(in.x, in.R, in.b, c.NH, &in.state0, nullptr, nullptr, Device::Cuda), UsageError);
  set_strict_device(false);
  const Tensor<double> fb = slstm_recurrent_fwd<double>(in.x, in.R, in.b, c.NH, &in.state0, nullptr, nullptr, Device::Cuda);
  set_strict_device(true);
  const Tensor<double> cpu = slstm_recurrent_fwd<double>(in.x, in.R, in.b, c.NH, &in.state0, nullptr, nullptr, Device::Cpu);
  XSSM_CHECK_CLOSE(fb, cpu, 0.0);
}
