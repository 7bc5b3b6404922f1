// Shared row kernels of LayerNorm, MultiHeadLayerNorm, RmsNorm and GatedRmsNorm (internal).
// x holds R rows of C = NG·G channels; each row is cut into NG contiguous groups of G channels
// that are normalised on their own:
//   centred (layer/group norm):  x̂ = (x − μ)·r,  μ = mean(x),  r = 1/√(mean((x − μ)²) + eps)
//   uncentred (RMS norm):        x̂ = x·r,        r = 1/√(mean(x²) + eps)
//   y = x̂ ⊙ scale (+ bias), scale and bias per channel (length C).
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::nn::detail {

template <class T>
void norm_groups_fwd(const T* x, T* y, Index R, Index NG, Index G, const T* scale, const T* bias, T eps,
                     bool centred);

/// dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂)) with g = dy ⊙ scale (the mean(g) term only when centred);
/// dscale += Σ_rows dy ⊙ x̂ and dbias += Σ_rows dy (either may be null). dx is overwritten.
template <class T>
void norm_groups_bwd(const T* x, const T* dy, T* dx, Index R, Index NG, Index G, const T* scale, T* dscale,
                     T* dbias, T eps, bool centred);

}  // namespace xssm::nn::detail
