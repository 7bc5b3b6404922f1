// sLSTM cell: finite-difference gradients (inputs, params, initial state), step = forward,
// state passing, float32 vs float64, stability at extreme pre-activations and long sequences.
#include <catch2/catch.hpp>
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/seq/slstm.hpp"

using namespace xssm;
using namespace xssm::seq;

namespace {

struct Setup {
  Index B, S, NH, DH;
  Tensor<double> x, R, b, state0;
};

Setup make(Index B, Index S, Index NH, Index DH, Rng& rng, bool zero_state) {
  const Index H = NH * DH;
  Setup s{B, S, NH, DH, test::randn({B, S, 4 * H}, rng), test::randn({NH, 4 * DH, DH}, rng, 0.5 / std::sqrt(double(DH))),
          test::randn({4 * H}, rng, 0.5), Tensor<double>({4, B, H})};
  if (!zero_state) {
    for (Index j = 0; j < B * H; ++j) {
      s.state0[j] = rng.normal() * 0.5;                 // y
      s.state0[B * H + j] = rng.normal();               // c
      s.state0[2 * B * H + j] = rng.uniform(0.5, 2.0);  // n > 0
      s.state0[3 * B * H + j] = rng.normal();           // m
    }
  }
  return s;
}

template <class T>
bool all_finite(const Tensor<T>& t) {
  for (T v : t)
    if (!std::isfinite(v)) return false;
  return true;
}

/// Sequence slice x[:, t0:t1, :].
template <class T>
Tensor<T> slice_t(const Tensor<T>& x, Index t0, Index t1) {
  Tensor<T> out({x.dim(0), t1 - t0, x.dim(2)});
  for (Index b = 0; b < x.dim(0); ++b)
    for (Index t = t0; t < t1; ++t) std::copy(x.ptr(b, t), x.ptr(b, t) + x.dim(2), out.ptr(b, t - t0));
  return out;
}

void fd_check(bool zero_state, std::uint64_t seed) {
  Rng rng(seed);
  Setup s = make(2, 5, 2, 3, rng, zero_state);
  const Index H = s.NH * s.DH;
  const Tensor<double> wy = test::randn({s.B, s.S, H}, rng), ws = test::randn({4, s.B, H}, rng);
  auto loss = [&]() {
    Tensor<double> st;
    Tensor<double> y = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, &st, (SlstmCache<double>*)nullptr);
    return test::dot(y, wy) + test::dot(st, ws);
  };
  SlstmCache<double> cache;
  Tensor<double> st;
  slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, &st, &cache);
  Tensor<double> dR(s.R.shape()), db(s.b.shape()), ds0;
  const Tensor<double> dx = slstm_recurrent_bwd(s.R, cache, wy, &ws, dR, db, &ds0);
  XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, s.x), 1e-7);
  XSSM_CHECK_CLOSE(dR, test::numeric_grad(loss, s.R), 1e-7);
  XSSM_CHECK_CLOSE(db, test::numeric_grad(loss, s.b), 1e-7);
  if (!zero_state) {
    XSSM_CHECK_CLOSE(ds0, test::numeric_grad(loss, s.state0), 1e-7);
  } else {
    // Moving an n0 entry off 0 switches the batch-wide first-step branch: only y0, c0, m0 are
    // differentiable there (the gradient holds the branch fixed, as autograd does).
    Tensor<double> num = test::numeric_grad(loss, s.state0, 1e-5);
    for (Index j = 0; j < s.B * H; ++j) num[2 * s.B * H + j] = ds0[2 * s.B * H + j];
    XSSM_CHECK_CLOSE(ds0, num, 1e-6);
  }
}

}  // namespace

TEST_CASE("slstm cell: finite-difference gradients, random initial state", "[slstm]") { fd_check(false, 11); }
TEST_CASE("slstm cell: finite-difference gradients, zero initial state", "[slstm]") { fd_check(true, 12); }

TEST_CASE("slstm cell: step repeated S times equals forward", "[slstm]") {
  for (bool zero : {true, false}) {
    Rng rng(21);
    Setup s = make(3, 7, 2, 4, rng, zero);
    Tensor<double> st_fwd;
    const Tensor<double> y = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, &st_fwd, (SlstmCache<double>*)nullptr);
    Tensor<double> st = s.state0;
    const Index H = s.NH * s.DH;
    Tensor<double> ys({s.B, s.S, H});
    for (Index t = 0; t < s.S; ++t) {
      Tensor<double> xt({s.B, 4 * H});
      for (Index b = 0; b < s.B; ++b) std::copy(s.x.ptr(b, t), s.x.ptr(b, t) + 4 * H, xt.ptr(b));
      const Tensor<double> yt = slstm_step(xt, s.R, s.b, s.NH, st);
      CHECK(st.size() == 4 * s.B * H);  // constant step memory
      for (Index b = 0; b < s.B; ++b) std::copy(yt.ptr(b), yt.ptr(b) + H, ys.ptr(b, t));
    }
    XSSM_CHECK_CLOSE(ys, y, 1e-14);
    XSSM_CHECK_CLOSE(st, st_fwd, 1e-14);
  }
}

TEST_CASE("slstm cell: state passing (split sequence) equals the whole", "[slstm]") {
  Rng rng(31);
  Setup s = make(2, 9, 2, 3, rng, true);
  Tensor<double> st_all;
  const Tensor<double> y = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, nullptr, &st_all, (SlstmCache<double>*)nullptr);
  for (Index split : {1, 4, 8}) {
    Tensor<double> st1, st2;
    const Tensor<double> y1 = slstm_recurrent_fwd(slice_t(s.x, 0, split), s.R, s.b, s.NH, nullptr, &st1, (SlstmCache<double>*)nullptr);
    const Tensor<double> y2 = slstm_recurrent_fwd(slice_t(s.x, split, s.S), s.R, s.b, s.NH, &st1, &st2, (SlstmCache<double>*)nullptr);
    XSSM_CHECK_CLOSE(y1, slice_t(y, 0, split), 1e-14);
    XSSM_CHECK_CLOSE(y2, slice_t(y, split, s.S), 1e-14);
    XSSM_CHECK_CLOSE(st2, st_all, 1e-14);
  }
}

TEST_CASE("slstm cell: float32 agrees with float64", "[slstm]") {
  Rng rng(41);
  Setup s = make(2, 16, 2, 8, rng, false);
  const Index H = s.NH * s.DH;
  const Tensor<double> wy = test::randn({s.B, s.S, H}, rng);
  SlstmCache<double> c64;
  SlstmCache<float> c32;
  Tensor<double> st64;
  Tensor<float> st32;
  const Tensor<float> s0f = s.state0.cast<float>();
  const Tensor<double> y64 = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, &st64, &c64);
  const Tensor<float> y32 = slstm_recurrent_fwd(s.x.cast<float>(), s.R.cast<float>(), s.b.cast<float>(), s.NH, &s0f, &st32, &c32);
  XSSM_CHECK_CLOSE(y32, y64, 1e-5);
  XSSM_CHECK_CLOSE(st32, st64, 1e-5);
  Tensor<double> dR64(s.R.shape()), db64(s.b.shape());
  Tensor<float> dR32(s.R.shape()), db32(s.b.shape());
  const Tensor<double> dx64 = slstm_recurrent_bwd(s.R, c64, wy, (const Tensor<double>*)nullptr, dR64, db64, (Tensor<double>*)nullptr);
  const Tensor<float> dx32 = slstm_recurrent_bwd(s.R.cast<float>(), c32, wy.cast<float>(), (const Tensor<float>*)nullptr, dR32, db32, (Tensor<float>*)nullptr);
  XSSM_CHECK_CLOSE(dx32, dx64, 1e-4);
  XSSM_CHECK_CLOSE(dR32, dR64, 1e-4);
}

TEST_CASE("slstm cell: extreme pre-activations and long sequences stay finite", "[slstm]") {
  Rng rng(51);
  for (Index S : {Index(64), Index(4096)}) {
    Setup s = make(1, S, 2, 2, rng, true);
    for (auto& v : s.x) v = rng.bernoulli(0.5) ? 50.0 : -50.0;
    SlstmCache<double> cache;
    Tensor<double> st;
    const Tensor<double> y = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, nullptr, &st, &cache);
    CHECK(all_finite(y));
    CHECK(all_finite(st));
    Tensor<double> dR(s.R.shape()), db(s.b.shape()), ds0;
    const Tensor<double> dy = test::randn({1, S, 4}, rng);
    const Tensor<double> dx = slstm_recurrent_bwd(s.R, cache, dy, (const Tensor<double>*)nullptr, dR, db, &ds0);
    CHECK(all_finite(dx));
    CHECK(all_finite(dR));
    // float32 too
    SlstmCache<float> c32;
    const Tensor<float> y32 = slstm_recurrent_fwd(s.x.cast<float>(), s.R.cast<float>(), s.b.cast<float>(), s.NH,
                                        (const Tensor<float>*)nullptr, (Tensor<float>*)nullptr, &c32);
    CHECK(all_finite(y32));
  }
}

TEST_CASE("slstm cell: tiny sizes (B=1, S=1, NH=1, DH=1) and S=0", "[slstm]") {
  Rng rng(61);
  Setup s = make(1, 1, 1, 1, rng, false);
  auto loss = [&]() {
    Tensor<double> y = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, (Tensor<double>*)nullptr, (SlstmCache<double>*)nullptr);
    return y[0] * 0.7;
  };
  SlstmCache<double> cache;
  slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, (Tensor<double>*)nullptr, &cache);
  Tensor<double> dR(s.R.shape()), db(s.b.shape()), ds0;
  Tensor<double> dy({1, 1, 1}, 0.7);
  const Tensor<double> dx = slstm_recurrent_bwd(s.R, cache, dy, (const Tensor<double>*)nullptr, dR, db, &ds0);
  XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, s.x), 1e-7);
  XSSM_CHECK_CLOSE(ds0, test::numeric_grad(loss, s.state0), 1e-7);
  // Empty sequence: the final state is the initial state.
  Tensor<double> st;
  const Tensor<double> y0 = slstm_recurrent_fwd(Tensor<double>({1, 0, 4}), s.R, s.b, s.NH, &s.state0, &st, (SlstmCache<double>*)nullptr);
  CHECK(y0.size() == 0);
  XSSM_CHECK_CLOSE(st, s.state0, 0.0);
}

TEST_CASE("slstm cell: shape errors and official init", "[slstm]") {
  Rng rng(71);
  Setup s = make(1, 2, 2, 2, rng, true);
  CHECK_THROWS_AS(slstm_recurrent_fwd(s.x, s.R, s.b, 3, (const Tensor<double>*)nullptr, (Tensor<double>*)nullptr,
                            (SlstmCache<double>*)nullptr), Error);
  SlstmCell<double> cell(8, 2);
  cell.init(3, 2);  // last of three blocks: exponent 0.3 + 1.3
  CHECK(cell.bias.value[8 + 0] == Approx(5.0));
  CHECK(cell.bias.value[8 + 3] == Approx(-7.0));
  CHECK(cell.bias.value[8 + 1] == Approx(5.0 - 12.0 * std::pow(1.0 / 3.0, 1.6)));
  CHECK(cell.bias.value[0] == 0.0);
  nn::ParamList<double> pl;
  cell.collect("slstm_cell", pl);
  CHECK(pl.find("slstm_cell/_recurrent_kernel_") != nullptr);
  CHECK(pl.find("slstm_cell/_bias_") != nullptr);
}

TEST_CASE("slstm cell: results do not depend on the thread count", "[slstm]") {
  Rng rng(81);
  Setup s = make(3, 6, 4, 2, rng, false);
  const Index H = s.NH * s.DH;
  const Tensor<double> wy = test::randn({s.B, s.S, H}, rng);
  auto run = [&](int threads, Tensor<double>& dx, Tensor<double>& dR) {
    const int old = num_threads();
    set_threads(threads);
    SlstmCache<double> c;
    Tensor<double> y = slstm_recurrent_fwd(s.x, s.R, s.b, s.NH, &s.state0, nullptr, &c);
    dR = Tensor<double>(s.R.shape());
    Tensor<double> db(s.b.shape());
    dx = slstm_recurrent_bwd(s.R, c, wy, nullptr, dR, db, nullptr);
    set_threads(old);
    return y;
  };
  Tensor<double> dx1, dR1, dx2, dR2;
  const Tensor<double> y1 = run(1, dx1, dR1), y2 = run(2, dx2, dR2);
  XSSM_CHECK_CLOSE(y1, y2, 0.0);
  XSSM_CHECK_CLOSE(dx1, dx2, 0.0);
  XSSM_CHECK_CLOSE(dR1, dR2, 0.0);
}
