#include <catch2/catch.hpp>
#include <Eigen/Dense>
#include <set>

#include "xssm/core/parallel.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/probe/ridge.hpp"

using namespace xssm;
using namespace xssm::probe;
using Mat = MatR<double>;

namespace {
Mat randn(Index r, Index c, Rng& rng) {
  Mat m(r, c);
  for (Index i = 0; i < r; ++i)
    for (Index j = 0; j < c; ++j) m(i, j) = rng.normal();
  return m;
}
std::vector<Index> seqs(Index num_seq, Index len) {
  std::vector<Index> s;
  for (Index n = 0; n < num_seq; ++n)
    for (Index t = 0; t < len; ++t) s.push_back(n);
  return s;
}
}  // namespace

TEST_CASE("ridge: recovers a known linear map on held-out sequences") {
  Rng rng(1);
  const Index F = 5, K = 3;
  const Mat X = randn(30 * 20, F, rng), W = randn(F, K, rng);
  Mat Y = X * W;
  Y.array() += 2.0;  // an offset the read-out must reproduce
  const Mat clean = Y;
  Y += 0.01 * randn(Y.rows(), K, rng);
  const auto res = ridge_regress(X, Y, seqs(30, 20), RidgeOptions{});
  REQUIRE(res.test_rows.size() > 0);
  for (double r2 : res.test_r2) CHECK(r2 > 0.999);
  double worst = 0;
  for (Index i = 0; i < Index(res.test_rows.size()); ++i)
    for (Index k = 0; k < K; ++k)
      worst = std::max(worst, std::abs(res.test_pred(i, k) - clean(res.test_rows[size_t(i)], k)));
  CHECK(worst < 0.05);
}

TEST_CASE("ridge: primal and dual forms equal the explicit ridge solution") {
  for (Index F : {4, 60}) {  // F < n_train (primal) and F > n_train (dual)
    CAPTURE(F);
    Rng rng(7);
    const Index num_seq = 10, len = 4;
    const Mat X = randn(num_seq * len, F, rng), Y = randn(num_seq * len, 2, rng);
    RidgeOptions opt;
    opt.lambdas = {0.3};
    opt.standardize = false;
    const auto s = seqs(num_seq, len);
    const auto res = ridge_regress(X, Y, s, opt);
    // Explicit: centre with the training means, W = (XᵀX + λ n I)⁻¹ XᵀY.
    const auto role = split_sequences(num_seq, opt);
    std::vector<Index> tr;
    for (Index r = 0; r < X.rows(); ++r)
      if (role[size_t(s[size_t(r)])] == 0) tr.push_back(r);
    Mat Xt(Index(tr.size()), F), Yt(Index(tr.size()), 2);
    for (Index i = 0; i < Index(tr.size()); ++i) Xt.row(i) = X.row(tr[size_t(i)]), Yt.row(i) = Y.row(tr[size_t(i)]);
    const Eigen::RowVectorXd xm = Xt.colwise().mean(), ym = Yt.colwise().mean();
    const Mat Xc = Xt.rowwise() - xm, Yc = Yt.rowwise() - ym;
    const double n = double(tr.size());
    const Mat G = Xc.transpose() * Xc + 0.3 * n * Mat::Identity(F, F);
    const Mat W = G.ldlt().solve(Xc.transpose() * Yc);
    double err = 0;
    for (Index i = 0; i < Index(res.test_rows.size()); ++i) {
      const Eigen::RowVectorXd p = (X.row(res.test_rows[size_t(i)]) - xm) * W + ym;
      err = std::max(err, (p - res.test_pred.row(i)).cwiseAbs().maxCoeff());
    }
    CHECK(err < 1e-9);
  }
}

TEST_CASE("ridge: sequences, not positions, are split; λ is chosen on held-out sequences") {
  // Each sequence has one random target value and a feature that names the sequence: a read-out
  // fitted on positions of the same sequence would score r² = 1; on held-out sequences the
  // identity features are constant on the training rows and nothing can be predicted.
  const Index num_seq = 20, len = 8;
  Rng rng(3);
  Mat X = Mat::Zero(num_seq * len, num_seq), Y(num_seq * len, 1);
  for (Index n = 0; n < num_seq; ++n) {
    const double v = rng.normal();
    for (Index t = 0; t < len; ++t) X(n * len + t, n) = 1, Y(n * len + t, 0) = v;
  }
  const auto s = seqs(num_seq, len);
  const RidgeOptions opt;
  const auto res = ridge_regress(X, Y, s, opt);
  const auto role = split_sequences(num_seq, opt);
  std::set<Index> test_seqs;
  for (Index r : res.test_rows) {
    CHECK(role[size_t(s[size_t(r)])] == 2);
    test_seqs.insert(s[size_t(r)]);
  }
  for (Index q : test_seqs) CHECK(std::count(res.test_rows.begin(), res.test_rows.end(), q * len) == 1);
  CHECK(res.test_r2[0] < 1e-12);

  // Noisy targets with few training rows need a larger λ than clean ones.
  Rng rng2(5);
  const Index F = 30;
  const Mat X2 = randn(12 * 6, F, rng2), w = randn(F, 1, rng2);
  const Mat clean = X2 * w;
  const Mat noisy = clean + 8.0 * randn(X2.rows(), 1, rng2);
  const auto r_clean = ridge_regress(X2, clean, seqs(12, 6), opt);
  const auto r_noisy = ridge_regress(X2, noisy, seqs(12, 6), opt);
  CHECK(r_noisy.lambda[0] > r_clean.lambda[0]);
}

TEST_CASE("ridge: one-hot classification by argmax") {
  Rng rng(11);
  const Index F = 6, C = 3;
  const Mat X = randn(40 * 10, F, rng), W = randn(F, C, rng);
  std::vector<int> labels(static_cast<size_t>(X.rows()));
  for (Index r = 0; r < X.rows(); ++r) {
    Index c;
    (X.row(r) * W).maxCoeff(&c);
    labels[size_t(r)] = r % 17 == 0 ? -1 : int(c);  // some rows unscored
  }
  const auto res = ridge_classify(X, labels, int(C), seqs(40, 10), RidgeOptions{});
  CHECK(res.test_accuracy > 0.8);
  for (Index r : res.test_rows) CHECK(labels[size_t(r)] >= 0);
  // Chance is 1/3: an untrained (shuffled) labelling scores near it.
  std::vector<int> shuffled = labels;
  Rng(2).shuffle(shuffled);
  const auto chance = ridge_classify(X, shuffled, int(C), seqs(40, 10), RidgeOptions{});
  CHECK(chance.test_accuracy < 0.55);
}

TEST_CASE("ridge: results are identical for 1 and 2 threads") {
  Rng rng(13);
  const Mat X = randn(25 * 12, 9, rng);
  const Mat Y = X * randn(9, 4, rng) + randn(25 * 12, 4, rng);
  set_threads(1);
  const auto a = ridge_regress(X, Y, seqs(25, 12), RidgeOptions{});
  set_threads(2);
  const auto b = ridge_regress(X, Y, seqs(25, 12), RidgeOptions{});
  CHECK(a.test_r2 == b.test_r2);
  CHECK(a.lambda == b.lambda);
  CHECK(a.test_pred == b.test_pred);
}
