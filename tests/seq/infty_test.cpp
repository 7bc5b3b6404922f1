// ∞-former long-term memory: closed-form Gaussian-RBF expectations vs Simpson, ridge fit, contraction,
// sticky sampling, and the memory attention mixer (FD gradients in float64, step = forward,
// state passing, causality, float32 vs float64).
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/infty.hpp"

using namespace xssm;
using seq::infty::Basis;

namespace {

double normal_pdf(double t, double mu, double var) {
  return std::exp(-0.5 * (t - mu) * (t - mu) / var) / std::sqrt(2 * M_PI * var);
}

// Composite Simpson's rule with n (even) intervals.
template <class F>
double simpson(F f, double a, double b, Index n) {
  const double h = (b - a) / double(n);
  double s = f(a) + f(b);
  for (Index i = 1; i < n; ++i) s += (i % 2 ? 4.0 : 2.0) * f(a + double(i) * h);
  return s * h / 3.0;
}

seq::InftyConfig small_config() {
  seq::InftyConfig c;
  c.num_basis = 8;
  c.basis_widths = {0.1, 0.25};
  c.num_samples = 6;
  c.segment_len = 3;
  c.sticky_bins = 8;
  c.ridge = 0.5;
  return c;
}

template <class T>
seq::InftyMemoryAttention<T> make(std::uint64_t seed, seq::InftyConfig cfg = small_config(), Index D = 8, Index NH = 2) {
  seq::InftyMemoryAttention<T> m(D, NH, cfg);
  Rng rng(seed);
  nn::ParamList<T> l;
  m.collect("", l);
  for (auto& it : l.items())
    for (auto& v : it.second->value) v = T(rng.normal() * 0.5);
  return m;
}

}  // namespace

TEST_CASE("infty basis: official layout") {
  const Basis b = Basis::gaussian(6, {0.01, 0.05});
  REQUIRE(b.size() == 6);
  CHECK(b.center == std::vector<double>{0, 0, 0.5, 0.5, 1, 1});
  CHECK(b.width == std::vector<double>{0.01, 0.05, 0.01, 0.05, 0.01, 0.05});
  std::vector<double> psi(6);
  b.eval(0.5, psi.data());
  CHECK(psi[2] == Approx(normal_pdf(0.5, 0.5, 1e-4)));
  CHECK_THROWS_AS(Basis::gaussian(5, {0.01, 0.05}), UsageError);
}

TEST_CASE("infty: closed-form E_p[psi] matches Simpson integration, over [0,1] and over R") {
  const Basis b = Basis::gaussian(8, {0.03, 0.2});
  std::vector<double> r(8);
  for (double mu : {0.0, 0.3, 0.93, 1.2})
    for (double var : {1e-4, 0.01, 0.3}) {
      for (bool unit : {true, false}) {
        seq::infty::gaussian_expectation(b, mu, var, unit, r.data());
        for (Index j = 0; j < b.size(); ++j) {
          auto f = [&](double t) { return normal_pdf(t, mu, var) * normal_pdf(t, b.center[size_t(j)], b.width[size_t(j)] * b.width[size_t(j)]); };
          // The integrand is a Gaussian bump of width ≤ min(σ, s_j): integrate over ±14 of that width
          // around its peak (clipped to [0,1] for the finite interval), fine Simpson grid.
          const double w = std::min(std::sqrt(var), b.width[size_t(j)]);
          const double peak = (mu * b.width[size_t(j)] * b.width[size_t(j)] + b.center[size_t(j)] * var) /
                              (var + b.width[size_t(j)] * b.width[size_t(j)]);
          double lo = peak - 14 * w, hi = peak + 14 * w;
          if (unit) lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
          const double ref = lo < hi ? simpson(f, lo, hi, 20000) : 0.0;
          INFO("mu=" << mu << " var=" << var << " unit=" << unit << " j=" << j);
          CHECK(std::fabs(r[size_t(j)] - ref) <= 1e-9 * std::max(1.0, std::fabs(ref)));
        }
      }
    }
}

TEST_CASE("infty: derivatives of E_p[psi] w.r.t. mu and sigma^2 match finite differences") {
  const Basis b = Basis::gaussian(6, {0.05, 0.2});
  std::vector<double> r(6), rm(6), rs(6), rp(6), rn(6);
  for (bool unit : {true, false})
    for (double mu : {0.1, 0.5, 1.1})
      for (double var : {0.002, 0.05}) {
        seq::infty::gaussian_expectation(b, mu, var, unit, r.data(), rm.data(), rs.data());
        const double h = 1e-6;
        seq::infty::gaussian_expectation(b, mu + h, var, unit, rp.data());
        seq::infty::gaussian_expectation(b, mu - h, var, unit, rn.data());
        for (Index j = 0; j < 6; ++j) CHECK(rm[size_t(j)] == Approx((rp[size_t(j)] - rn[size_t(j)]) / (2 * h)).epsilon(1e-6).margin(1e-7));
        const double hs = 1e-4 * var;
        seq::infty::gaussian_expectation(b, mu, var + hs, unit, rp.data());
        seq::infty::gaussian_expectation(b, mu, var - hs, unit, rn.data());
        for (Index j = 0; j < 6; ++j) CHECK(rs[size_t(j)] == Approx((rp[size_t(j)] - rn[size_t(j)]) / (2 * hs)).epsilon(1e-6).margin(1e-6));
      }
}

TEST_CASE("infty: ridge fit reproduces a smooth signal; contraction keeps the old signal") {
  const Basis b = Basis::gaussian(64, {0.01, 0.05});
  const Index L = 200;
  auto sig = [](double t, MatR<double>& X, Index i) {
    X(i, 0) = std::sin(2 * M_PI * t);
    X(i, 1) = std::cos(3 * t);
    X(i, 2) = t * t - 0.5;
  };
  const auto t = seq::infty::uniform_points(L);
  MatR<double> X(L, 3);
  for (Index i = 0; i < L; ++i) sig(t[size_t(i)], X, i);
  const MatR<double> B = seq::infty::ridge_fit(b, t, X, 1e-3);
  CHECK(B.rows() == 64);
  CHECK(B.cols() == 3);
  // Evaluate between the samples too (interior; the ends have fewer basis functions around).
  std::vector<double> tt;
  for (double u = 0.05; u <= 0.95; u += 0.0137) tt.push_back(u);
  const MatR<double> Y = seq::infty::evaluate(b, B, tt);
  MatR<double> ref(Index(tt.size()), 3);
  for (Index i = 0; i < Index(tt.size()); ++i) sig(tt[size_t(i)], ref, i);
  CHECK((Y - ref).cwiseAbs().maxCoeff() < 2e-3);
  // A large penalty shrinks the fit towards 0.
  CHECK(seq::infty::ridge_fit(b, t, X, 1e6).cwiseAbs().maxCoeff() < 0.1 * B.cwiseAbs().maxCoeff());

  // Contraction: the old signal at u appears at τu in the new memory, new vectors in (τ, 1].
  const double tau = 0.5;
  MatR<double> Xn(L, 3);
  Xn.setConstant(0.25);
  const MatR<double> B2 = seq::infty::update_memory(b, &B, seq::infty::uniform_points(200), Xn, tau, 1e-3);
  std::vector<double> u{0.2, 0.5, 0.8};
  std::vector<double> tu{0.1, 0.25, 0.4};
  const MatR<double> old = seq::infty::evaluate(b, B, u), moved = seq::infty::evaluate(b, B2, tu);
  CHECK((old - moved).cwiseAbs().maxCoeff() < 2e-2);
  const MatR<double> tail = seq::infty::evaluate(b, B2, {0.6, 0.75, 0.9});
  CHECK((tail.array() - 0.25).abs().maxCoeff() < 1e-2);
}

TEST_CASE("infty: sticky points concentrate where the attention density was high") {
  std::vector<double> hist(20);
  for (int i = 0; i < 200; ++i) seq::infty::accumulate_density(0.25, 0.03 * 0.03, hist);
  for (int i = 0; i < 20; ++i) seq::infty::accumulate_density(0.5, 1.0, hist);  // broad background
  // The bin containing 0.25 (bin 5) holds most mass.
  CHECK(std::max_element(hist.begin(), hist.end()) - hist.begin() == 5);
  const Index M = 40;
  const auto sticky = seq::infty::sticky_points(hist, M), uniform = seq::infty::uniform_points(M);
  auto count_in = [](const std::vector<double>& p, double lo, double hi) {
    return std::count_if(p.begin(), p.end(), [&](double x) { return x >= lo && x < hi; });
  };
  CHECK(count_in(uniform, 0.2, 0.3) == 4);
  CHECK(count_in(sticky, 0.2, 0.3) > 3 * count_in(uniform, 0.2, 0.3));
  CHECK(count_in(sticky, 0.6, 1.0) < count_in(uniform, 0.6, 1.0));
  CHECK(std::is_sorted(sticky.begin(), sticky.end()));
  for (double x : sticky) CHECK((x >= 0 && x <= 1));
  // A flat histogram gives the uniform points; an empty one falls back to them.
  CHECK(seq::infty::sticky_points(std::vector<double>(10, 1.0), 10) == seq::infty::uniform_points(10));
  CHECK(seq::infty::sticky_points(std::vector<double>(10, 0.0), 7) == seq::infty::uniform_points(7));

  // Sticky memory keeps the attended region better than uniform sampling after a contraction.
  const Basis b = Basis::gaussian(32, {0.02, 0.06});
  const auto t = seq::infty::uniform_points(100);
  MatR<double> X(100, 1);
  for (Index i = 0; i < 100; ++i) X(i, 0) = std::sin(40 * t[size_t(i)]);  // detailed signal
  const MatR<double> B = seq::infty::ridge_fit(b, t, X, 1e-3);
  MatR<double> Xn = MatR<double>::Zero(10, 1);
  const auto err_near = [&](const std::vector<double>& pts) {
    const MatR<double> B2 = seq::infty::update_memory(b, &B, pts, Xn, 0.75, 1e-3);
    std::vector<double> u, tu;
    for (double x = 0.2; x < 0.3; x += 0.005) u.push_back(x), tu.push_back(0.75 * x);
    return (seq::infty::evaluate(b, B, u) - seq::infty::evaluate(b, B2, tu)).cwiseAbs().maxCoeff();
  };
  CHECK(err_near(seq::infty::sticky_points(hist, 12)) < err_near(seq::infty::uniform_points(12)));
}

TEST_CASE("InftyMemoryAttention: names, first segment is zero, causal") {
  auto m = make<double>(1);
  nn::ParamList<double> l;
  m.collect("blocks/1/ltm", l);
  REQUIRE(l.size() == 6);
  CHECK(l.items()[0].first == "blocks/1/ltm/proj_query/weight");
  CHECK(l["blocks/1/ltm/mu/weight"].value.shape() == Shape{1, 8});
  CHECK(m.kind() == "infty");
  Rng rng(2);
  auto x = test::randn<double>({2, 8, 8}, rng);
  auto y = m.forward(x);
  for (Index b = 0; b < 2; ++b)
    for (Index t = 0; t < 3; ++t)
      for (Index d = 0; d < 8; ++d) CHECK(y.at(b, t, d) == 0.0);
  CHECK(std::fabs(y.at(0, 3, 0)) > 0);
  // Causality: changing inputs from t = 5 on leaves y[0:5] unchanged.
  auto x2 = x;
  for (Index b = 0; b < 2; ++b)
    for (Index t = 5; t < 8; ++t)
      for (Index d = 0; d < 8; ++d) x2.at(b, t, d) += 1;
  auto y2 = m.forward(x2);
  for (Index b = 0; b < 2; ++b)
    for (Index t = 0; t < 5; ++t)
      for (Index d = 0; d < 8; ++d) CHECK(y2.at(b, t, d) == y.at(b, t, d));
  CHECK(y2.at(0, 6, 0) != y.at(0, 6, 0));  // the memory of segment [3,6) changed
}

TEST_CASE("InftyMemoryAttention: FD gradients w.r.t. parameters and queries (float64)", "[slow]") {
  for (bool unit : {true, false})
    for (bool sticky : {true, false}) {
      auto cfg = small_config();
      cfg.unit_interval = unit;
      cfg.sticky = sticky;
      auto m = make<double>(3, cfg);
      nn::ParamList<double> l;
      m.collect("", l);
      Rng rng(4);
      // Parameters: the memory (a fit of x) does not depend on them, so the full forward is exact —
      // except that sticky sample points depend on μ, σ² (a detached path): with sticky memories stop
      // before the first contraction is attended to (S = 6: segments [0,3), [3,6)).
      const Index S = sticky ? 6 : 8;
      auto x = test::randn<double>({2, S, 8}, rng), w = test::randn<double>({2, S, 8}, rng);
      auto loss = [&] { return test::dot(m.forward(x), w); };
      l.zero_grad();
      m.forward(x);
      m.backward(w);
      for (auto& it : l.items()) {
        INFO(it.first << " unit=" << unit << " sticky=" << sticky);
        XSSM_CHECK_CLOSE(it.second->grad, test::numeric_grad(loss, it.second->value), 1e-7);
      }
      // Queries: one segment over a memory built from two earlier segments (detached memory).
      auto st0 = m.initial_state(2);
      m.forward_from(test::randn<double>({2, 6, 8}, rng), st0);
      auto xq = test::randn<double>({2, 3, 8}, rng), wq = test::randn<double>({2, 3, 8}, rng);
      auto lossq = [&] {
        auto st = st0;
        return test::dot(m.forward_from(xq, st), wq);
      };
      auto st = st0;
      m.forward_from(xq, st);
      auto dx = m.backward(wq);
      XSSM_CHECK_CLOSE(dx, test::numeric_grad(lossq, xq), 1e-7);
    }
}

TEST_CASE("InftyMemoryAttention: step repeated = forward; state passing; B=1") {
  for (Index B : {Index(1), Index(2)}) {
    auto m = make<double>(5);
    Rng rng(6);
    const Index S = 10;
    auto x = test::randn<double>({B, S, 8}, rng);
    auto y = m.forward(x);
    auto st = m.initial_state(B);
    Tensor<double> ys(y.shape());
    for (Index t = 0; t < S; ++t) {
      Tensor<double> xt({B, 8});
      for (Index b = 0; b < B; ++b)
        for (Index d = 0; d < 8; ++d) xt.at(b, d) = x.at(b, t, d);
      auto yt = m.step(xt, st);
      for (Index b = 0; b < B; ++b)
        for (Index d = 0; d < 8; ++d) ys.at(b, t, d) = yt.at(b, d);
    }
    XSSM_CHECK_CLOSE(ys, y, 1e-12);
    CHECK(st["buffer"].dim(1) == S % 3);
    CHECK(st["filled"][0] == 1.0);
    // forward_from(x[0:4]) then forward_from(x[4:10]) = forward(x).
    auto st2 = m.initial_state(B);
    Tensor<double> xa({B, 4, 8}), xb({B, 6, 8});
    for (Index b = 0; b < B; ++b)
      for (Index t = 0; t < S; ++t)
        for (Index d = 0; d < 8; ++d) (t < 4 ? xa.at(b, t, d) : xb.at(b, t - 4, d)) = x.at(b, t, d);
    auto ya = m.forward_from(xa, st2), yb = m.forward_from(xb, st2);
    for (Index b = 0; b < B; ++b)
      for (Index t = 0; t < S; ++t)
        for (Index d = 0; d < 8; ++d) CHECK(y.at(b, t, d) == Approx(t < 4 ? ya.at(b, t, d) : yb.at(b, t - 4, d)).epsilon(1e-12).margin(1e-14));
    XSSM_CHECK_CLOSE(st2["coef"], st["coef"], 1e-12);
  }
}

TEST_CASE("InftyMemoryAttention: float32 agrees with float64") {
  auto m = make<double>(7);
  auto mf = make<float>(7);
  Rng rng(8);
  auto x = test::randn<double>({2, 9, 8}, rng), w = test::randn<double>({2, 9, 8}, rng);
  auto y = m.forward(x);
  auto yf = mf.forward(x.cast<float>());
  XSSM_CHECK_CLOSE(yf, y, 1e-4);
  XSSM_CHECK_CLOSE(mf.backward(w.cast<float>()), m.backward(w), 1e-3);
}
