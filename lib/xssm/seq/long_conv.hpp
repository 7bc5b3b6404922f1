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
#include <complex>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::seq {

enum class ConvPath { Auto, Direct, Fft };

/// Auto uses the FFT path for L ≥ this (measured on x86-64, float and double; see long_conv.cpp).
Index long_conv_fft_threshold();
/// The path `want` resolves to for length L (Direct or Fft).
ConvPath long_conv_resolve(Index L, ConvPath want);
/// Smallest N ≥ n of the form 4·2^a·3^b·5^c (fast for Eigen's real FFT, which needs N % 4 == 0).
Index long_conv_fft_size(Index n);

/// What the FFT path of long_conv_fwd can keep for long_conv_bwd: the half spectra rfft(u_b) of
/// every channel and signal ((H,B,N/2+1), channel-major), which saves B of the backward's 3B+2
/// transforms per channel. Empty (n = 0) after a direct forward.
template <class T>
struct LongConvSpectra {
  Index n = 0;          ///< FFT length N (0: nothing kept)
  Shape u_shape;        ///< shape of the u it was computed from (B,L,H)
  std::vector<std::complex<T>> u;
  void clear() { n = 0, u_shape.clear(), u.clear(); }
};

/// y (B,L,H) = causal convolution of u (B,L,H) with K (H,L), see above. With `keep`, the FFT
/// path stores rfft(u) there for long_conv_bwd (the direct path clears it).
template <class T>
Tensor<T> long_conv_fwd(const Tensor<T>& u, const Tensor<T>& K, ConvPath path = ConvPath::Auto,
                        LongConvSpectra<T>* keep = nullptr);

/// Gradients of long_conv_fwd for the cotangent dy (B,L,H), ACCUMULATED (+=) into du (B,L,H)
/// and dK (H,L), which must already have those shapes:
///   du[b,s,h] += Σ_{t ≥ s} dy[b,t,h]·K[h,t−s]        (correlation of dy with K)
///   dK[h,j]   += Σ_b Σ_{t ≥ j} dy[b,t,h]·u[b,t−j,h]   (correlation of dy with u)
/// `kept` (from long_conv_fwd on this same u) is used when it matches the FFT length and shape;
/// the caller guarantees u has not changed since.
template <class T>
void long_conv_bwd(const Tensor<T>& u, const Tensor<T>& K, const Tensor<T>& dy, Tensor<T>& du,
                   Tensor<T>& dK, ConvPath path = ConvPath::Auto,
                   const LongConvSpectra<T>* kept = nullptr);

}  // namespace xssm::seq
