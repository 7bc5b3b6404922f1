// Splitting and joining tensors along the last axis (projections that produce several
// quantities side by side, e.g. Mamba's in_proj = [x̃ | z]).
#pragma once
#include <vector>

#include "xssm/core/error.hpp"
#include "xssm/core/tensor.hpp"

namespace xssm::seq {

/// x (…, Σ sizes) → one tensor (…, sizes[i]) per part, in order.
template <class T>
std::vector<Tensor<T>> split_last(const Tensor<T>& x, const std::vector<Index>& sizes) {
  Index total = 0;
  for (Index s : sizes) total += s;
  XSSM_ASSERT(x.rank() >= 1 && x.shape().back() == total, "split_last: ", shape_str(x.shape()), " vs total ", total);
  const Index rows = total == 0 ? 0 : x.size() / total;
  std::vector<Tensor<T>> out;
  Index off = 0;
  for (Index s : sizes) {
    Shape sh = x.shape();
    sh.back() = s;
    Tensor<T> p(sh);
    for (Index r = 0; r < rows; ++r)
      std::copy(x.data() + r * total + off, x.data() + r * total + off + s, p.data() + r * s);
    out.push_back(std::move(p));
    off += s;
  }
  return out;
}

/// The inverse: parts (…, n_i) with equal leading shapes → (…, Σ n_i).
template <class T>
Tensor<T> concat_last(const std::vector<const Tensor<T>*>& parts) {
  XSSM_ASSERT(!parts.empty(), "concat_last: no parts");
  Index total = 0;
  for (auto* p : parts) total += p->shape().back();
  Shape sh = parts[0]->shape();
  sh.back() = total;
  Tensor<T> out(sh);
  const Index rows = total == 0 ? 0 : out.size() / total;
  Index off = 0;
  for (auto* p : parts) {
    const Index s = p->shape().back();
    XSSM_ASSERT(p->size() == rows * s, "concat_last: leading shapes differ");
    for (Index r = 0; r < rows; ++r) std::copy(p->data() + r * s, p->data() + (r + 1) * s, out.data() + r * total + off);
    off += s;
  }
  return out;
}

}  // namespace xssm::seq
