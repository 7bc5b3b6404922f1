// Selective scan (S6): FD gradients (all inputs and the initial state), step = scan, state
// passing, float32 vs float64, long-sequence stability.
#include <catch2/catch.hpp>
#include <cmath>

#include "seq/ssm_test_util.hpp"
#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/selective_scan.hpp"

using namespace xssm;
using namespace xssm::test;

namespace {

struct Case {
  Tensor<double> u, delta, A, B, C, D, bias, z, init;
  bool use_z = true, use_init = true;
  seq::SelectiveScanArgs<double> args() {
    seq::SelectiveScanArgs<double> a;
    a.u = &u;
    a.delta = &delta;
    a.A = &A;
    a.B = &B;
    a.C = &C;
    a.D = &D;
    a.delta_bias = &bias;
    if (use_z) a.z = &z;
    if (use_init) a.initial_state = &init;
    return a;
  }
};

Case make_case(Rng& rng, Index Bt, Index L, Index D, Index N, Index G, bool fixed) {
  Case c;
  c.u = randn({Bt, L, D}, rng);
  c.delta = randn({Bt, L, D}, rng, 0.5);
  c.A = randu({D, N}, rng, -1.5, -0.2);
  c.B = fixed ? randn({D, N}, rng) : randn({Bt, L, G, N}, rng);
  c.C = fixed ? randn({D, N}, rng) : randn({Bt, L, G, N}, rng);
  c.D = randn({D}, rng);
  c.bias = randn({D}, rng, 0.3);
  c.z = randn({Bt, L, D}, rng);
  c.init = randn({Bt, D, N}, rng);
  return c;
}

void fd_all(Case& c, Rng& rng) {
  auto a = c.args();
  auto r = seq::selective_scan_fwd(a);
  const Tensor<double> gy = randn(r.out.shape(), rng), gs = randn(r.last_state.shape(), rng);
  auto g = seq::selective_scan_bwd(a, gy, &gs);
  auto loss = [&] {
    auto rr = seq::selective_scan_fwd(c.args());
    return dot(rr.out, gy) + dot(rr.last_state, gs);
  };
  const double tol = 1e-7;
  XSSM_CHECK_CLOSE(g.du, numeric_grad(loss, c.u), tol);
  XSSM_CHECK_CLOSE(g.ddelta, numeric_grad(loss, c.delta), tol);
  XSSM_CHECK_CLOSE(g.dA, numeric_grad(loss, c.A), tol);
  XSSM_CHECK_CLOSE(g.dB, numeric_grad(loss, c.B), tol);
  XSSM_CHECK_CLOSE(g.dC, numeric_grad(loss, c.C), tol);
  XSSM_CHECK_CLOSE(g.dD, numeric_grad(loss, c.D), tol);
  XSSM_CHECK_CLOSE(g.ddelta_bias, numeric_grad(loss, c.bias), tol);
  if (c.use_z) XSSM_CHECK_CLOSE(g.dz, numeric_grad(loss, c.z), tol);
  if (c.use_init) XSSM_CHECK_CLOSE(g.dinitial_state, numeric_grad(loss, c.init), tol);
}

}  // namespace

TEST_CASE("selective_scan: FD gradients, variable B/C with groups and z", "[seq][selective_scan]") {
  Rng rng(1);
  Case c = make_case(rng, 2, 5, 4, 3, 2, false);
  fd_all(c, rng);
}

TEST_CASE("selective_scan: FD gradients, fixed B/C, no z, no initial state", "[seq][selective_scan]") {
  Rng rng(2);
  Case c = make_case(rng, 1, 4, 3, 2, 1, true);
  c.use_z = false;
  c.use_init = false;
  fd_all(c, rng);
}

TEST_CASE("selective_scan: step repeated = scan; state passing", "[seq][selective_scan]") {
  Rng rng(3);
  for (bool fixed : {false, true}) {
    Case c = make_case(rng, 2, 7, 4, 3, 2, fixed);
    auto full = seq::selective_scan_fwd(c.args());
    // step by step
    Tensor<double> state = c.init, y(full.out.shape());
    for (Index t = 0; t < 7; ++t) {
      Tensor<double> Bt = fixed ? c.B : at_time(c.B, t), Ct = fixed ? c.C : at_time(c.C, t);
      Tensor<double> zt = at_time(c.z, t);
      set_time(y, t, seq::selective_scan_step(at_time(c.u, t), at_time(c.delta, t), c.A, Bt, Ct, &c.D,
                                              &c.bias, &zt, state));
    }
    XSSM_CHECK_CLOSE(y, full.out, 1e-13);
    XSSM_CHECK_CLOSE(state, full.last_state, 1e-13);
    // two halves, carrying the state
    for (Index s : {Index(1), Index(3), Index(6)}) {
      Case h1 = c, h2 = c;
      for (Case* h : {&h1, &h2}) {
        const Index t0 = h == &h1 ? 0 : s, t1 = h == &h1 ? s : 7;
        h->u = slice_time(c.u, t0, t1);
        h->delta = slice_time(c.delta, t0, t1);
        h->z = slice_time(c.z, t0, t1);
        if (!fixed) {
          h->B = slice_time(c.B, t0, t1);
          h->C = slice_time(c.C, t0, t1);
        }
      }
      auto r1 = seq::selective_scan_fwd(h1.args());
      h2.init = r1.last_state;
      auto r2 = seq::selective_scan_fwd(h2.args());
      XSSM_CHECK_CLOSE(cat_time(r1.out, r2.out), full.out, 1e-13);
      XSSM_CHECK_CLOSE(r2.last_state, full.last_state, 1e-13);
    }
  }
}

TEST_CASE("selective_scan: float32 agrees with float64", "[seq][selective_scan]") {
  Rng rng(4);
  Case c = make_case(rng, 2, 16, 6, 4, 3, false);
  auto r = seq::selective_scan_fwd(c.args());
  Tensor<float> u = c.u.cast<float>(), dl = c.delta.cast<float>(), A = c.A.cast<float>(), B = c.B.cast<float>(),
                C = c.C.cast<float>(), D = c.D.cast<float>(), bias = c.bias.cast<float>(), z = c.z.cast<float>(),
                init = c.init.cast<float>();
  seq::SelectiveScanArgs<float> a{&u, &dl, &A, &B, &C, &D, &bias, &z, &init, true};
  auto rf = seq::selective_scan_fwd(a);
  CHECK(rel_err(rf.out, r.out) < 1e-5);
  CHECK(rel_err(rf.last_state, r.last_state) < 1e-5);
  Tensor<double> gy = randn(r.out.shape(), rng);
  Tensor<float> gyf = gy.cast<float>();
  auto g = seq::selective_scan_bwd<double>(c.args(), gy, nullptr);
  auto gf = seq::selective_scan_bwd<float>(a, gyf, nullptr);
  CHECK(rel_err(gf.du, g.du) < 1e-5);
  CHECK(rel_err(gf.dA, g.dA) < 1e-5);
  CHECK(rel_err(gf.dB, g.dB) < 1e-5);
}

TEST_CASE("selective_scan: stable on a long sequence (L=4096)", "[seq][selective_scan]") {
  Rng rng(5);
  Case c = make_case(rng, 1, 4096, 2, 2, 1, false);
  c.delta = randn(c.delta.shape(), rng, 3.0);  // includes large Δ (fast decay) and tiny Δ
  auto r = seq::selective_scan_fwd(c.args());
  double mx = 0;
  for (double v : r.out) {
    REQUIRE(std::isfinite(v));
    mx = std::max(mx, std::fabs(v));
  }
  CHECK(mx < 1e3);
  auto g = seq::selective_scan_bwd(c.args(), r.out, &r.last_state);
  for (double v : g.dA) REQUIRE(std::isfinite(v));
  for (double v : g.du) REQUIRE(std::isfinite(v));
}

TEST_CASE("selective_scan: bad shapes throw", "[seq][selective_scan]") {
  Rng rng(6);
  Case c = make_case(rng, 1, 3, 4, 2, 1, false);
  c.A = randn({3, 2}, rng);
  CHECK_THROWS_AS(seq::selective_scan_fwd(c.args()), Error);
}
