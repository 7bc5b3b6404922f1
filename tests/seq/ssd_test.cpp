// SSD: chunked = recurrent (forward and backward, chunk sizes that do and do not divide L),
// FD gradients incl. the initial state, step = recurrent, state passing, float32, long L.
#include <catch2/catch.hpp>
#include <cmath>

#include "seq/ssm_test_util.hpp"
#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/ssd.hpp"

using namespace xssm;
using namespace xssm::test;

namespace {
struct Case {
  Tensor<double> X, A, B, C, S0;
};
Case make(Rng& rng, Index Bt, Index L, Index H, Index P, Index G, Index N) {
  return {randn({Bt, L, H, P}, rng), randu({Bt, L, H}, rng, -1.0, -0.01), randn({Bt, L, G, N}, rng),
          randn({Bt, L, G, N}, rng), randn({Bt, H, P, N}, rng)};
}
}  // namespace

TEST_CASE("ssd: chunked = recurrent, forward and backward", "[seq][ssd]") {
  Rng rng(11);
  Case c = make(rng, 2, 11, 4, 3, 2, 5);
  auto ref = seq::ssd_recurrent_fwd(c.X, c.A, c.B, c.C, &c.S0);
  const Tensor<double> dY = randn(ref.Y.shape(), rng), dS = randn(ref.final_state.shape(), rng);
  auto gref = seq::ssd_recurrent_bwd(c.X, c.A, c.B, c.C, &c.S0, dY, &dS);
  for (Index Q : {1, 3, 4, 7, 11, 16}) {
    INFO("chunk " << Q);
    auto r = seq::ssd_chunked_fwd(c.X, c.A, c.B, c.C, &c.S0, Q);
    XSSM_CHECK_CLOSE(r.Y, ref.Y, 1e-13);
    XSSM_CHECK_CLOSE(r.final_state, ref.final_state, 1e-13);
    auto g = seq::ssd_chunked_bwd(c.X, c.A, c.B, c.C, &c.S0, Q, dY, &dS);
    XSSM_CHECK_CLOSE(g.dX, gref.dX, 1e-12);
    XSSM_CHECK_CLOSE(g.dA, gref.dA, 1e-12);
    XSSM_CHECK_CLOSE(g.dB, gref.dB, 1e-12);
    XSSM_CHECK_CLOSE(g.dC, gref.dC, 1e-12);
    XSSM_CHECK_CLOSE(g.dinitial_state, gref.dinitial_state, 1e-12);
  }
}

TEST_CASE("ssd: FD gradients (chunked and recurrent)", "[seq][ssd]") {
  Rng rng(12);
  Case c = make(rng, 2, 7, 2, 2, 1, 3);
  for (Index Q : {0, 3}) {  // 0 = recurrent form
    INFO("chunk " << Q);
    auto fwd = [&] {
      return Q ? seq::ssd_chunked_fwd(c.X, c.A, c.B, c.C, &c.S0, Q) : seq::ssd_recurrent_fwd(c.X, c.A, c.B, c.C, &c.S0);
    };
    auto r = fwd();
    const Tensor<double> dY = randn(r.Y.shape(), rng), dS = randn(r.final_state.shape(), rng);
    auto g = Q ? seq::ssd_chunked_bwd(c.X, c.A, c.B, c.C, &c.S0, Q, dY, &dS)
               : seq::ssd_recurrent_bwd(c.X, c.A, c.B, c.C, &c.S0, dY, &dS);
    auto loss = [&] {
      auto rr = fwd();
      return dot(rr.Y, dY) + dot(rr.final_state, dS);
    };
    XSSM_CHECK_CLOSE(g.dX, numeric_grad(loss, c.X), 1e-7);
    XSSM_CHECK_CLOSE(g.dA, numeric_grad(loss, c.A), 1e-7);
    XSSM_CHECK_CLOSE(g.dB, numeric_grad(loss, c.B), 1e-7);
    XSSM_CHECK_CLOSE(g.dC, numeric_grad(loss, c.C), 1e-7);
    XSSM_CHECK_CLOSE(g.dinitial_state, numeric_grad(loss, c.S0), 1e-7);
  }
}

TEST_CASE("ssd: step repeated = forward; state passing; zero initial state", "[seq][ssd]") {
  Rng rng(13);
  Case c = make(rng, 2, 9, 4, 2, 2, 3);
  auto full = seq::ssd_chunked_fwd(c.X, c.A, c.B, c.C, &c.S0, 4);
  Tensor<double> S = c.S0, Y(full.Y.shape());
  for (Index t = 0; t < 9; ++t)
    set_time(Y, t, seq::ssd_step(at_time(c.X, t), at_time(c.A, t), at_time(c.B, t), at_time(c.C, t), S));
  XSSM_CHECK_CLOSE(Y, full.Y, 1e-13);
  XSSM_CHECK_CLOSE(S, full.final_state, 1e-13);
  for (Index s : {1, 4, 5}) {
    auto r1 = seq::ssd_chunked_fwd(slice_time(c.X, 0, s), slice_time(c.A, 0, s), slice_time(c.B, 0, s),
                                   slice_time(c.C, 0, s), &c.S0, 4);
    auto r2 = seq::ssd_chunked_fwd(slice_time(c.X, s, 9), slice_time(c.A, s, 9), slice_time(c.B, s, 9),
                                   slice_time(c.C, s, 9), &r1.final_state, 4);
    XSSM_CHECK_CLOSE(cat_time(r1.Y, r2.Y), full.Y, 1e-13);
    XSSM_CHECK_CLOSE(r2.final_state, full.final_state, 1e-13);
  }
  Tensor<double> zero(c.S0.shape());
  auto a = seq::ssd_chunked_fwd(c.X, c.A, c.B, c.C, nullptr, 4);
  auto b = seq::ssd_recurrent_fwd(c.X, c.A, c.B, c.C, &zero);
  XSSM_CHECK_CLOSE(a.Y, b.Y, 1e-13);
}

TEST_CASE("ssd: float32 agrees with float64; long sequence is stable", "[seq][ssd]") {
  Rng rng(14);
  Case c = make(rng, 1, 40, 2, 3, 1, 4);
  auto r = seq::ssd_chunked_fwd(c.X, c.A, c.B, c.C, &c.S0, 8);
  auto rf = seq::ssd_chunked_fwd(c.X.cast<float>(), c.A.cast<float>(), c.B.cast<float>(), c.C.cast<float>(),
                                 nullptr, 8);
  auto r0 = seq::ssd_chunked_fwd(c.X, c.A, c.B, c.C, nullptr, 8);
  CHECK(rel_err(rf.Y, r0.Y) < 1e-5);
  CHECK(rel_err(rf.final_state, r0.final_state) < 1e-5);
  CHECK(r.Y.size() == r0.Y.size());

  Case l = make(rng, 1, 4096, 1, 2, 1, 2);
  l.A = randu(l.A.shape(), rng, -20.0, -1e-4);  // decays from almost 1 to almost 0
  auto rl = seq::ssd_chunked_fwd(l.X, l.A, l.B, l.C, &l.S0, 64);
  auto rr = seq::ssd_recurrent_fwd(l.X, l.A, l.B, l.C, &l.S0);
  for (double v : rl.Y) REQUIRE(std::isfinite(v));
  XSSM_CHECK_CLOSE(rl.Y, rr.Y, 1e-11);
  auto g = seq::ssd_chunked_bwd(l.X, l.A, l.B, l.C, &l.S0, 64, rl.Y, nullptr);
  for (double v : g.dA) REQUIRE(std::isfinite(v));
}
