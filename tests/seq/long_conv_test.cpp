// Causal long convolution: direct = FFT = a naive reference (forward, du, dK, accumulation),
// float32 FFT vs float64, FD gradients through the FFT path, FFT sizes, shape errors.
#include <catch2/catch.hpp>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/core/error.hpp"
#include "xssm/seq/long_conv.hpp"

using namespace xssm;
using namespace xssm::test;
using seq::ConvPath;

namespace {

// y[b,t,h] = Σ_{s≤t} K[h,t−s]·u[b,s,h], straight from the definition.
Tensor<double> naive_fwd(const Tensor<double>& u, const Tensor<double>& K) {
  const Index B = u.dim(0), L = u.dim(1), H = u.dim(2);
  Tensor<double> y(u.shape());
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < L; ++t)
      for (Index h = 0; h < H; ++h)
        for (Index s = 0; s <= t; ++s) y.at(b, t, h) += K.at(h, t - s) * u.at(b, s, h);
  return y;
}

void naive_bwd(const Tensor<double>& u, const Tensor<double>& K, const Tensor<double>& dy,
               Tensor<double>& du, Tensor<double>& dK) {
  const Index B = u.dim(0), L = u.dim(1), H = u.dim(2);
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < L; ++t)
      for (Index h = 0; h < H; ++h)
        for (Index s = 0; s <= t; ++s) {
          du.at(b, s, h) += dy.at(b, t, h) * K.at(h, t - s);
          dK.at(h, t - s) += dy.at(b, t, h) * u.at(b, s, h);
        }
}

}  // namespace

TEST_CASE("long_conv: direct = FFT = naive reference in float64 (forward, du, dK)", "[seq][long_conv]") {
  Rng rng(81);
  for (Index L : {1, 7, 130, 300})
    for (Index B : {1, 3})
      for (Index H : {2, 5}) {
        INFO("L=" << L << " B=" << B << " H=" << H);
        const Tensor<double> u = randn({B, L, H}, rng), K = randn({H, L}, rng), dy = randn({B, L, H}, rng);
        const Tensor<double> ref = naive_fwd(u, K);
        XSSM_CHECK_CLOSE(seq::long_conv_fwd(u, K, ConvPath::Direct), ref, 1e-12);
        XSSM_CHECK_CLOSE(seq::long_conv_fwd(u, K, ConvPath::Fft), ref, 1e-12);
        XSSM_CHECK_CLOSE(seq::long_conv_fwd(u, K), ref, 1e-12);
        // Gradients accumulate: start every path from the same non-zero du, dK.
        const Tensor<double> du0 = randn({B, L, H}, rng), dK0 = randn({H, L}, rng);
        Tensor<double> du_ref = du0, dK_ref = dK0;
        naive_bwd(u, K, dy, du_ref, dK_ref);
        for (ConvPath p : {ConvPath::Direct, ConvPath::Fft, ConvPath::Auto}) {
          INFO("path " << int(p));
          Tensor<double> du = du0, dK = dK0;
          seq::long_conv_bwd(u, K, dy, du, dK, p);
          XSSM_CHECK_CLOSE(du, du_ref, 1e-12);
          XSSM_CHECK_CLOSE(dK, dK_ref, 1e-12);
        }
      }
}

TEST_CASE("long_conv: float32 FFT agrees with float64 direct", "[seq][long_conv]") {
  Rng rng(82);
  for (Index L : {7, 300}) {
    const Index B = 3, H = 5;
    const Tensor<double> u = randn({B, L, H}, rng), K = randn({H, L}, rng), dy = randn({B, L, H}, rng);
    const Tensor<float> uf = u.cast<float>(), Kf = K.cast<float>(), dyf = dy.cast<float>();
    XSSM_CHECK_CLOSE(seq::long_conv_fwd(uf, Kf, ConvPath::Fft), seq::long_conv_fwd(u, K, ConvPath::Direct), 1e-5);
    Tensor<double> du({B, L, H}), dK({H, L});
    seq::long_conv_bwd(u, K, dy, du, dK, ConvPath::Direct);
    Tensor<float> duf({B, L, H}), dKf({H, L});
    seq::long_conv_bwd(uf, Kf, dyf, duf, dKf, ConvPath::Fft);
    XSSM_CHECK_CLOSE(duf, du, 1e-5);
    XSSM_CHECK_CLOSE(dKf, dK, 1e-5);
  }
}

TEST_CASE("long_conv: FD gradients through the FFT path", "[seq][long_conv]") {
  Rng rng(83);
  const Index B = 2, L = 130, H = 2;
  Tensor<double> u = randn({B, L, H}, rng), K = randn({H, L}, rng);
  const Tensor<double> g = randn({B, L, H}, rng);
  Tensor<double> du({B, L, H}), dK({H, L});
  seq::long_conv_bwd(u, K, g, du, dK, ConvPath::Fft);
  auto loss = [&] { return dot(seq::long_conv_fwd(u, K, ConvPath::Fft), g); };
  XSSM_CHECK_CLOSE(du, numeric_grad(loss, u), 1e-8);
  XSSM_CHECK_CLOSE(dK, numeric_grad(loss, K), 1e-8);
}

TEST_CASE("long_conv: spectra kept by the forward give the same backward", "[seq][long_conv]") {
  Rng rng(84);
  const Index B = 3, L = 300, H = 2;
  const Tensor<double> u = randn({B, L, H}, rng), K = randn({H, L}, rng), dy = randn({B, L, H}, rng);
  seq::LongConvSpectra<double> kept;
  seq::long_conv_fwd(u, K, ConvPath::Fft, &kept);
  CHECK(kept.n == seq::long_conv_fft_size(2 * L - 1));
  Tensor<double> du({B, L, H}), dK({H, L}), du2({B, L, H}), dK2({H, L});
  seq::long_conv_bwd(u, K, dy, du, dK, ConvPath::Fft);
  seq::long_conv_bwd(u, K, dy, du2, dK2, ConvPath::Fft, &kept);
  XSSM_CHECK_CLOSE(du2, du, 0.0);
  XSSM_CHECK_CLOSE(dK2, dK, 0.0);
  // Spectra of another shape (here with the same FFT length) are ignored, and a direct forward
  // clears them.
  const Tensor<double> u3 = randn({B, L - 1, H}, rng), K3 = randn({H, L - 1}, rng), dy3 = randn({B, L - 1, H}, rng);
  REQUIRE(seq::long_conv_fft_size(2 * (L - 1) - 1) == kept.n);
  Tensor<double> du3({B, L - 1, H}), dK3({H, L - 1}), du3r({B, L - 1, H}), dK3r({H, L - 1});
  seq::long_conv_bwd(u3, K3, dy3, du3, dK3, ConvPath::Fft, &kept);
  seq::long_conv_bwd(u3, K3, dy3, du3r, dK3r, ConvPath::Fft);
  XSSM_CHECK_CLOSE(du3, du3r, 0.0);
  XSSM_CHECK_CLOSE(dK3, dK3r, 0.0);
  seq::long_conv_fwd(u, K, ConvPath::Direct, &kept);
  CHECK(kept.n == 0);
  CHECK(kept.u.empty());
}

TEST_CASE("long_conv: path choice, FFT sizes and shape errors", "[seq][long_conv]") {
  CHECK(seq::long_conv_resolve(1, ConvPath::Auto) == ConvPath::Direct);
  CHECK(seq::long_conv_resolve(seq::long_conv_fft_threshold(), ConvPath::Auto) == ConvPath::Fft);
  CHECK(seq::long_conv_resolve(4096, ConvPath::Direct) == ConvPath::Direct);
  CHECK(seq::long_conv_resolve(1, ConvPath::Fft) == ConvPath::Fft);
  for (Index n : {1, 2, 13, 127, 259, 599, 2047}) {
    const Index N = seq::long_conv_fft_size(n);
    CHECK(N >= n);
    CHECK(N % 4 == 0);
    Index r = N;
    for (Index p : {2, 3, 5})
      while (r % p == 0) r /= p;
    CHECK(r == 1);
    for (Index m = n; m < N; ++m) {  // and it is the smallest such size
      Index q = m;
      for (Index p : {2, 3, 5})
        while (q % p == 0) q /= p;
      CHECK_FALSE((q == 1 && m % 4 == 0));
    }
  }
  CHECK(seq::long_conv_fft_size(2047) == 2048);
  const Tensor<double> u({2, 5, 3}), K({3, 4});
  CHECK_THROWS_AS(seq::long_conv_fwd(u, K), Error);
  Tensor<double> du({2, 5, 3}), dK({3, 5}), bad({2, 5, 2});
  CHECK_THROWS_AS(seq::long_conv_bwd(u, Tensor<double>({3, 5}), bad, du, dK), Error);
  const Tensor<double> empty({0, 5, 3});
  CHECK(seq::long_conv_fwd(empty, Tensor<double>({3, 5})).shape() == Shape{0, 5, 3});
}
