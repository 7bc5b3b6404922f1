// keep_freed_memory() must change glibc's policy: a 16 MiB block comes from the heap (not mmap)
// and freeing it does not give the heap back to the OS (a no-op policy would fail both checks).
#include <catch2/catch.hpp>
#include <cstdlib>

#include "xssm/core/allocator.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

TEST_CASE("keep_freed_memory: large blocks stay in the heap") {
#if defined(__GLIBC__)
  xssm::keep_freed_memory();
  const auto mmapped_before = mallinfo2().hblks;
  auto* p = static_cast<volatile char*>(std::malloc(16 << 20));
  REQUIRE(p != nullptr);
  p[0] = 1;                 // volatile: the compiler may not drop the malloc/free pair
  p[(16 << 20) - 1] = 1;
  const auto during = mallinfo2();
  CHECK(during.hblks == mmapped_before);  // served from the heap, not by mmap
  std::free(const_cast<char*>(p));
  CHECK(mallinfo2().arena == during.arena);  // the freed top of the heap was not trimmed
#else
  SUCCEED("not glibc: keep_freed_memory() is a no-op");
#endif
}
