#include <catch2/catch.hpp>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include "xssm/core/parallel.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/probe/capacity.hpp"

using namespace xssm;
using namespace xssm::probe;
using Mat = MatR<double>;

namespace {
// A linear state x_t = A x_{t−1} + b u_t driven by i.i.d. uniform input in [−1, 1].
struct Run {
  Tensor<double> states, u;
};
Run run_linear(const Mat& A, const VecX<double>& b, Index num_seq, Index len, std::uint64_t seed) {
  const Index N = b.size();
  Run r{Tensor<double>(Shape{num_seq, len, N}), Tensor<double>(Shape{num_seq, len, 1})};
  Rng rng(seed);
  for (Index n = 0; n < num_seq; ++n) {
    VecX<double> x = VecX<double>::Zero(N);
    for (Index t = 0; t < len; ++t) {
      const double u = rng.uniform(-1, 1);
      x = A * x + b * u;
      r.u.at(n, t, 0) = u;
      for (Index i = 0; i < N; ++i) r.states.at(n, t, i) = x[i];
    }
  }
  return r;
}
Mat random_orthogonal(Index N, Rng& rng) {
  Mat M(N, N);
  for (Index i = 0; i < M.size(); ++i) M.data()[i] = rng.normal();
  Eigen::HouseholderQR<Mat> qr(M);
  return Mat(qr.householderQ());
}
VecX<double> randn(Index N, Rng& rng) {
  VecX<double> v(N);
  for (Index i = 0; i < N; ++i) v[i] = rng.normal();
  return v;
}
}  // namespace

TEST_CASE("capacity: an orthogonal linear recurrence of dimension N has MC close to N, never above") {
  const Index N = 6;
  Rng rng(21);
  // A norm-preserving rotation, scaled just below 1 so the state is stationary.
  const Mat A = 0.9 * random_orthogonal(N, rng);
  const VecX<double> b = randn(N, rng);
  const Run r = run_linear(A, b, 150, 250, 22);
  CapacityOptions opt;
  opt.max_delay = 50;
  opt.washout = 50;
  const auto res = memory_capacity(r.states, r.u, opt);
  INFO("MC = " << res.mc);
  CHECK(res.mc > N - 0.5);
  CHECK(res.mc <= N + 0.15);  // finite-sample excess over 51 delays stays small
}

TEST_CASE("capacity: MC ≤ N for a random linear system and a tanh network") {
  const Index N = 8;
  Rng rng(31);
  Mat A(N, N);
  for (Index i = 0; i < A.size(); ++i) A.data()[i] = rng.normal() / std::sqrt(double(N));
  A *= 0.8 / A.eigenvalues().cwiseAbs().maxCoeff();
  const VecX<double> b = randn(N, rng);
  CapacityOptions opt;
  opt.max_delay = 40;
  opt.washout = 50;
  const Run lin = run_linear(A, b, 40, 250, 32);
  const auto a = memory_capacity(lin.states, lin.u, opt);
  INFO("linear MC = " << a.mc);
  CHECK(a.mc <= N + 0.15);
  CHECK(a.mc > 1.0);
  // Echo-state network x_t = tanh(A x_{t−1} + b u_t).
  Run esn = lin;
  Rng in(33);
  for (Index n = 0; n < 40; ++n) {
    VecX<double> x = VecX<double>::Zero(N);
    for (Index t = 0; t < 250; ++t) {
      const double u = in.uniform(-1, 1);
      x = (A * x + b * u).array().tanh();
      esn.u.at(n, t, 0) = u;
      for (Index i = 0; i < N; ++i) esn.states.at(n, t, i) = x[i];
    }
  }
  const auto e = memory_capacity(esn.states, esn.u, opt);
  INFO("tanh MC = " << e.mc);
  CHECK(e.mc <= N + 0.15);
}

TEST_CASE("capacity: a state reset every step remembers only the current input") {
  const Index N = 4;
  Rng rng(41);
  const Run r = run_linear(Mat::Zero(N, N), randn(N, rng), 30, 100, 42);
  CapacityOptions opt;
  opt.max_delay = 10;
  const auto res = memory_capacity(r.states, r.u, opt);
  CHECK(res.r2[0] > 0.999);
  for (Index k = 1; k <= 10; ++k) CHECK(res.r2[size_t(k)] < 0.02);
  CHECK(std::abs(res.mc - 1.0) < 0.1);
}

TEST_CASE("capacity: results are identical for 1 and 2 threads, and deterministic") {
  Rng rng(51);
  const Mat A = 0.9 * random_orthogonal(5, rng);
  const Run r = run_linear(A, randn(5, rng), 20, 80, 52);
  CapacityOptions opt;
  opt.max_delay = 15;
  opt.washout = 10;
  set_threads(1);
  const auto a = memory_capacity(r.states, r.u, opt);
  set_threads(2);
  const auto b = memory_capacity(r.states, r.u, opt);
  CHECK(a.r2 == b.r2);
  CHECK(a.lambda == b.lambda);
  // A different split seed gives different (but similar) numbers: the seed is used.
  opt.ridge.seed = 99;
  const auto c = memory_capacity(r.states, r.u, opt);
  CHECK(c.r2 != a.r2);
}

TEST_CASE("capacity: token channels are the centred one-hot code in an orthonormal basis") {
  const Index V = 5;
  Tensor<std::int32_t> ids(Shape{1, V});
  for (Index v = 0; v < V; ++v) ids[v] = std::int32_t(v);
  const auto ch = token_channels(ids, V);
  REQUIRE(ch.shape() == Shape{1, V, V - 1});
  const Mat Q = ch.mat(V, V - 1);
  CHECK((Q.transpose() * Q - Mat::Identity(V - 1, V - 1)).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(Q.colwise().sum().cwiseAbs().maxCoeff() < 1e-12);
  ids[0] = std::int32_t(V);
  CHECK_THROWS_AS(token_channels(ids, V), Error);
}
