// Copy task of "Repeat After Me" (Jelassi et al. 2024; sjelassi/transformers_ssm_copy):
// one example per row, `$ w | w .` then PAD, with |w| uniform in [min_len, max_len] and w's
// letters uniform over an alphabet of A symbols. Tokens: letters 0..A-1, BOS '$' = A,
// SEP '|' = A+1, EOS '.' = A+2, PAD '*' = A+3 (vocab A+4; A = 26 gives the paper's 30 tokens).
// Next-token targets on the copied part and the EOS: targets[t] = inputs[t+1] for
// t = |w|+1 … 2|w|+1, -1 elsewhere. /meta/lengths (N,) = |w|.
#pragma once
#include <cstdint>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct CopyOptions {
  Index n = 1000;
  Index min_len = 5;
  Index max_len = 20;
  Index alphabet = 26;
  Index seq_len = 0;  // 0 = 2·max_len + 3
  std::uint64_t seed = 0;
};

io::Dataset make_copy(const CopyOptions& o);

}  // namespace xssm::tasks
