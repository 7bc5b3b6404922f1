// OpenMP parallel-for over independent work items. Each item is computed the same way whatever
// the thread count, so results are bit-identical for 1 or N threads (Eigen runs single-threaded:
// EIGEN_DONT_PARALLELIZE). Reductions across items are done by the caller in a fixed order.
#pragma once
#include <exception>
#include <mutex>
#include <type_traits>

#include "xssm/core/tensor.hpp"

namespace xssm {

/// Threads used by parallel_for (default: OpenMP's default, i.e. all cores or OMP_NUM_THREADS).
void set_threads(int n);
int num_threads();
/// True inside a parallel region (nested parallel_for calls then run serially).
bool in_parallel();

namespace detail {
void omp_for(Index n, void* ctx, void (*body)(void*, Index));
}

/// f(i) for i in [0, n), in parallel; exceptions from items are rethrown (the first one).
template <class F>
void parallel_for(Index n, F&& f) {
  if (n <= 0) return;
  if (n == 1 || in_parallel() || num_threads() == 1) {
    for (Index i = 0; i < n; ++i) f(i);
    return;
  }
  struct Ctx {
    std::remove_reference_t<F>* f;
    std::exception_ptr err;
    std::mutex mu;
  } ctx{&f, nullptr, {}};
  detail::omp_for(n, &ctx, [](void* p, Index i) {
    auto* c = static_cast<Ctx*>(p);
    try {
      (*c->f)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(c->mu);
      if (!c->err) c->err = std::current_exception();
    }
  });
  if (ctx.err) std::rethrow_exception(ctx.err);
}

/// f(begin, end) over fixed-size blocks of [0, n): the blocking does not depend on the thread
/// count, so a per-block computation (e.g. a GEMM on a row block) rounds identically.
template <class F>
void parallel_blocks(Index n, Index block, F&& f) {
  if (n <= 0) return;
  const Index nb = (n + block - 1) / block;
  parallel_for(nb, [&](Index b) { f(b * block, std::min(n, (b + 1) * block)); });
}

}  // namespace xssm
