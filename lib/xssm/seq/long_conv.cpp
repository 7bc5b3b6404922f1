// Causal long convolution, direct and FFT paths (long_conv.hpp; docs/maths/s4d.md).
//
// Both paths first transpose the channels-last (B,L,H) signals into channel-major (H,B,L)
// buffers, so that every work item (one channel h, its B signals) reads and writes contiguous
// rows; results are transposed back at the end.
#include "xssm/seq/long_conv.hpp"

#include <algorithm>
#include <complex>
#include <unsupported/Eigen/FFT>
#include <vector>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"

namespace xssm::seq {

namespace {

// Auto switches to the FFT path at this length. Measured by hand (B = 8, H = 64 and 256, float
// and double, 1 thread, default x86-64 SSE2 build, Eigen's kissfft backend, on a loaded shared
// machine, so ±30%): the direct path wins up to L ≈ 192 (≈ 1.5–2× at L = 128), the two are even
// around L = 256 (fwd + bwd), the FFT path wins from there on (≈ 2× at 512, 3–5× at 1024).
constexpr Index kFftThreshold = 256;

// (B,L,H) → (H,B,L):  dst[(h·B + b)·L + t] = src[(b·L + t)·H + h], in cache tiles.
template <class T>
void to_channel_major(const T* src, T* dst, Index B, Index L, Index H) {
  constexpr Index kTile = 32;
  parallel_for(B, [&](Index b) {
    const T* s = src + b * L * H;
    T* d = dst + b * L;
    for (Index t0 = 0; t0 < L; t0 += kTile)
      for (Index h0 = 0; h0 < H; h0 += kTile) {
        const Index t1 = std::min(L, t0 + kTile), h1 = std::min(H, h0 + kTile);
        for (Index h = h0; h < h1; ++h)
          for (Index t = t0; t < t1; ++t) d[h * B * L + t] = s[t * H + h];
      }
  });
}

// (H,B,L) → (B,L,H), assigning (Accumulate = false) or adding (true) into dst.
template <bool Accumulate, class T>
void from_channel_major(const T* src, T* dst, Index B, Index L, Index H) {
  constexpr Index kTile = 32;
  parallel_for(B, [&](Index b) {
    const T* s = src + b * L;
    T* d = dst + b * L * H;
    for (Index t0 = 0; t0 < L; t0 += kTile)
      for (Index h0 = 0; h0 < H; h0 += kTile) {
        const Index t1 = std::min(L, t0 + kTile), h1 = std::min(H, h0 + kTile);
        for (Index t = t0; t < t1; ++t)
          for (Index h = h0; h < h1; ++h) {
            if constexpr (Accumulate)
              d[t * H + h] += s[h * B * L + t];
            else
              d[t * H + h] = s[h * B * L + t];
          }
      }
  });
}

// One FFT object per thread: Eigen's kissfft caches its plans (twiddles) per length inside the
// object, and the object is not safe to share between threads.
template <class T>
Eigen::FFT<T>& thread_fft() {
  thread_local Eigen::FFT<T> fft = [] {
    Eigen::FFT<T> f;
    f.SetFlag(Eigen::FFT<T>::HalfSpectrum);  // real transforms keep N/2+1 bins
    f.SetFlag(Eigen::FFT<T>::Unscaled);      // the 1/N of the inverse is folded into products
    return f;
  }();
  return fft;
}

template <class T>
using Cx = std::complex<T>;

// Half spectrum of x[0:L] zero-padded to N (pad = scratch of N reals).
template <class T>
void rfft_padded(Eigen::FFT<T>& fft, const T* x, Index L, Index N, T* pad, Cx<T>* out) {
  std::copy(x, x + L, pad);
  std::fill(pad + L, pad + N, T(0));
  fft.fwd(out, pad, N);
}

// c[k] = a[k]·b[k] (conj_a: conj(a[k])·b[k]), written out in reals (std::complex's operator*
// takes a slow NaN-recovery path under the default GCC flags).
template <bool ConjA, class T>
void mul_spectra(const Cx<T>* a, const Cx<T>* b, Cx<T>* c, Index n) {
  for (Index k = 0; k < n; ++k) {
    const T ar = a[k].real(), ai = ConjA ? -a[k].imag() : a[k].imag();
    const T br = b[k].real(), bi = b[k].imag();
    c[k] = Cx<T>(ar * br - ai * bi, ar * bi + ai * br);
  }
}

// acc[k] += conj(a[k])·b[k]
template <class T>
void add_conj_product(const Cx<T>* a, const Cx<T>* b, Cx<T>* acc, Index n) {
  for (Index k = 0; k < n; ++k) {
    const T ar = a[k].real(), ai = -a[k].imag(), br = b[k].real(), bi = b[k].imag();
    acc[k] += Cx<T>(ar * br - ai * bi, ar * bi + ai * br);
  }
}

void check_shapes(const Shape& u, const Shape& K, const char* what) {
  if (u.size() != 3 || K.size() != 2 || K[0] != u[2] || K[1] != u[1])
    throw Error(cat(what, ": u has shape ", shape_str(u), " and K ", shape_str(K),
                    ", expected (B,L,H) and (H,L)"));
}

}  // namespace

Index long_conv_fft_threshold() { return kFftThreshold; }

ConvPath long_conv_resolve(Index L, ConvPath want) {
  if (want != ConvPath::Auto) return want;
  return L >= kFftThreshold ? ConvPath::Fft : ConvPath::Direct;
}

Index long_conv_fft_size(Index n) {
  // N = 4·m with m 5-smooth (kissfft has radix 2, 3, 4, 5 butterflies; the real transform runs
  // a complex one of length N/2 and needs N % 4 == 0).
  const Index m0 = std::max<Index>(1, (n + 3) / 4);
  for (Index m = m0;; ++m) {
    Index r = m;
    for (Index p : {2, 3, 5})
      while (r % p == 0) r /= p;
    if (r == 1) return 4 * m;
  }
}

template <class T>
Tensor<T> long_conv_fwd(const Tensor<T>& u, const Tensor<T>& K, ConvPath path, LongConvSpectra<T>* keep) {
  check_shapes(u.shape(), K.shape(), "long_conv_fwd");
  const Index B = u.dim(0), L = u.dim(1), H = u.dim(2);
  if (keep) keep->clear();
  Tensor<T> y(u.shape());
  if (y.size() == 0) return y;
  std::vector<T> uc(B * H * L), yc(B * H * L);  // channel-major (H,B,L)
  to_channel_major(u.data(), uc.data(), B, L, H);

  if (long_conv_resolve(L, path) == ConvPath::Direct) {
    // y[t] = Σ_j K[j]·u[t−j]: one contiguous axpy y[j:L] += K[j]·u[0:L−j] per lag j.
    parallel_for(H, [&](Index h) {
      const T* k = K.data() + h * L;
      for (Index b = 0; b < B; ++b) {
        const T* x = uc.data() + (h * B + b) * L;
        VecMap<T> yv(yc.data() + (h * B + b) * L, L);
        yv.setZero();
        for (Index j = 0; j < L; ++j) yv.tail(L - j) += k[j] * CVecMap<T>(x, L - j);
      }
    });
  } else {
    // y = irfft(rfft(u)·rfft(K))[:L], both zero-padded to N ≥ 2L−1 so the circular convolution
    // does not wrap onto the first L outputs.
    const Index N = long_conv_fft_size(2 * L - 1), F = N / 2 + 1;
    if (keep) {
      keep->n = N;
      keep->u_shape = u.shape();
      keep->u.resize(H * B * F);
    }
    parallel_for(H, [&](Index h) {
      Eigen::FFT<T>& fft = thread_fft<T>();
      std::vector<T> pad(N);
      std::vector<Cx<T>> FK(F), Fx(F);
      rfft_padded(fft, K.data() + h * L, L, N, pad.data(), FK.data());
      for (auto& c : FK) c *= T(1) / T(N);  // the inverse's 1/N
      for (Index b = 0; b < B; ++b) {
        rfft_padded(fft, uc.data() + (h * B + b) * L, L, N, pad.data(), Fx.data());
        if (keep) std::copy(Fx.begin(), Fx.end(), keep->u.begin() + (h * B + b) * F);
        mul_spectra<false>(FK.data(), Fx.data(), Fx.data(), F);
        fft.inv(pad.data(), Fx.data(), N);
        std::copy(pad.data(), pad.data() + L, yc.data() + (h * B + b) * L);
      }
    });
  }
  from_channel_major<false>(yc.data(), y.data(), B, L, H);
  return y;
}

template <class T>
void long_conv_bwd(const Tensor<T>& u, const Tensor<T>& K, const Tensor<T>& dy, Tensor<T>& du,
                   Tensor<T>& dK, ConvPath path, const LongConvSpectra<T>* kept) {
  check_shapes(u.shape(), K.shape(), "long_conv_bwd");
  expect_shape(dy, u.shape(), "long_conv_bwd: dy");
  expect_shape(du, u.shape(), "long_conv_bwd: du");
  expect_shape(dK, K.shape(), "long_conv_bwd: dK");
  const Index B = u.dim(0), L = u.dim(1), H = u.dim(2);
  if (u.size() == 0) return;
  const bool direct = long_conv_resolve(L, path) == ConvPath::Direct;
  const Index N = direct ? 0 : long_conv_fft_size(2 * L - 1), F = N / 2 + 1;
  const bool use_kept = !direct && kept && kept->n == N && kept->u_shape == u.shape();
  std::vector<T> uc(use_kept ? 0 : B * H * L), gc(B * H * L), duc(B * H * L);  // channel-major (H,B,L)
  if (!use_kept) to_channel_major(u.data(), uc.data(), B, L, H);
  to_channel_major(dy.data(), gc.data(), B, L, H);

  if (direct) {
    // du[s] = Σ_j K[j]·dy[s+j]:  du[0:L−j] += K[j]·dy[j:L];   dK[j] += Σ_b ⟨dy_b[j:L], u_b[0:L−j]⟩.
    parallel_for(H, [&](Index h) {
      const T* k = K.data() + h * L;
      T* dk = dK.data() + h * L;
      for (Index b = 0; b < B; ++b) {
        const T* x = uc.data() + (h * B + b) * L;
        const T* g = gc.data() + (h * B + b) * L;
        VecMap<T> dx(duc.data() + (h * B + b) * L, L);
        dx.setZero();
        for (Index j = 0; j < L; ++j) {
          dx.head(L - j) += k[j] * CVecMap<T>(g + j, L - j);
          dk[j] += CVecMap<T>(g + j, L - j).dot(CVecMap<T>(x, L - j));
        }
      }
    });
  } else {
    // Correlations via the FFT (irfft(conj(rfft(a))·rfft(b))[s] = Σ_n a[n]·b[n+s] when both are
    // zero-padded to N ≥ 2L−1):
    //   du   = irfft(conj(rfft(K))·rfft(dy))[:L]
    //   dK  += irfft(Σ_b conj(rfft(u_b))·rfft(dy_b))[:L]
    parallel_for(H, [&](Index h) {
      Eigen::FFT<T>& fft = thread_fft<T>();
      std::vector<T> pad(N);
      std::vector<Cx<T>> FK(F), Fu(use_kept ? 0 : F), Fg(F), acc(F, Cx<T>(0));
      rfft_padded(fft, K.data() + h * L, L, N, pad.data(), FK.data());
      for (auto& c : FK) c *= T(1) / T(N);
      for (Index b = 0; b < B; ++b) {
        const Cx<T>* fu = use_kept ? kept->u.data() + (h * B + b) * F : Fu.data();
        if (!use_kept) rfft_padded(fft, uc.data() + (h * B + b) * L, L, N, pad.data(), Fu.data());
        rfft_padded(fft, gc.data() + (h * B + b) * L, L, N, pad.data(), Fg.data());
        add_conj_product(fu, Fg.data(), acc.data(), F);
        mul_spectra<true>(FK.data(), Fg.data(), Fg.data(), F);
        fft.inv(pad.data(), Fg.data(), N);
        std::copy(pad.data(), pad.data() + L, duc.data() + (h * B + b) * L);
      }
      fft.inv(pad.data(), acc.data(), N);
      T* dk = dK.data() + h * L;
      const T scale = T(1) / T(N);
      for (Index j = 0; j < L; ++j) dk[j] += scale * pad[j];
    });
  }
  from_channel_major<true>(duc.data(), du.data(), B, L, H);
}

template Tensor<float> long_conv_fwd(const Tensor<float>&, const Tensor<float>&, ConvPath,
                                     LongConvSpectra<float>*);
template Tensor<double> long_conv_fwd(const Tensor<double>&, const Tensor<double>&, ConvPath,
                                      LongConvSpectra<double>*);
template void long_conv_bwd(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                            Tensor<float>&, Tensor<float>&, ConvPath, const LongConvSpectra<float>*);
template void long_conv_bwd(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                            Tensor<double>&, Tensor<double>&, ConvPath, const LongConvSpectra<double>*);

}  // namespace xssm::seq
