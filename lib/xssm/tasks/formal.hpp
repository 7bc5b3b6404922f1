// Formal-language tasks of the xLSTM paper (Beck et al. 2024, §4.1 / App. B.1.1), taken from the
// Chomsky-hierarchy suite (Delétang et al. 2023). Token 0 is PAD everywhere; vocabulary sizes
// are the paper's. Each example draws a content length L uniformly in [min_len, max_len]
// (so a test set can be longer than the training set) and puts content x_0..x_{L-1} at
// positions 0..L-1.
//
// Classification languages (one scored position, targets[L-1] = the answer, as xLSTM's
// generators after their shift: the model answers while reading the last content token):
//   parity            V=3   x ∈ {1,2}; answer (#2 mod 2) + 1
//   even_pairs        V=3   x ∈ {1,2}; answer |x_{L-1} - x_0| + 1  (= #ab+#ba mod 2, plus 1)
//   cycle_navigation  V=9   x ∈ {1,2,3} = steps {0,+1,-1} on a cycle of 5; answer (Σ mod 5) + 4
//   mod_arith         V=10  numbers 0..4 = tokens 5..9 at even positions, + - * = tokens 1 2 3
//                           at odd positions, then '=' (4); L even; * binds tighter; answer
//                           (value mod 5) + 5. Example: 5 2 9 1 5 2 7 4 -> "0-4+0-2=" -> 4 -> 9
//   mod_arith_brackets V=12 + - * ( ) = tokens 1..6, digits 0..4 = tokens 7..11; a random bracketed
//                           expression of exactly L-1 tokens (DeepMind's recursive generator)
//                           then '='; answer (value mod 5) + 7
//   majority          V=64  x ∈ 1..63; answer = the most frequent symbol (ties: smallest id)
//   majority_count    V=64  x ∈ 1..63; answer = min(count of the majority symbol, 63)
//   missing_duplicate V=11  MASK 1, symbols 2..10; L even; w w with one position masked;
//                           answer = the masked symbol
// Sequence-output languages (ACT = token 1, symbols from 2; teacher forcing: after the content
// come ACT and the output y_0..y_{m-1}; targets[L+j] = y_j, i.e. next-token targets on the output):
//   bucket_sort       V=11  symbols 2..10; y = content sorted ascending
//   reverse_string    V=12  symbols 2..11; y = content reversed
//   repeat_copy       V=12  symbols 2..11; y = content twice (w w)
//   set               V=128 symbols 2..127; y = distinct symbols in first-occurrence order
// Labels: /labels/running (parity, even_pairs, cycle_navigation, majority, majority_count): the
// answer token if the content ended at t, -1 outside the content. /meta/lengths (N,): L.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct FormalOptions {
  Index n = 1000;
  std::string lang = "parity";
  Index min_len = 3;    // content length range (xLSTM trains on 3..40, tests on 40..256)
  Index max_len = 40;
  Index seq_len = 0;    // S; 0 = the smallest that fits max_len (and the output)
  std::uint64_t seed = 0;
};

struct FormalLanguage {
  std::string name;
  std::int64_t vocab;
  Index min_len;        // smallest content length that makes sense
  std::string summary;
};
const std::vector<FormalLanguage>& formal_languages();

io::Dataset make_formal(const FormalOptions& o);

}  // namespace xssm::tasks
