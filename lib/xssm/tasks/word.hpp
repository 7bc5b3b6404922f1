// Group word problems ("The Illusion of State in State-Space Models", arXiv 2404.08819):
// tokens are group elements x_0 … x_{S-1} drawn uniformly (token id = element index, see
// groups.hpp), and targets[t] is the running product
//     P_t = x_t ∘ x_{t-1} ∘ … ∘ x_0      (apply x_0 first; P_0 = x_0, P_t = x_t ∘ P_{t-1})
// scored at every position. (jopetty/word-problem composes the other way, P_t = P_{t-1} ∘ x_t;
// the file says which rule it used in the `composition` attribute.)
// /meta/elements (|G|, points) holds the permutation images so anyone can recompute the labels;
// /labels/state = P_t (for Z2 this is the running parity).
#pragma once
#include <cstdint>
#include <string>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct WordOptions {
  Index n = 1000;
  Index seq_len = 16;
  std::string group = "A5";   // S5, A5, A4_x_Z5, Z60, Z2 (parity), …
  std::uint64_t seed = 0;
};

io::Dataset make_word(const WordOptions& o);

/// The composition rule stored in the `composition` attribute.
extern const char* const kWordComposition;

}  // namespace xssm::tasks
