// mLSTM cell forms: parallel = chunkwise = recurrent, FD gradients (inputs and initial state),
// state passing, float32 vs float64, stability at extreme gates and long sequences.
#include <cmath>
#include <limits>
#include <string>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/mlstm.hpp"

using namespace xssm;
using namespace xssm::seq;
using test::rel_err;

namespace {

const double kNegInf = -std::numeric_limits<double>::infinity();

struct Inputs {
  Tensor<double> q, k, v, i, f;
};

Inputs make_inputs(Index B, Index NH, Index S, Index DH, Rng& rng, double gate_scale = 1.0) {
  Inputs x;
  x.q = test::randn({B, NH, S, DH}, rng);
  x.k = test::randn({B, NH, S, DH}, rng);
  x.v = test::randn({B, NH, S, DH}, rng);
  x.i = test::randn({B, NH, S}, rng, gate_scale);
  x.f = test::randn({B, NH, S}, rng, gate_scale);
  for (auto& e : x.f) e += 2.0;  // forget gates mostly open, as in trained models
  return x;
}

MlstmState<double> random_state(Index B, Index NH, Index DH, Rng& rng) {
  MlstmState<double> s;
  s.C = test::randn({B, NH, DH, DH}, rng, 0.5);
  s.n = test::randn({B, NH, DH}, rng, 0.5);
  s.m = test::randn({B, NH}, rng, 1.0);
  return s;
}

/// Steps [s0, s1) of a (B,NH,S,...) tensor along axis 2.
Tensor<double> slice_s(const Tensor<double>& x, Index s0, Index s1) {
  const Index B = x.dim(0), NH = x.dim(1), S = x.dim(2);
  const Index inner = x.size() / (B * NH * S);
  Shape sh = x.shape();
  sh[2] = s1 - s0;
  Tensor<double> y(sh);
  for (Index bh = 0; bh < B * NH; ++bh)
    std::copy_n(x.data() + (bh * S + s0) * inner, (s1 - s0) * inner, y.data() + bh * (s1 - s0) * inner);
  return y;
}

std::string dims_str(Index B, Index NH, Index S, Index DH, Index L) {
  return "B=" + std::to_string(B) + " NH=" + std::to_string(NH) + " S=" + std::to_string(S) +
         " DH=" + std::to_string(DH) + " chunk=" + std::to_string(L);
}

}  // namespace

TEST_CASE("mlstm forms agree: parallel = chunkwise = recurrent (m0 = -inf)", "[mlstm]") {
  struct Case { Index B, NH, S, DH; };
  for (Case c : {Case{2, 2, 13, 4}, Case{1, 1, 1, 3}, Case{1, 3, 16, 8}, Case{2, 1, 7, 5}}) {
    Rng rng(11 + c.S);
    Inputs x = make_inputs(c.B, c.NH, c.S, c.DH, rng);
    const Tensor<double> hp = mlstm_parallel_fwd(x.q, x.k, x.v, x.i, x.f);
    MlstmState<double> lr;
    const Tensor<double> hr = mlstm_recurrent_fwd(x.q, x.k, x.v, x.i, x.f, nullptr, &lr);
    XSSM_CHECK_CLOSE(hr, hp, 1e-12);
    for (Index L : {Index(1), Index(3), Index(4), Index(8), c.S, c.S + 5}) {
      INFO(dims_str(c.B, c.NH, c.S, c.DH, L));
      MlstmState<double> lc;
      const Tensor<double> hc = mlstm_chunkwise_fwd(x.q, x.k, x.v, x.i, x.f, nullptr, &lc, L);
      XSSM_CHECK_CLOSE(hc, hp, 1e-12);
      XSSM_CHECK_CLOSE(lc.C, lr.C, 1e-12);
      XSSM_CHECK_CLOSE(lc.n, lr.n, 1e-12);
      XSSM_CHECK_CLOSE(lc.m, lr.m, 1e-12);
    }
  }
}

TEST_CASE("mlstm chunkwise = recurrent from a finite initial state, and the step API", "[mlstm]") {
  const Index B = 2, NH = 2, S = 11, DH = 4;
  Rng rng(5);
  Inputs x = make_inputs(B, NH, S, DH, rng);
  for (int zero_m : {0, 1}) {
    MlstmState<double> s0 = zero_m ? MlstmState<double>::zeros(B, NH, DH, 0.0) : random_state(B, NH, DH, rng);
    MlstmState<double> lr, lc;
    const Tensor<double> hr = mlstm_recurrent_fwd(x.q, x.k, x.v, x.i, x.f, &s0, &lr);
    // the per-step API gives the same numbers
    MlstmState<double> st = s0;
    for (Index t = 0; t < S; ++t) {
      Tensor<double> ht = mlstm_recurrent_step(slice_s(x.q, t, t + 1).reshaped({B, NH, DH}),
                                               slice_s(x.k, t, t + 1).reshaped({B, NH, DH}),
                                               slice_s(x.v, t, t + 1).reshaped({B, NH, DH}),
                                               slice_s(x.i, t, t + 1), slice_s(x.f, t, t + 1), st);
      XSSM_CHECK_CLOSE(ht, slice_s(hr, t, t + 1).reshaped({B, NH, DH}), 0.0);
    }
    XSSM_CHECK_CLOSE(st.C, lr.C, 0.0);
    for (Index L : {1, 2, 4, 5, 11, 16}) {
      INFO(dims_str(B, NH, S, DH, L) << " zero_m=" << zero_m);
      const Tensor<double> hc = mlstm_chunkwise_fwd(x.q, x.k, x.v, x.i, x.f, &s0, &lc, L);
      XSSM_CHECK_CLOSE(hc, hr, 1e-12);
      XSSM_CHECK_CLOSE(lc.C, lr.C, 1e-12);
      XSSM_CHECK_CLOSE(lc.n, lr.n, 1e-12);
      XSSM_CHECK_CLOSE(lc.m, lr.m, 1e-12);
    }
  }
}

TEST_CASE("mlstm state passing: forward(x[0:s]) then forward(x[s:S]) = forward(x)", "[mlstm]") {
  const Index B = 2, NH = 2, S = 19, DH = 4;
  Rng rng(7);
  Inputs x = make_inputs(B, NH, S, DH, rng);
  for (int with_state : {0, 1}) {
    MlstmState<double> s0 = random_state(B, NH, DH, rng);
    const MlstmState<double>* p0 = with_state ? &s0 : nullptr;
    MlstmState<double> full_last;
    const Tensor<double> full = mlstm_chunkwise_fwd(x.q, x.k, x.v, x.i, x.f, p0, &full_last, 4);
    for (Index s : {1, 4, 7, 18}) {
      INFO("split at s=" << s << " with_state=" << with_state);
      MlstmState<double> mid, last;
      auto part = [&](Index a, Index b, const MlstmState<double>* st, MlstmState<double>* out) {
        return mlstm_chunkwise_fwd(slice_s(x.q, a, b), slice_s(x.k, a, b), slice_s(x.v, a, b), slice_s(x.i, a, b),
                                   slice_s(x.f, a, b), st, out, 4);
      };
      const Tensor<double> h1 = part(0, s, p0, &mid);
      const Tensor<double> h2 = part(s, S, &mid, &last);
      XSSM_CHECK_CLOSE(h1, slice_s(full, 0, s), 1e-12);
      XSSM_CHECK_CLOSE(h2, slice_s(full, s, S), 1e-12);
      XSSM_CHECK_CLOSE(last.C, full_last.C, 1e-12);
      XSSM_CHECK_CLOSE(last.n, full_last.n, 1e-12);
      XSSM_CHECK_CLOSE(last.m, full_last.m, 1e-12);
      // the recurrent form continues the chunkwise state too
      MlstmState<double> last_r;
      const Tensor<double> h2r = mlstm_recurrent_fwd(slice_s(x.q, s, S), slice_s(x.k, s, S), slice_s(x.v, s, S),
                                                     slice_s(x.i, s, S), slice_s(x.f, s, S), &mid, &last_r);
      XSSM_CHECK_CLOSE(h2r, slice_s(full, s, S), 1e-12);
    }
  }
}

namespace {

enum class Form { Parallel, Chunkwise, Recurrent };

/// Loss = Σ h ⊙ wh (+ Σ state ⊙ w_state for the stateful forms); FD vs analytic for every input.
void fd_check_form(Form form, Index B, Index NH, Index S, Index DH, Index L, bool with_state, unsigned seed,
                   double i_shift = 0) {
  Rng rng(seed);
  Inputs x = make_inputs(B, NH, S, DH, rng);
  for (auto& e : x.i) e += i_shift;
  MlstmState<double> s0 = random_state(B, NH, DH, rng);
  const Tensor<double> wh = test::randn({B, NH, S, DH}, rng);
  MlstmState<double> ws = random_state(B, NH, DH, rng);
  const MlstmState<double>* p0 = with_state ? &s0 : nullptr;
  auto loss = [&]() {
    MlstmState<double> last;
    Tensor<double> h;
    if (form == Form::Parallel) return test::dot(mlstm_parallel_fwd(x.q, x.k, x.v, x.i, x.f), wh);
    if (form == Form::Chunkwise) h = mlstm_chunkwise_fwd(x.q, x.k, x.v, x.i, x.f, p0, &last, L);
    else h = mlstm_recurrent_fwd(x.q, x.k, x.v, x.i, x.f, p0, &last);
    return test::dot(h, wh) + test::dot(last.C, ws.C) + test::dot(last.n, ws.n) + test::dot(last.m, ws.m);
  };
  MlstmGrads<double> g;
  if (form == Form::Parallel) mlstm_parallel_bwd(x.q, x.k, x.v, x.i, x.f, wh, g);
  else if (form == Form::Chunkwise) mlstm_chunkwise_bwd(x.q, x.k, x.v, x.i, x.f, p0, L, wh, &ws, g);
  else mlstm_recurrent_bwd(x.q, x.k, x.v, x.i, x.f, p0, wh, &ws, g);
  const double tol = 1e-7;
  XSSM_CHECK_CLOSE(g.dq, test::numeric_grad(loss, x.q), tol);
  XSSM_CHECK_CLOSE(g.dk, test::numeric_grad(loss, x.k), tol);
  XSSM_CHECK_CLOSE(g.dv, test::numeric_grad(loss, x.v), tol);
  XSSM_CHECK_CLOSE(g.di, test::numeric_grad(loss, x.i), tol);
  XSSM_CHECK_CLOSE(g.df, test::numeric_grad(loss, x.f), tol);
  if (form != Form::Parallel && with_state) {
    XSSM_CHECK_CLOSE(g.dstate0.C, test::numeric_grad(loss, s0.C), tol);
    XSSM_CHECK_CLOSE(g.dstate0.n, test::numeric_grad(loss, s0.n), tol);
    XSSM_CHECK_CLOSE(g.dstate0.m, test::numeric_grad(loss, s0.m), tol);
  }
}

}  // namespace

TEST_CASE("mlstm parallel: finite-difference gradients", "[mlstm][grad]") {
  fd_check_form(Form::Parallel, 2, 2, 9, 3, 0, false, 21);
  // S = 1 with ĩ shifted down so that exp(−M) is the active bound (with |q·k| active, h ≈ ±v
  // and the gradient is O(eps): finite differences cannot resolve it)
  fd_check_form(Form::Parallel, 1, 1, 1, 2, 0, false, 22, -3.0);
}

TEST_CASE("mlstm chunkwise: finite-difference gradients incl. C0, n0, m0 and the last state", "[mlstm][grad]") {
  for (Index L : {1, 3, 4, 16}) {
    INFO("chunk " << L);
    fd_check_form(Form::Chunkwise, 2, 2, 10, 3, L, true, 30 + unsigned(L));
  }
  fd_check_form(Form::Chunkwise, 1, 1, 7, 4, 3, false, 41);  // null state (m0 = −∞)
  fd_check_form(Form::Chunkwise, 1, 2, 1, 3, 4, true, 42);   // S = 1
}

TEST_CASE("mlstm recurrent: finite-difference gradients incl. the initial state", "[mlstm][grad]") {
  fd_check_form(Form::Recurrent, 2, 2, 8, 3, 0, true, 51);
  fd_check_form(Form::Recurrent, 1, 1, 5, 2, 0, false, 52);
}

TEST_CASE("mlstm backward forms agree (chunkwise vs recurrent vs parallel)", "[mlstm][grad]") {
  const Index B = 2, NH = 2, S = 13, DH = 4;
  Rng rng(61);
  Inputs x = make_inputs(B, NH, S, DH, rng);
  const Tensor<double> wh = test::randn({B, NH, S, DH}, rng);
  MlstmGrads<double> gp, gr, gc;
  mlstm_parallel_bwd(x.q, x.k, x.v, x.i, x.f, wh, gp);
  mlstm_recurrent_bwd(x.q, x.k, x.v, x.i, x.f, nullptr, wh, nullptr, gr);
  for (Index L : {1, 5, 13}) {
    mlstm_chunkwise_bwd(x.q, x.k, x.v, x.i, x.f, nullptr, L, wh, nullptr, gc);
    XSSM_CHECK_CLOSE(gc.dq, gp.dq, 1e-10);
    XSSM_CHECK_CLOSE(gc.dk, gp.dk, 1e-10);
    XSSM_CHECK_CLOSE(gc.dv, gp.dv, 1e-10);
    XSSM_CHECK_CLOSE(gc.di, gp.di, 1e-10);
    XSSM_CHECK_CLOSE(gc.df, gp.df, 1e-10);
  }
  XSSM_CHECK_CLOSE(gr.di, gp.di, 1e-10);
  XSSM_CHECK_CLOSE(gr.df, gp.df, 1e-10);
  XSSM_CHECK_CLOSE(gr.dk, gp.dk, 1e-10);
}

TEST_CASE("mlstm float32 agrees with float64", "[mlstm]") {
  const Index B = 2, NH = 2, S = 21, DH = 8;
  Rng rng(71);
  Inputs x = make_inputs(B, NH, S, DH, rng);
  auto f32 = [](const Tensor<double>& t) { return t.cast<float>(); };
  const Tensor<double> wh = test::randn({B, NH, S, DH}, rng);
  const Tensor<double> hp = mlstm_parallel_fwd(x.q, x.k, x.v, x.i, x.f);
  const Tensor<float> hp32 = mlstm_parallel_fwd(f32(x.q), f32(x.k), f32(x.v), f32(x.i), f32(x.f));
  CHECK(rel_err(hp32, hp) < 1e-5);
  const Tensor<double> hc = mlstm_chunkwise_fwd(x.q, x.k, x.v, x.i, x.f, nullptr, nullptr, 8);
  const Tensor<float> hc32 =
      mlstm_chunkwise_fwd(f32(x.q), f32(x.k), f32(x.v), f32(x.i), f32(x.f), nullptr, nullptr, 8);
  CHECK(rel_err(hc32, hc) < 1e-5);
  const Tensor<float> hr32 = mlstm_recurrent_fwd(f32(x.q), f32(x.k), f32(x.v), f32(x.i), f32(x.f), nullptr, nullptr);
  CHECK(rel_err(hr32, hc) < 1e-5);
  MlstmGrads<double> g;
  MlstmGrads<float> g32;
  mlstm_chunkwise_bwd(x.q, x.k, x.v, x.i, x.f, nullptr, 8, wh, nullptr, g);
  mlstm_chunkwise_bwd(f32(x.q), f32(x.k), f32(x.v), f32(x.i), f32(x.f), nullptr, 8, f32(wh), nullptr, g32);
  CHECK(rel_err(g32.dq, g.dq) < 1e-5);
  CHECK(rel_err(g32.dk, g.dk) < 1e-5);
  CHECK(rel_err(g32.dv, g.dv) < 1e-5);
  CHECK(rel_err(g32.di, g.di) < 1e-5);
  CHECK(rel_err(g32.df, g.df) < 1e-5);
}

namespace {
template <class T>
bool all_finite(const Tensor<T>& t) {
  for (auto x : t)
    if (!std::isfinite(double(x))) return false;
  return true;
}
}  // namespace

TEST_CASE("mlstm stability: gate pre-activations ±50, S = 4096", "[mlstm]") {
  const Index B = 1, NH = 2, S = 4096, DH = 2;
  Rng rng(81);
  Inputs x = make_inputs(B, NH, S, DH, rng);
  for (Index t = 0; t < x.i.size(); ++t) {
    x.i[t] = (rng.uniform() < 0.5 ? -50.0 : 50.0);
    x.f[t] = (rng.uniform() < 0.5 ? -50.0 : 50.0);
  }
  const Tensor<double> wh = test::randn({B, NH, S, DH}, rng);
  auto x32 = [](const Tensor<double>& t) { return t.cast<float>(); };
  MlstmState<float> last;
  const Tensor<float> hc = mlstm_chunkwise_fwd(x32(x.q), x32(x.k), x32(x.v), x32(x.i), x32(x.f), nullptr, &last, 64);
  CHECK(all_finite(hc));
  CHECK(all_finite(last.C));
  CHECK(all_finite(last.m));
  const Tensor<float> hr = mlstm_recurrent_fwd(x32(x.q), x32(x.k), x32(x.v), x32(x.i), x32(x.f), nullptr, nullptr);
  CHECK(all_finite(hr));
  MlstmGrads<float> g;
  mlstm_chunkwise_bwd(x32(x.q), x32(x.k), x32(x.v), x32(x.i), x32(x.f), nullptr, 64, x32(wh), nullptr, g);
  CHECK(all_finite(g.dq));
  CHECK(all_finite(g.dk));
  CHECK(all_finite(g.dv));
  CHECK(all_finite(g.di));
  CHECK(all_finite(g.df));
  // the parallel form on a shorter prefix (S² memory), in float32
  const Index Sp = 512;
  const Tensor<float> hp = mlstm_parallel_fwd(x32(slice_s(x.q, 0, Sp)), x32(slice_s(x.k, 0, Sp)),
                                              x32(slice_s(x.v, 0, Sp)), x32(slice_s(x.i, 0, Sp)),
                                              x32(slice_s(x.f, 0, Sp)));
  CHECK(all_finite(hp));
  CHECK(rel_err(slice_s(hc.cast<double>(), 0, Sp), hp) < 1e-4);
}
