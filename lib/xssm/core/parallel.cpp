#include "xssm/core/parallel.hpp"

#include <omp.h>

namespace xssm {

void set_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
}
int num_threads() { return omp_get_max_threads(); }
bool in_parallel() { return omp_in_parallel() != 0; }

namespace detail {
void omp_for(Index n, void* ctx, void (*body)(void*, Index)) {
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) body(ctx, i);
}
}  // namespace detail

}  // namespace xssm
