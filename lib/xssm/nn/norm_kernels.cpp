#include "xssm/nn/norm_kernels.hpp"

#include <cmath>
#include <vector>

#include "xssm/core/parallel.hpp"

namespace xssm::nn::detail {

namespace {
constexpr Index kRowBlock = 128;
constexpr Index kParallelWork = Index(1) << 16;

// Statistics of one group: mean (0 when not centred) and r = 1/√(var + eps).
template <class T>
void group_stats(const T* x, Index G, T eps, bool centred, T& mu, T& r) {
  T m = 0;
  if (centred) {
    for (Index i = 0; i < G; ++i) m += x[i];
    m /= T(G);
  }
  T v = 0;
  for (Index i = 0; i < G; ++i) v += (x[i] - m) * (x[i] - m);
  v /= T(G);
  mu = m;
  r = T(1) / std::sqrt(v + eps);
}
}  // namespace

template <class T>
void norm_groups_fwd(const T* x, T* y, Index R, Index NG, Index G, const T* scale, const T* bias, T eps,
                     bool centred) {
  const Index C = NG * G;
  auto rows = [&](Index r0, Index r1) {
    for (Index row = r0; row < r1; ++row)
      for (Index g = 0; g < NG; ++g) {
        const Index o = row * C + g * G;
        T mu, r;
        group_stats(x + o, G, eps, centred, mu, r);
        for (Index i = 0; i < G; ++i) {
          const Index c = g * G + i;
          y[o + i] = (x[o + i] - mu) * r * scale[c] + (bias ? bias[c] : T(0));
        }
      }
  };
  if (R * C < kParallelWork) rows(0, R);
  else parallel_blocks(R, kRowBlock, rows);
}

template <class T>
void norm_groups_bwd(const T* x, const T* dy, T* dx, Index R, Index NG, Index G, const T* scale, T* dscale,
                     T* dbias, T eps, bool centred) {
  const Index C = NG * G;
  const Index nblocks = (R + kRowBlock - 1) / kRowBlock;
  // Per row block partial sums of dscale/dbias, added in block order (deterministic).
  std::vector<T> ps(size_t(dscale ? nblocks * C : 0), T(0)), pb(size_t(dbias ? nblocks * C : 0), T(0));
  auto block = [&](Index blk) {
    const Index r0 = blk * kRowBlock, r1 = std::min(R, r0 + kRowBlock);
    std::vector<T> xh(static_cast<size_t>(G)), g(static_cast<size_t>(G));
    for (Index row = r0; row < r1; ++row)
      for (Index gi = 0; gi < NG; ++gi) {
        const Index o = row * C + gi * G;
        T mu, r;
        group_stats(x + o, G, eps, centred, mu, r);
        T mg = 0, mgx = 0;
        for (Index i = 0; i < G; ++i) {
          const Index c = gi * G + i;
          xh[i] = (x[o + i] - mu) * r;
          g[i] = dy[o + i] * scale[c];
          mg += g[i];
          mgx += g[i] * xh[i];
          if (dscale) ps[size_t(blk * C + c)] += dy[o + i] * xh[i];
          if (dbias) pb[size_t(blk * C + c)] += dy[o + i];
        }
        mg = centred ? mg / T(G) : T(0);
        mgx /= T(G);
        for (Index i = 0; i < G; ++i) dx[o + i] = r * (g[i] - mg - xh[i] * mgx);
      }
  };
  if (R * C < kParallelWork) for (Index b = 0; b < nblocks; ++b) block(b);
  else parallel_for(nblocks, [&](Index b) { block(b); });  // (parallel_for needs an rvalue)
  for (Index b = 0; b < nblocks; ++b)
    for (Index c = 0; c < C; ++c) {
      if (dscale) dscale[c] += ps[size_t(b * C + c)];
      if (dbias) dbias[c] += pb[size_t(b * C + c)];
    }
}

template void norm_groups_fwd(const float*, float*, Index, Index, Index, const float*, const float*, float, bool);
template void norm_groups_fwd(const double*, double*, Index, Index, Index, const double*, const double*, double, bool);
template void norm_groups_bwd(const float*, const float*, float*, Index, Index, Index, const float*, float*, float*,
                              float, bool);
template void norm_groups_bwd(const double*, const double*, double*, Index, Index, Index, const double*, double*,
                              double*, double, bool);

}  // namespace xssm::nn::detail
