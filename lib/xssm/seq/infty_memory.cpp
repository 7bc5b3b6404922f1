// ∞-former continuous memory: basis, ridge fit, contraction, sticky points, Gaussian expectations.
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

#include "xssm/seq/infty.hpp"

namespace xssm::seq::infty {
namespace {

constexpr double kInvSqrt2Pi = 0.39894228040143267794;
double npdf(double z) { return kInvSqrt2Pi * std::exp(-0.5 * z * z); }
double ncdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

}  // namespace

Basis Basis::gaussian(Index num_basis, const std::vector<double>& widths) {
  const Index nw = Index(widths.size());
  if (nw == 0 || num_basis <= 0 || num_basis % nw != 0)
    throw UsageError(cat("infty: num_basis ", num_basis, " must be a positive multiple of the number of widths ", nw));
  const Index nc = num_basis / nw;
  Basis b;
  for (Index i = 0; i < nc; ++i)
    for (Index w = 0; w < nw; ++w) {
      if (!(widths[size_t(w)] > 0)) throw UsageError("infty: basis widths must be positive");
      b.center.push_back(nc == 1 ? 0.5 : double(i) / double(nc - 1));
      b.width.push_back(widths[size_t(w)]);
    }
  return b;
}

void Basis::eval(double t, double* out) const {
  for (Index j = 0; j < size(); ++j) {
    const double s = width[size_t(j)];
    out[j] = npdf((t - center[size_t(j)]) / s) / s;  // N(t; c_j, s_j²)
  }
}

MatR<double> Basis::design(const std::vector<double>& t) const {
  MatR<double> F(size(), Index(t.size()));
  std::vector<double> psi(static_cast<size_t>(size()));
  for (size_t i = 0; i < t.size(); ++i) {
    eval(t[i], psi.data());
    for (Index j = 0; j < size(); ++j) F(j, Index(i)) = psi[size_t(j)];
  }
  return F;
}

void gaussian_expectation(const Basis& basis, double mu, double sigma_sq, bool unit_interval, double* r,
                          double* dr_dmu, double* dr_dsigma_sq) {
  XSSM_ASSERT(sigma_sq > 0, "gaussian_expectation: sigma_sq must be positive, got ", sigma_sq);
  for (Index j = 0; j < basis.size(); ++j) {
    const double c = basis.center[size_t(j)], s2 = basis.width[size_t(j)] * basis.width[size_t(j)];
    // Over ℝ: ∫ N(t;μ,σ²) N(t;c,s²) dt = N(μ; c, v), v = σ² + s².
    const double v = sigma_sq + s2, d = mu - c;
    const double g = std::exp(-0.5 * d * d / v) / std::sqrt(2 * M_PI * v);
    const double g_mu = -d / v * g;
    const double g_s = g * (0.5 * d * d / (v * v) - 0.5 / v);
    if (!unit_interval) {
      r[j] = g;
      if (dr_dmu) dr_dmu[j] = g_mu;
      if (dr_dsigma_sq) dr_dsigma_sq[j] = g_s;
      continue;
    }
    // Over [0,1]: the product of the two Gaussians is g · N(t; m, τ²) with
    //   m = (μ s² + c σ²)/v,  τ² = σ² s²/v,  so  r = g · [Φ((1−m)/τ) − Φ((0−m)/τ)].
    const double m = (mu * s2 + c * sigma_sq) / v, tau = std::sqrt(sigma_sq * s2 / v);
    const double a = (0 - m) / tau, b = (1 - m) / tau;
    const double P = ncdf(b) - ncdf(a), pa = npdf(a), pb = npdf(b);
    r[j] = g * P;
    // ∂m/∂μ = s²/v; ∂m/∂σ² = (c − m)/v; ∂τ/∂σ² = s⁴/(2τv²); ∂z/∂θ = −(∂m/∂θ + z ∂τ/∂θ)/τ for z = (e−m)/τ.
    if (dr_dmu) dr_dmu[j] = g_mu * P + g * (-(s2 / v) / tau) * (pb - pa);
    if (dr_dsigma_sq) {
      const double m_s = (c - m) / v, tau_s = s2 * s2 / (2 * tau * v * v);
      const double a_s = -(m_s + a * tau_s) / tau, b_s = -(m_s + b * tau_s) / tau;
      dr_dsigma_sq[j] = g_s * P + g * (pb * b_s - pa * a_s);
    }
  }
}

MatR<double> ridge_fit(const Basis& basis, const std::vector<double>& t, const MatR<double>& X, double lambda) {
  if (X.rows() != Index(t.size()))
    throw Error(cat("infty ridge_fit: ", X.rows(), " samples but ", t.size(), " positions"));
  if (!(lambda >= 0)) throw UsageError(cat("infty: ridge penalty must be >= 0, got ", lambda));
  const MatR<double> F = basis.design(t);  // (N × n)
  MatR<double> G = F * F.transpose();
  G.diagonal().array() += lambda;
  return G.ldlt().solve(F * X);  // B = (F Fᵀ + λI)⁻¹ F X
}

MatR<double> evaluate(const Basis& basis, const MatR<double>& coef, const std::vector<double>& t) {
  return basis.design(t).transpose() * coef;  // row i = (Bᵀ ψ(t_i))ᵀ
}

std::vector<double> uniform_points(Index M) {
  std::vector<double> p(size_t(std::max<Index>(0, M)));
  for (Index i = 0; i < M; ++i) p[size_t(i)] = (double(i) + 0.5) / double(M);
  return p;
}

std::vector<double> sticky_points(const std::vector<double>& hist, Index M) {
  const Index K = Index(hist.size());
  double total = 0;
  for (double h : hist) total += std::max(0.0, h);
  if (K == 0 || !(total > 0)) return uniform_points(M);
  // Inverse of the piecewise-linear CDF at the quantiles (i + ½)/M.
  std::vector<double> p(static_cast<size_t>(M));
  Index k = 0;
  double below = 0;  // mass of bins < k
  for (Index i = 0; i < M; ++i) {
    const double q = (double(i) + 0.5) / double(M) * total;
    while (k < K - 1 && below + std::max(0.0, hist[size_t(k)]) < q) below += std::max(0.0, hist[size_t(k++)]);
    const double hk = std::max(0.0, hist[size_t(k)]);
    const double frac = hk > 0 ? std::clamp((q - below) / hk, 0.0, 1.0) : 0.5;
    p[size_t(i)] = (double(k) + frac) / double(K);
  }
  return p;
}

void accumulate_density(double mu, double sigma_sq, std::vector<double>& hist) {
  const Index K = Index(hist.size());
  const double sd = std::sqrt(sigma_sq);
  double prev = ncdf((0 - mu) / sd);
  for (Index k = 0; k < K; ++k) {
    const double cur = ncdf((double(k + 1) / double(K) - mu) / sd);
    hist[size_t(k)] += cur - prev;
    prev = cur;
  }
}

MatR<double> update_memory(const Basis& basis, const MatR<double>* old_coef, const std::vector<double>& points,
                           const MatR<double>& X_new, double tau, double lambda) {
  const Index L = X_new.rows(), D = X_new.cols();
  if (!old_coef) return ridge_fit(basis, uniform_points(L), X_new, lambda);
  if (!(tau > 0 && tau < 1)) throw UsageError(cat("infty: tau must be in (0,1), got ", tau));
  const Index M = Index(points.size());
  std::vector<double> t(size_t(M + L));
  MatR<double> X(M + L, D);
  X.topRows(M) = evaluate(basis, *old_coef, points);  // x̄_old(u_i), moved to τ·u_i
  for (Index i = 0; i < M; ++i) t[size_t(i)] = tau * points[size_t(i)];
  X.bottomRows(L) = X_new;
  for (Index l = 0; l < L; ++l) t[size_t(M + l)] = tau + (1 - tau) * (double(l) + 0.5) / double(L);
  return ridge_fit(basis, t, X, lambda);
}

}  // namespace xssm::seq::infty
