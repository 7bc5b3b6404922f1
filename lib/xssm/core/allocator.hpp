// Heap policy of the tools. A training step allocates the same large activation tensors every
// step; by default glibc serves big blocks with mmap and returns freed memory to the OS (mmap
// threshold, heap trimming), so every step pays page faults and kernel page clearing again
// (~6 % of an mLSTM training step at 64×64×64 in a perf profile). Keeping freed blocks in the
// heap removes that; memory is reused, not returned to the OS until exit.
#pragma once

namespace xssm {

/// Keep freed large blocks in the process heap (glibc: mmap threshold 32 MiB, the most it accepts;
/// no trimming of the free heap top below ~2 GiB). No-op on other C libraries. Call once, first
/// thing in main().
void keep_freed_memory();

}  // namespace xssm
