// Comparing tensors in tests: relative error of a dataset = max|a − b| / max|b| (DESIGN.md §5),
// NaN/Inf positions must match (never skipped).
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "xssm/core/tensor.hpp"

namespace xssm::test {

/// max|a − b| / max|b| (max|a − b| when b is all zeros); infinite when shapes or non-finite
/// positions differ. Equal infinities count as equal.
template <class A, class B>
double rel_err(const Tensor<A>& a, const Tensor<B>& b) {
  if (a.size() != b.size()) return INFINITY;
  double num = 0, den = 0;
  for (Index i = 0; i < a.size(); ++i) {
    const double x = double(a[i]), y = double(b[i]);
    if (!std::isfinite(x) || !std::isfinite(y)) {
      if (std::isnan(x) != std::isnan(y)) return INFINITY;
      if (std::isinf(x) != std::isinf(y) || (std::isinf(x) && x != y)) return INFINITY;
      continue;
    }
    num = std::max(num, std::fabs(x - y));
    den = std::max(den, std::fabs(y));
  }
  return den > 0 ? num / den : num;
}

}  // namespace xssm::test

/// CHECK that two tensors agree within a relative tolerance, printing the error and shapes.
#define XSSM_CHECK_CLOSE(a, b, tol)                                                              \
  do {                                                                                           \
    const auto& xssm_a_ = (a);                                                                   \
    const auto& xssm_b_ = (b);                                                                   \
    const double xssm_err_ = ::xssm::test::rel_err(xssm_a_, xssm_b_);                            \
    INFO(#a << " vs " << #b << ": rel err " << xssm_err_ << " (tol " << (tol) << "), shapes "   \
            << ::xssm::shape_str(xssm_a_.shape()) << " " << ::xssm::shape_str(xssm_b_.shape())); \
    CHECK(xssm_a_.shape() == xssm_b_.shape());                                                   \
    CHECK(xssm_err_ <= (tol));                                                                   \
  } while (0)
