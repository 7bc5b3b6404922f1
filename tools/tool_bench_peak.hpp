// xssm-bench's machine ceilings, measured in the same run and with the same thread count as the
// timings they are compared with.
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::bench {

struct Peaks {
  double gemm_gflops = 0;    ///< best float32 GEMM rate over n ∈ {512, 768, 1024}
  Index gemm_n = 0;          ///< the n that reached it
  double triad_gbs = 0;      ///< best STREAM-triad bandwidth a[i] = b[i] + s·c[i]
  int threads = 1;
};

/// Float32 GEMM peak as libxssm can reach it: Eigen is single-threaded (EIGEN_DONT_PARALLELIZE)
/// and xssm parallelises over independent work items, so each of the `threads` threads multiplies
/// its own n×n matrices; rate = threads · 2n³ / wall time (best of `repeats`).
/// Bandwidth: STREAM triad over 3 arrays of `triad_floats` floats (> last-level cache), split
/// over the threads; bytes = 3 · 4 · N per pass (STREAM's count: no write-allocate traffic).
Peaks measure_peaks(int repeats = 3, Index triad_floats = Index(1) << 23);

}  // namespace xssm::bench
