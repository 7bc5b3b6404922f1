// Sorting by frequency, the ∞-former task (Martins et al. 2022; deep-spin/infinite-former
// sorting/generate_data.py): a long sequence over A symbols whose distribution drifts from
// p_initial to p_final (token j ~ (1-r_j)·p_initial + r_j·p_final, r_j = (j+1)/L; each p = A
// integers uniform in [1,9], normalised), then SEP and the A symbols sorted by decreasing count
// (ties: first appearance first; symbols never seen last, in increasing order).
// Tokens: symbols 0..A-1, SEP = A, PAD = A+1 (vocab A+2). Row = x_0..x_{L-1} SEP s_0..s_{A-2}
// (the line minus its last token, S = L + A); targets[L+k] = s_k (k = 0..A-1), -1 elsewhere
// (teacher forcing).
#pragma once
#include <cstdint>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct FreqsortOptions {
  Index n = 1000;
  Index len = 1024;   // L (the paper: 4000, 8000, 16000)
  Index symbols = 20;
  std::uint64_t seed = 0;
};

io::Dataset make_freqsort(const FreqsortOptions& o);

}  // namespace xssm::tasks
