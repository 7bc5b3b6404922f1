// Causal long convolution of channels-last signals with one full-length kernel per channel
// (the S4/S4D convolution; docs/maths/s4d.md):
//   y[b,t,h] = Σ_{s ≤ t} K[h,t−s]·u[b,s,h]          u, y (B,L,H);  K (H,L)
// Two evaluations, same result up to rounding:
//  - Direct: O(L²) per channel on channel-major contiguous rows (fast for short L);
//  - Fft: zero-padded real FFTs of a fast length N ≥ 2L−1 (N = 4·2^a·3^b·5^c), O(L log L):
//      y = irfft(rfft(u)·rfft(K))[:L].
// Auto picks Direct below a measured length threshold (long_conv_fft_threshold). Work is split
// over channels h (each work item: its B signals), so results do not depend on the thread count.
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::seq {

enum class ConvPath { Auto, Direct, Fft };

/// Auto uses the FFT path for L ≥ this (measured on x86-64, float and double; see long_conv.cpp).
Index long_conv_fft_threshold();
/// The path `want` resolves to for length L (Direct or Fft).
ConvPath long_conv_resolve(Index L, ConvPath want);
/// Smallest N ≥ n of the form 4·2^a·3^b·5^c (fast for Eigen's real FFT, which needs N % 4 == 0).
Index long_conv_fft_size(Index n);

/// y (B,L,H) = causal convolution of u (B,L,H) with K (H,L), see above.
template <class T>
Tensor<T> long_conv_fwd(const Tensor<T>& u, const Tensor<T>& K, ConvPath path = ConvPath::Auto);

/// Gradients of long_conv_fwd for the cotangent dy (B,L,H), ACCUMULATED (+=) into du (B,L,H)
/// and dK (H,L), which must already have those shapes:
///   du[b,s,h] += Σ_{t ≥ s} dy[b,t,h]·K[h,t−s]        (correlation of dy with K)
///   dK[h,j]   += Σ_b Σ_{t ≥ j} dy[b,t,h]·u[b,t−j,h]   (correlation of dy with u)
template <class T>
void long_conv_bwd(const Tensor<T>& u, const Tensor<T>& K, const Tensor<T>& dy, Tensor<T>& du,
                   Tensor<T>& dK, ConvPath path = ConvPath::Auto);

}  // namespace xssm::seq
