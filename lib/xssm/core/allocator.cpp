#include "xssm/core/allocator.hpp"

#include <cstdlib>  // first: on glibc it defines __GLIBC__ (<features.h>), tested below

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace xssm {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);    // blocks below 32 MiB (the largest value glibc accepts) from the heap
  mallopt(M_TRIM_THRESHOLD, 0x7fffffff);  // keep up to ~2 GiB of free heap top
#endif
}

}  // namespace xssm
