// Rotary position embeddings, rotate-half convention (see rope.hpp).
#include "xssm/seq/rope.hpp"

#include <cmath>
#include <vector>

namespace xssm::seq {
namespace {

// sign = +1: forward rotation by +pθ; sign = −1: its transpose (rotation by −pθ).
template <class T>
Tensor<T> rotate(const Tensor<T>& x, Index pos_offset, double base, double sign) {
  if (x.rank() != 4 || x.dim(3) % 2 != 0)
    throw Error(cat("rope: expected (B,NH,S,DH) with DH even, got ", shape_str(x.shape())));
  if (pos_offset < 0) throw Error(cat("rope: negative position offset ", pos_offset));
  const Index B = x.dim(0), NH = x.dim(1), S = x.dim(2), DH = x.dim(3), half = DH / 2;
  // Angles in double: p·θ_i reaches ~1e4 rad for long sequences; float would lose the phase.
  std::vector<T> cs(size_t(S * half)), sn(size_t(S * half));
  for (Index s = 0; s < S; ++s)
    for (Index i = 0; i < half; ++i) {
      const double theta = std::pow(base, -2.0 * double(i) / double(DH));
      const double a = double(pos_offset + s) * theta;
      cs[size_t(s * half + i)] = T(std::cos(a));
      sn[size_t(s * half + i)] = T(sign * std::sin(a));
    }
  Tensor<T> y(x.shape());
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < NH; ++h)
      for (Index s = 0; s < S; ++s) {
        const T* xi = x.ptr(b, h, s);
        T* yi = y.ptr(b, h, s);
        const T* c = &cs[size_t(s * half)];
        const T* n = &sn[size_t(s * half)];
        for (Index i = 0; i < half; ++i) {
          const T x1 = xi[i], x2 = xi[i + half];
          yi[i] = x1 * c[i] - x2 * n[i];
          yi[i + half] = x2 * c[i] + x1 * n[i];
        }
      }
  return y;
}

}  // namespace

template <class T>
Tensor<T> rope_fwd(const Tensor<T>& x, Index pos_offset, double base) {
  return rotate(x, pos_offset, base, +1.0);
}
template <class T>
Tensor<T> rope_bwd(const Tensor<T>& dy, Index pos_offset, double base) {
  return rotate(dy, pos_offset, base, -1.0);
}

template Tensor<float> rope_fwd(const Tensor<float>&, Index, double);
template Tensor<double> rope_fwd(const Tensor<double>&, Index, double);
template Tensor<float> rope_bwd(const Tensor<float>&, Index, double);
template Tensor<double> rope_bwd(const Tensor<double>&, Index, double);

}  // namespace xssm::seq
