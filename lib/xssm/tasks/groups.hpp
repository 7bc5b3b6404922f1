// Finite permutation groups for the word problems of "The Illusion of State" (Merrill, Petty,
// Sabharwal 2024), with the element order of jopetty/word-problem (abstract_algebra):
//   S<n>   all permutations of 0..n-1 in lexicographic order (index 0 = identity)
//   A<n>   the even permutations, in that same S<n> order
//   Z<n>   index k <-> the rotation i -> (i+k) mod n on n points
//   G_x_H  index i_G·|H| + i_H (G-major); the element acts on the disjoint union of G's points
//          (first) and H's points (shifted by G's point count)
// Composition: (a∘b)(i) = a(b(i)) (apply b first).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::tasks {

struct Group {
  std::string name;                 // canonical, e.g. "A4_x_Z5"
  Index order = 0;                  // |G|
  Index points = 0;                 // size of the set it permutes
  Tensor<std::int32_t> elements;    // (order, points): row e = the images e(0), …, e(points-1)
  Tensor<std::int32_t> table;       // (order, order): table(a, b) = index of a∘b
  /// Index of a∘b.
  std::int32_t compose(std::int32_t a, std::int32_t b) const { return table.data()[Index(a) * order + b]; }
};

/// Parse and build a group: "S5", "A5", "Z60", "Z2", products "A4_x_Z5" (also "A4xZ5", "A4×Z5").
/// Throws UsageError for an unknown name or an order above 2520.
Group make_group(const std::string& name);

}  // namespace xssm::tasks
