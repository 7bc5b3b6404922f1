// The Mamba-style convolution step state (B,F,W) = the last W inputs, oldest first, advanced
// over a whole chunk of inputs at once (what W single steps would leave behind).
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::seq {

/// window (B,F,W), x (B,L,F) → the window after feeding x[:,0…L−1] one step at a time.
template <class T>
Tensor<T> conv_window_advance(const Tensor<T>& window, const Tensor<T>& x) {
  const Index B = window.dim(0), F = window.dim(1), W = window.dim(2), L = x.dim(1);
  Tensor<T> out(window.shape());
  for (Index b = 0; b < B; ++b)
    for (Index f = 0; f < F; ++f)
      for (Index k = 0; k < W; ++k) {
        const Index j = L + k;  // column of concat(window, xᵀ) that lands in slot k
        out.at(b, f, k) = j < W ? window.at(b, f, j) : x.at(b, j - W, f);
      }
  return out;
}

}  // namespace xssm::seq
