// Helpers for modules that act on the last axis of a tensor of any rank ("(…, D)"): the leading
// axes are flattened into rows.
#pragma once
#include <string>

#include "xssm/core/error.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::nn {

/// Throws xssm::Error "<what>: input has shape (..), expected (…, n)" unless the last axis is n.
template <class T>
void expect_last(const Tensor<T>& x, Index n, const std::string& what) {
  if (x.rank() < 1 || x.shape().back() != n)
    throw Error(cat(what, ": input has shape ", shape_str(x.shape()), ", expected (…,", n, ")"));
}

/// Number of rows when the last axis (of extent n) is the feature axis.
template <class T>
Index rows_of(const Tensor<T>& x, Index n) {
  return n == 0 ? 0 : x.size() / n;
}

/// x's shape with the last extent replaced by n.
inline Shape with_last(Shape s, Index n) {
  s.back() = n;
  return s;
}

}  // namespace xssm::nn
