// Helpers shared by the SSM tests (time slicing of channels-last tensors).
#pragma once
#include <algorithm>

#include "xssm/core/tensor.hpp"

namespace xssm::test {

/// x[:, t0:t1, ...] of a (B, L, ...) tensor.
template <class T>
Tensor<T> slice_time(const Tensor<T>& x, Index t0, Index t1) {
  Shape s = x.shape();
  const Index inner = x.size() / (s[0] * s[1]);
  s[1] = t1 - t0;
  Tensor<T> out(s);
  for (Index b = 0; b < s[0]; ++b)
    std::copy(x.data() + (b * x.dim(1) + t0) * inner, x.data() + (b * x.dim(1) + t1) * inner,
              out.data() + b * (t1 - t0) * inner);
  return out;
}
/// x[:, t, ...] of a (B, L, ...) tensor, as (B, ...).
template <class T>
Tensor<T> at_time(const Tensor<T>& x, Index t) {
  Tensor<T> s = slice_time(x, t, t + 1);
  Shape sh = x.shape();
  sh.erase(sh.begin() + 1);
  return std::move(s).reshaped(sh);
}
/// Writes y_t (B, ...) into y[:, t, ...].
template <class T>
void set_time(Tensor<T>& y, Index t, const Tensor<T>& yt) {
  const Index inner = yt.size() / y.dim(0);
  for (Index b = 0; b < y.dim(0); ++b)
    std::copy(yt.data() + b * inner, yt.data() + (b + 1) * inner, y.data() + (b * y.dim(1) + t) * inner);
}
/// Concatenation along time of two (B, L, ...) tensors.
template <class T>
Tensor<T> cat_time(const Tensor<T>& a, const Tensor<T>& b) {
  Shape s = a.shape();
  s[1] = a.dim(1) + b.dim(1);
  Tensor<T> out(s);
  for (Index t = 0; t < a.dim(1); ++t) set_time(out, t, at_time(a, t));
  for (Index t = 0; t < b.dim(1); ++t) set_time(out, a.dim(1) + t, at_time(b, t));
  return out;
}

}  // namespace xssm::test
