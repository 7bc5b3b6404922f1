// CPU vs CUDA parity of the selective scan forward (STYLE.md 8.7 point 4): one templated body,
// seeded inputs, double compared at 1e-10 relative (logic errors), float at 1e-4 (exp/FMA
// rounding accumulated over L steps; see docs/cuda.md). The kernel's outputs carry NaN guard
// zones that the host entry checks after every launch (a stray write throws → test fails).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/core/device.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/seq/selective_scan.hpp"

using namespace xssm;

namespace {

struct ScanCase {
  Index B, L, D, N, G;  // G = 0: fixed (D,N) B and C
  bool opts;            // D, delta_bias, z, initial_state
  bool softplus;
  std::uint64_t seed;
};

template <class T>
struct ScanInputs {
  Tensor<T> u, delta, A, B, C, D, bias, z, x0;
  seq::SelectiveScanArgs<T> args(bool opts, bool softplus) const {
    seq::SelectiveScanArgs<T> a;
    a.u = &u, a.delta = &delta, a.A = &A, a.B = &B, a.C = &C;
    if (opts) a.D = &D, a.delta_bias = &bias, a.z = &z, a.initial_state = &x0;
    a.delta_softplus = softplus;
    return a;
  }
};

template <class T>
ScanInputs<T> make_inputs(const ScanCase& c) {
  Rng rng(c.seed);
  ScanInputs<T> in;
  in.u = test::randn<double>({c.B, c.L, c.D}, rng).template cast<T>();
  // softplus(delta) spans small to large steps; without softplus keep Δ > 0.
  in.delta = c.softplus ? test::randn<double>({c.B, c.L, c.D}, rng, 1.5).template cast<T>()
                        : test::randu<double>({c.B, c.L, c.D}, rng, 0.01, 1.0).template cast<T>();
  Tensor<double> A = test::randn<double>({c.D, c.N}, rng, 0.7);
  for (auto& v : A) v = -std::exp(v);  // A < 0 (stable), as Mamba's −exp(A_log)
  in.A = A.template cast<T>();
  const Shape bc = c.G == 0 ? Shape{c.D, c.N} : Shape{c.B, c.L, c.G, c.N};
  in.B = test::randn<double>(bc, rng).template cast<T>();
  in.C = test::randn<double>(bc, rng).template cast<T>();
  in.D = test::randn<double>({c.D}, rng).template cast<T>();
  in.bias = test::randn<double>({c.D}, rng, 0.5).template cast<T>();
  in.z = test::randn<double>({c.B, c.L, c.D}, rng, 2.0).template cast<T>();
  in.x0 = test::randn<double>({c.B, c.D, c.N}, rng).template cast<T>();
  return in;
}

template <class T>
void check_parity(const ScanCase& c, const ScanInputs<T>& in, double tol) {
  INFO("seed " << c.seed << ", " << (sizeof(T) == 8 ? "double" : "float"));
  const auto a = in.args(c.opts, c.softplus);
  const auto cpu = seq::selective_scan_fwd(a, Device::Cpu);
  const auto gpu = seq::selective_scan_fwd(a, Device::Cuda);
  XSSM_CHECK_CLOSE(gpu.out, cpu.out, tol);
  XSSM_CHECK_CLOSE(gpu.last_state, cpu.last_state, tol);
  // The comparison is not vacuous: the outputs are finite where the inputs are.
  double mx = 0;
  for (auto v : cpu.out) mx = std::max(mx, std::fabs(double(v)));
  CHECK((cpu.out.size() == 0 || mx > 0));
}

template <class T>
void run_case(const ScanCase& c, double tol) {
  check_parity<T>(c, make_inputs<T>(c), tol);
}

void run_both(const ScanCase& c) {
  run_case<double>(c, 1e-10);
  run_case<float>(c, 1e-4);
}

}  // namespace

TEST_CASE("selective_scan(B=2,L=37,D=40,N=16,G=1,opts,softplus)", "[cuda]") { run_both({2, 37, 40, 16, 1, true, true, 11}); }
TEST_CASE("selective_scan(B=3,L=20,D=64,N=8,G=4,opts,softplus)", "[cuda]") { run_both({3, 20, 64, 8, 4, true, true, 12}); }
TEST_CASE("selective_scan(B=2,L=17,D=33,N=5,fixedBC,plain,softplus)", "[cuda]") { run_both({2, 17, 33, 5, 0, false, true, 13}); }
TEST_CASE("selective_scan(B=1,L=1,D=1,N=1,G=1,opts,no-softplus)", "[cuda]") { run_both({1, 1, 1, 1, 1, true, false, 14}); }
TEST_CASE("selective_scan(B=1,L=64,D=96,N=128,G=2,opts,softplus)", "[cuda]") { run_both({1, 64, 96, 128, 2, true, true, 15}); }
TEST_CASE("selective_scan(B=2,L=0,D=8,N=4,G=1,opts) keeps the initial state", "[cuda]") {
  run_both({2, 0, 8, 4, 1, true, true, 16});
}

TEST_CASE("selective_scan(B=2,L=9,D=8,N=4,G=1) NaN positions match", "[cuda]") {
  const ScanCase c{2, 9, 8, 4, 1, true, true, 17};
  auto in = make_inputs<double>(c);
  in.u.at(1, 3, 5) = std::numeric_limits<double>::quiet_NaN();  // poisons channel 5 from t = 3 on
  check_parity<double>(c, in, 1e-10);
  const auto gpu = seq::selective_scan_fwd(in.args(true, true), Device::Cuda);
  CHECK(std::isnan(gpu.out.at(1, 8, 5)));
  CHECK(std::isfinite(gpu.out.at(1, 2, 5)));
  CHECK(std::isfinite(gpu.out.at(0, 8, 5)));
}

TEST_CASE("selective_scan(N=129) is not supported: error in strict mode, CPU fallback otherwise", "[cuda]") {
  const ScanCase c{1, 4, 4, 129, 1, false, true, 18};
  const auto in = make_inputs<double>(c);
  const auto a = in.args(false, true);
  CHECK_THROWS_AS(seq::selective_scan_fwd(a, Device::Cuda), UsageError);
  set_strict_device(false);
  const auto fb = seq::selective_scan_fwd(a, Device::Cuda);
  set_strict_device(true);
  const auto cpu = seq::selective_scan_fwd(a, Device::Cpu);
  XSSM_CHECK_CLOSE(fb.out, cpu.out, 0.0);
}

TEST_CASE("selective_scan: default_device() routes the one-argument call", "[cuda]") {
  const ScanCase c{1, 5, 4, 3, 1, true, true, 19};
  const auto in = make_inputs<double>(c);
  const auto a = in.args(true, true);
  set_default_device(Device::Cuda);
  const auto viadefault = seq::selective_scan_fwd(a);
  set_default_device(Device::Cpu);
  const auto gpu = seq::selective_scan_fwd(a, Device::Cuda);
  XSSM_CHECK_CLOSE(viadefault.out, gpu.out, 0.0);  // same kernel, same inputs: bit-identical
}
