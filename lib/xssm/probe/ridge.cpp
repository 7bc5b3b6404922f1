#include "xssm/probe/ridge.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/core/rng.hpp"

namespace xssm::probe {

using Mat = MatR<double>;
using Vec = VecX<double>;

std::vector<std::int8_t> split_sequences(Index n, const RidgeOptions& opt) {
  if (n < 3) throw Error(cat("ridge probe: need at least 3 sequences for a train/valid/test split, got ", n));
  if (opt.valid_fraction <= 0 || opt.test_fraction <= 0 || opt.valid_fraction + opt.test_fraction >= 1)
    throw UsageError(cat("ridge probe: valid and test fractions must be > 0 with sum < 1 (got ",
                         opt.valid_fraction, ", ", opt.test_fraction, ")"));
  std::vector<Index> order(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i) order[size_t(i)] = i;
  Rng rng(opt.seed ^ 0x9e3779b97f4a7c15ULL);
  rng.shuffle(order);
  const Index n_test = std::max<Index>(1, Index(std::lround(double(n) * opt.test_fraction)));
  const Index n_valid = std::max<Index>(1, Index(std::lround(double(n) * opt.valid_fraction)));
  XSSM_ASSERT(n_test + n_valid < n, "split of ", n, " sequences");
  std::vector<std::int8_t> role(size_t(n), 0);
  for (Index i = 0; i < n_test; ++i) role[size_t(order[size_t(i)])] = 2;
  for (Index i = n_test; i < n_test + n_valid; ++i) role[size_t(order[size_t(i)])] = 1;
  return role;
}

double squared_correlation(const Eigen::Ref<const Vec>& a, const Eigen::Ref<const Vec>& b) {
  const Index n = a.size();
  if (n < 2) return 0;
  const Vec ac = a.array() - a.mean();
  const Vec bc = b.array() - b.mean();
  const double saa = ac.squaredNorm(), sbb = bc.squaredNorm();
  if (!(saa > 0) || !(sbb > 0)) return 0;
  const double sab = ac.dot(bc);
  return sab * sab / (saa * sbb);
}

namespace {

// The rows of each role, standardised with the training statistics.
struct Parts {
  Mat train, valid, test;
  std::vector<Index> train_rows, valid_rows, test_rows;
};

template <class T>
Parts make_parts(const Eigen::Ref<const MatR<T>>& X, const std::vector<Index>& seq_of_row, const std::vector<char>& use,
                 const RidgeOptions& opt) {
  const Index n = X.rows();
  if (Index(seq_of_row.size()) != n)
    throw Error(cat("ridge probe: ", seq_of_row.size(), " sequence ids for ", n, " rows"));
  Index num_seq = 0;
  for (Index s : seq_of_row) num_seq = std::max(num_seq, s + 1);
  const auto role = split_sequences(num_seq, opt);
  Parts p;
  for (Index r = 0; r < n; ++r) {
    if (!use[size_t(r)]) continue;
    const int k = role[size_t(seq_of_row[size_t(r)])];
    (k == 0 ? p.train_rows : k == 1 ? p.valid_rows : p.test_rows).push_back(r);
  }
  if (p.train_rows.empty() || p.valid_rows.empty() || p.test_rows.empty())
    throw Error(cat("ridge probe: empty split (train ", p.train_rows.size(), ", valid ", p.valid_rows.size(),
                    ", test ", p.test_rows.size(), " rows): more sequences are needed"));
  // Statistics on the training rows only (the test rows stay unseen).
  const Index F = X.cols();
  Vec mean = Vec::Zero(F), sq = Vec::Zero(F);
  for (Index r : p.train_rows) {
    const Vec x = X.row(r).template cast<double>().transpose();
    mean += x;
  }
  mean /= double(p.train_rows.size());
  for (Index r : p.train_rows) {
    const Vec x = X.row(r).template cast<double>().transpose() - mean;
    sq += x.cwiseProduct(x);
  }
  std::vector<Index> keep;
  Vec scale(F);
  for (Index j = 0; j < F; ++j) {
    const double sd = std::sqrt(sq[j] / double(p.train_rows.size()));
    // A feature constant on the training rows carries nothing a read-out could use.
    if (sd > 1e-12 * std::max(1.0, std::abs(mean[j]))) keep.push_back(j);
    scale[j] = opt.standardize && sd > 0 ? 1.0 / sd : 1.0;
  }
  auto fill = [&](const std::vector<Index>& rows, Mat& out) {
    out.resize(Index(rows.size()), Index(keep.size()));
    for (Index i = 0; i < Index(rows.size()); ++i)
      for (Index j = 0; j < Index(keep.size()); ++j) {
        const Index c = keep[size_t(j)];
        out(i, j) = (double(X(rows[size_t(i)], c)) - mean[c]) * scale[c];
      }
  };
  fill(p.train_rows, p.train);
  fill(p.valid_rows, p.valid);
  fill(p.test_rows, p.test);
  return p;
}

// One eigendecomposition serves every λ: predictions = A · diag(1/(s+λ')) · B.
struct Spectral {
  Vec s;
  Mat A_valid, A_test, B;
  Mat predict(const Mat& A, double lam) const {
    const Vec d = (s.array() + lam).inverse();
    return A * d.asDiagonal() * B;
  }
};

Spectral factor(const Parts& p, const Mat& Ytr_centred) {
  Spectral sp;
  const Index n = p.train.rows(), F = p.train.cols();
  if (F == 0) {
    sp.s = Vec::Zero(0);
    sp.A_valid = Mat::Zero(p.valid.rows(), 0);
    sp.A_test = Mat::Zero(p.test.rows(), 0);
    sp.B = Mat::Zero(0, Ytr_centred.cols());
    return sp;
  }
  if (F <= n) {
    // Primal: XᵀX = V diag(s) Vᵀ, W = V diag(1/(s+λ')) Vᵀ XᵀY.
    Mat G = Mat::Zero(F, F);
    G.selfadjointView<Eigen::Lower>().rankUpdate(p.train.transpose());
    G.triangularView<Eigen::StrictlyUpper>() = G.transpose();
    Eigen::SelfAdjointEigenSolver<Mat> es(G);
    const Mat V = es.eigenvectors();
    sp.s = es.eigenvalues().cwiseMax(0.0);
    sp.A_valid = p.valid * V;
    sp.A_test = p.test * V;
    sp.B = V.transpose() * (p.train.transpose() * Ytr_centred);
  } else {
    // Dual: XXᵀ = U diag(s) Uᵀ, W = Xᵀ U diag(1/(s+λ')) UᵀY.
    Mat K = Mat::Zero(n, n);
    K.selfadjointView<Eigen::Lower>().rankUpdate(p.train);
    K.triangularView<Eigen::StrictlyUpper>() = K.transpose();
    Eigen::SelfAdjointEigenSolver<Mat> es(K);
    const Mat U = es.eigenvectors();
    sp.s = es.eigenvalues().cwiseMax(0.0);
    const Mat XtU = p.train.transpose() * U;  // (F, n)
    sp.A_valid = p.valid * XtU;
    sp.A_test = p.test * XtU;
    sp.B = U.transpose() * Ytr_centred;
  }
  return sp;
}

// λ grid in descending order, so that ties (strict '>' below) keep the larger, safer λ.
std::vector<double> grid(const RidgeOptions& opt) {
  if (opt.lambdas.empty()) throw UsageError("ridge probe: empty λ grid");
  std::vector<double> g = opt.lambdas;
  for (double l : g)
    if (!(l >= 0)) throw UsageError(cat("ridge probe: λ must be ≥ 0, got ", l));
  std::sort(g.begin(), g.end(), std::greater<double>());
  return g;
}

Mat gather(const Mat& Y, const std::vector<Index>& rows) {
  Mat out(Index(rows.size()), Y.cols());
  for (Index i = 0; i < Index(rows.size()); ++i) out.row(i) = Y.row(rows[size_t(i)]);
  return out;
}

int argmax_row(const Mat& P, Index i) {
  Index best = 0;
  P.row(i).maxCoeff(&best);
  return int(best);
}

}  // namespace

template <class T>
RidgeResult ridge_regress_ref(const Eigen::Ref<const MatR<T>>& X, const Mat& Y, const std::vector<Index>& seq_of_row,
                          const RidgeOptions& opt) {
  if (Y.rows() != X.rows()) throw Error(cat("ridge probe: ", Y.rows(), " target rows for ", X.rows(), " feature rows"));
  const std::vector<char> use(size_t(X.rows()), 1);
  const Parts p = make_parts(X, seq_of_row, use, opt);
  const Mat Ytr = gather(Y, p.train_rows), Yva = gather(Y, p.valid_rows), Yte = gather(Y, p.test_rows);
  const Vec ymean = Ytr.colwise().mean().transpose();
  const Mat Ytr_c = Ytr.rowwise() - ymean.transpose();
  const Spectral sp = factor(p, Ytr_c);
  const double n = double(p.train.rows());
  const Index K = Y.cols();

  RidgeResult res;
  res.num_features_used = p.train.cols();
  res.lambda.assign(size_t(K), 0.0);
  // Validation r² for every (λ, column): independent items, reduced below in grid order.
  const std::vector<double> lams = grid(opt);
  std::vector<std::vector<double>> r2v(lams.size());
  parallel_for(Index(lams.size()), [&](Index i) {
    const Mat P = sp.predict(sp.A_valid, lams[size_t(i)] * n);
    r2v[size_t(i)].resize(size_t(K));
    for (Index k = 0; k < K; ++k) r2v[size_t(i)][size_t(k)] = squared_correlation(P.col(k), Yva.col(k));
  });
  std::vector<double> best(size_t(K), -1.0);
  for (size_t i = 0; i < lams.size(); ++i)
    for (Index k = 0; k < K; ++k)
      if (r2v[i][size_t(k)] > best[size_t(k)]) best[size_t(k)] = r2v[i][size_t(k)], res.lambda[size_t(k)] = lams[i];
  res.test_rows = p.test_rows;
  res.test_target = Yte;
  res.test_pred.resize(Yte.rows(), K);
  res.test_r2.assign(size_t(K), 0.0);
  for (double lam : grid(opt)) {
    bool any = false;
    for (Index k = 0; k < K; ++k) any |= res.lambda[size_t(k)] == lam;
    if (!any) continue;
    const Mat P = sp.predict(sp.A_test, lam * n);
    for (Index k = 0; k < K; ++k)
      if (res.lambda[size_t(k)] == lam) res.test_pred.col(k) = P.col(k).array() + ymean[k];
  }
  for (Index k = 0; k < K; ++k) res.test_r2[size_t(k)] = squared_correlation(res.test_pred.col(k), Yte.col(k));
  return res;
}

template <class T>
RidgeResult ridge_classify_ref(const Eigen::Ref<const MatR<T>>& X, const std::vector<int>& labels, int num_classes,
                           const std::vector<Index>& seq_of_row, const RidgeOptions& opt) {
  if (Index(labels.size()) != X.rows())
    throw Error(cat("ridge probe: ", labels.size(), " labels for ", X.rows(), " feature rows"));
  if (num_classes < 1) throw Error("ridge probe: no classes");
  std::vector<char> use(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= num_classes) throw Error(cat("ridge probe: label ", labels[i], " ≥ number of classes ", num_classes));
    use[i] = labels[i] >= 0;
  }
  const Parts p = make_parts(X, seq_of_row, use, opt);
  auto onehot = [&](const std::vector<Index>& rows) {
    Mat Y = Mat::Zero(Index(rows.size()), num_classes);
    for (Index i = 0; i < Index(rows.size()); ++i) Y(i, labels[size_t(rows[size_t(i)])]) = 1.0;
    return Y;
  };
  const Mat Ytr = onehot(p.train_rows);
  const Vec ymean = Ytr.colwise().mean().transpose();
  const Mat Ytr_c = Ytr.rowwise() - ymean.transpose();
  const Spectral sp = factor(p, Ytr_c);
  const double n = double(p.train.rows());

  auto accuracy = [&](const Mat& P, const std::vector<Index>& rows) {
    Index right = 0;
    for (Index i = 0; i < P.rows(); ++i) right += argmax_row(P, i) == labels[size_t(rows[size_t(i)])];
    return double(right) / double(std::max<Index>(1, P.rows()));
  };
  RidgeResult res;
  res.num_features_used = p.train.cols();
  double best = -1, best_lam = 0;
  for (double lam : grid(opt)) {
    const Mat P = sp.predict(sp.A_valid, lam * n).rowwise() + ymean.transpose();
    const double acc = accuracy(P, p.valid_rows);
    if (acc > best) best = acc, best_lam = lam;
  }
  res.lambda = {best_lam};
  res.test_rows = p.test_rows;
  res.test_pred = sp.predict(sp.A_test, best_lam * n).rowwise() + ymean.transpose();
  res.test_target = onehot(p.test_rows);
  res.test_accuracy = accuracy(res.test_pred, p.test_rows);
  for (Index i = 0; i < res.test_pred.rows(); ++i) {
    res.test_class.push_back(argmax_row(res.test_pred, i));
    res.test_label.push_back(labels[size_t(p.test_rows[size_t(i)])]);
  }
  return res;
}

#define XSSM_PROBE_RIDGE_INSTANTIATE(T)                                                                \
  template RidgeResult ridge_regress_ref<T>(const Eigen::Ref<const MatR<T>>&, const Mat&, const std::vector<Index>&,         \
                                        const RidgeOptions&);                                          \
  template RidgeResult ridge_classify_ref<T>(const Eigen::Ref<const MatR<T>>&, const std::vector<int>&, int,                 \
                                         const std::vector<Index>&, const RidgeOptions&);
XSSM_PROBE_RIDGE_INSTANTIATE(float)
XSSM_PROBE_RIDGE_INSTANTIATE(double)
#undef XSSM_PROBE_RIDGE_INSTANTIATE

}  // namespace xssm::probe
