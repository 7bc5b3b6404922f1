#include "tool_bench_peak.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <vector>

#include "xssm/core/parallel.hpp"

namespace xssm::bench {

namespace {
double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Peaks measure_peaks(int repeats, Index triad_floats) {
  Peaks p;
  p.threads = num_threads();
  const Index nt = p.threads;
  using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  for (Index n : {Index(512), Index(768), Index(1024)}) {
    std::vector<Mat> a(static_cast<size_t>(nt)), b(static_cast<size_t>(nt)), c(static_cast<size_t>(nt));
    for (Index t = 0; t < nt; ++t) {
      a[size_t(t)] = Mat::Random(n, n);
      b[size_t(t)] = Mat::Random(n, n);
      c[size_t(t)] = Mat::Zero(n, n);
    }
    auto gemm = [&](Index t) { c[size_t(t)].noalias() = a[size_t(t)] * b[size_t(t)]; };
    parallel_for(nt, gemm);  // warm-up
    for (int r = 0; r < repeats; ++r) {
      const double t0 = now();
      parallel_for(nt, gemm);
      const double g = double(nt) * 2.0 * double(n) * double(n) * double(n) / (now() - t0) / 1e9;
      if (g > p.gemm_gflops) {
        p.gemm_gflops = g;
        p.gemm_n = n;
      }
    }
  }
  // STREAM triad, the arrays touched first by the threads that use them (first-touch placement).
  const Index N = triad_floats, chunks = nt * 4, per = (N + chunks - 1) / chunks;
  std::vector<float> A(static_cast<size_t>(N)), Bv(static_cast<size_t>(N)), C(static_cast<size_t>(N));
  auto range = [&](Index i, auto&& f) {
    const Index lo = i * per, hi = std::min(N, lo + per);
    for (Index j = lo; j < hi; ++j) f(j);
  };
  parallel_for(chunks, [&](Index i) { range(i, [&](Index j) { A[size_t(j)] = 0; Bv[size_t(j)] = 1; C[size_t(j)] = 2; }); });
  const float s = 3.0f;
  auto triad = [&](Index i) {
    const Index lo = i * per, hi = std::min(N, lo + per);
    float* a = A.data();
    const float* b = Bv.data();
    const float* c = C.data();
    for (Index j = lo; j < hi; ++j) a[j] = b[j] + s * c[j];
  };
  parallel_for(chunks, triad);
  for (int r = 0; r < std::max(repeats, 3); ++r) {
    const double t0 = now();
    parallel_for(chunks, triad);
    p.triad_gbs = std::max(p.triad_gbs, 3.0 * 4.0 * double(N) / (now() - t0) / 1e9);
  }
  return p;
}

}  // namespace xssm::bench
