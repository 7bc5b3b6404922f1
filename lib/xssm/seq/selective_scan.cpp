// Mamba's selective scan (S6): forward, backward (reverse-time adjoint scan) and one step.
// Notation as selective_scan.hpp: Δ, A, B, C, D, x (state), u (input), z (gate).
#include "xssm/seq/selective_scan.hpp"

#include <cmath>
#include <vector>

#include "xssm/core/error.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/nn/activations_array.hpp"
#include "xssm/seq/scalar_ops.hpp"

#if XSSM_HAVE_CUDA
#include "selective_scan.cuh"
#endif

namespace xssm::seq {
namespace {

struct Dims {
  Index Bt, L, D, N, G;
  bool fixed;  // B, C of shape (D,N)
};

template <class T>
Dims check_args(const SelectiveScanArgs<T>& a) {
  if (!a.u || !a.delta || !a.A || !a.B || !a.C) throw Error("selective_scan: u, delta, A, B, C are required");
  if (a.u->rank() != 3) throw Error(cat("selective_scan: u has shape ", shape_str(a.u->shape()), ", expected (B,L,D)"));
  Dims d{};
  d.Bt = a.u->dim(0);
  d.L = a.u->dim(1);
  d.D = a.u->dim(2);
  expect_shape(*a.delta, a.u->shape(), "selective_scan: delta");
  if (a.A->rank() != 2 || a.A->dim(0) != d.D) throw Error(cat("selective_scan: A has shape ", shape_str(a.A->shape()), ", expected (D,N) with D=", d.D));
  d.N = a.A->dim(1);
  if (a.B->rank() == 2) {
    d.fixed = true;
    d.G = 1;
    expect_shape(*a.B, {d.D, d.N}, "selective_scan: B");
    expect_shape(*a.C, {d.D, d.N}, "selective_scan: C");
  } else {
    d.fixed = false;
    if (a.B->rank() != 4) throw Error(cat("selective_scan: B has shape ", shape_str(a.B->shape()), ", expected (D,N) or (B,L,G,N)"));
    d.G = a.B->dim(2);
    if (d.G <= 0 || d.D % d.G != 0) throw Error(cat("selective_scan: groups G=", d.G, " must divide D=", d.D));
    expect_shape(*a.B, {d.Bt, d.L, d.G, d.N}, "selective_scan: B");
    expect_shape(*a.C, {d.Bt, d.L, d.G, d.N}, "selective_scan: C");
  }
  if (a.D) expect_shape(*a.D, {d.D}, "selective_scan: D");
  if (a.delta_bias) expect_shape(*a.delta_bias, {d.D}, "selective_scan: delta_bias");
  if (a.z) expect_shape(*a.z, a.u->shape(), "selective_scan: z");
  if (a.initial_state) expect_shape(*a.initial_state, {d.Bt, d.D, d.N}, "selective_scan: initial_state");
  return d;
}

// Pointer to B_t[d, :] (N numbers) for batch b, time t, channel d.
template <class T>
inline const T* bc_row(const Tensor<T>& M, const Dims& s, Index b, Index t, Index d) {
  if (s.fixed) return M.data() + d * s.N;
  const Index g = d / (s.D / s.G);
  return M.data() + ((b * s.L + t) * s.G + g) * s.N;
}

// Δ of the D channels of one (b, t) row: pre = raw + bias, Δ = softplus(pre) (PyTorch's, x itself
// above 20), as whole arrays so that Eigen vectorises the exp and log1p.
template <class T>
void delta_row(const SelectiveScanArgs<T>& a, const T* raw, Index D, T* delta, T* pre) {
  nn::ArrMap<T> P(pre, D), Dl(delta, D);
  P = nn::CArrMap<T>(raw, D);
  if (a.delta_bias) P += nn::CArrMap<T>(a.delta_bias->data(), D);
  if (a.delta_softplus) Dl = (P > T(20)).select(P, P.exp().log1p());
  else Dl = P;
}

}  // namespace

namespace cpu {

/// The reference (oracle) forward.
template <class T>
SelectiveScanOut<T> selective_scan_fwd(const SelectiveScanArgs<T>& a) {
  const Dims s = check_args(a);
  SelectiveScanOut<T> r;
  r.out = Tensor<T>({s.Bt, s.L, s.D});
  r.last_state = a.initial_state ? *a.initial_state : Tensor<T>({s.Bt, s.D, s.N});
  const T* u = a.u->data();
  const T* dl = a.delta->data();
  const T* A = a.A->data();
  parallel_for(s.Bt, [&](Index b) {
    T* x = r.last_state.ptr(b);  // (D,N), evolves in place
    std::vector<T> Δr(size_t(s.D)), pre(size_t(s.D));
    for (Index t = 0; t < s.L; ++t) {
      const Index row = (b * s.L + t) * s.D;
      delta_row(a, dl + row, s.D, Δr.data(), pre.data());
      for (Index d = 0; d < s.D; ++d) {
        const T Δ = Δr[size_t(d)];
        const T* Bt = bc_row(*a.B, s, b, t, d);
        const T* Ct = bc_row(*a.C, s, b, t, d);
        const T ud = u[row + d];
        nn::ArrMap<T> xn(x + d * s.N, s.N);  // over the N states, so Eigen vectorises the exp
        xn = (Δ * nn::CArrMap<T>(A + d * s.N, s.N)).exp() * xn + (Δ * ud) * nn::CArrMap<T>(Bt, s.N);  // x_t = exp(ΔA) x_{t−1} + ΔB u
        T y = (nn::CArrMap<T>(Ct, s.N) * xn).sum();                                                   // y_t = C_t · x_t
        if (a.D) y += (*a.D)[d] * ud;
        if (a.z) y *= detail::silu((*a.z)[row + d]);
        r.out[row + d] = y;
      }
    }
  });
  return r;
}

}  // namespace cpu

// The one CPU/CUDA switch of the forward scan (STYLE.md 8.6).
template <class T>
SelectiveScanOut<T> selective_scan_fwd(const SelectiveScanArgs<T>& a, Device device) {
  if (device == Device::Cuda) {
#if XSSM_HAVE_CUDA
    const Dims s = check_args(a);
    require_device(Device::Cuda);
    cuda::SelectiveScanDims cd;
    cd.batch = s.Bt, cd.length = s.L, cd.channels = s.D, cd.state = s.N, cd.groups = s.G;
    cd.fixed_bc = s.fixed;
    cd.delta_softplus = a.delta_softplus;
    if (cuda::selective_scan_supports(cd)) {
      SelectiveScanOut<T> r;
      r.out = Tensor<T>({s.Bt, s.L, s.D});
      r.last_state = Tensor<T>({s.Bt, s.D, s.N});
      cuda::SelectiveScanPtrs<T> p;
      auto ptr = [](OptTensor<T> t) { return t ? t->data() : nullptr; };
      p.u = ptr(a.u), p.delta = ptr(a.delta), p.A = ptr(a.A), p.B = ptr(a.B), p.C = ptr(a.C);
      p.D = ptr(a.D), p.delta_bias = ptr(a.delta_bias), p.z = ptr(a.z), p.initial_state = ptr(a.initial_state);
      p.out = r.out.data(), p.last_state = r.last_state.data();
      try {
        cuda::selective_scan_fwd_host(p, cd);
      } catch (const cuda::CudaError& e) {
        throw Error(cat("selective_scan (cuda): ", e.what()));
      }
      return r;
    }
    cuda_fallback("selective_scan", cat("no CUDA kernel for state size N=", s.N, " (supported: 1..",
                                        cuda::kSelectiveScanMaxState, ") or these dims"));
#else
    throw UsageError("--device cuda: this build has no CUDA (nvcc was not found at configure time)");
#endif
  }
  return cpu::selective_scan_fwd(a);
}

template <class T>
SelectiveScanOut<T> selective_scan_fwd(const SelectiveScanArgs<T>& a) {
  return selective_scan_fwd(a, default_device());
}

template <class T>
SelectiveScanGrads<T> selective_scan_bwd(const SelectiveScanArgs<T>& a, const Tensor<T>& dout,
                                         OptTensor<T> dlast_state) {
  const Dims s = check_args(a);
  expect_shape(dout, a.u->shape(), "selective_scan: dout");
  if (dlast_state) expect_shape(*dlast_state, {s.Bt, s.D, s.N}, "selective_scan: dlast_state");
  SelectiveScanGrads<T> g;
  g.du = Tensor<T>(a.u->shape());
  g.ddelta = Tensor<T>(a.u->shape());
  g.dA = Tensor<T>(a.A->shape());
  g.dB = Tensor<T>(a.B->shape());
  g.dC = Tensor<T>(a.C->shape());
  if (a.D) g.dD = Tensor<T>(a.D->shape());
  if (a.delta_bias) g.ddelta_bias = Tensor<T>(a.delta_bias->shape());
  if (a.z) g.dz = Tensor<T>(a.u->shape());
  if (a.initial_state) g.dinitial_state = Tensor<T>(a.initial_state->shape());

  const Index DN = s.D * s.N;
  // Per-batch partial sums of the batch-shared gradients, reduced in a fixed order below.
  std::vector<Tensor<T>> pA(size_t(s.Bt)), pBf(size_t(s.Bt)), pCf(size_t(s.Bt)), pD(size_t(s.Bt));
  const T* u = a.u->data();
  const T* dl = a.delta->data();
  const T* A = a.A->data();
  parallel_for(s.Bt, [&](Index b) {
    Tensor<T>& dA = pA[size_t(b)];
    dA = Tensor<T>({s.D, s.N});
    Tensor<T>& dDb = pD[size_t(b)];
    dDb = Tensor<T>({s.D});
    if (s.fixed) {
      pBf[size_t(b)] = Tensor<T>({s.D, s.N});
      pCf[size_t(b)] = Tensor<T>({s.D, s.N});
    }
    // Forward again, keeping x_t for t = −1 … L−1 (index t+1) and exp(Δ_t A) (index t).
    std::vector<T> xs(size_t((s.L + 1) * DN), T(0)), es(size_t(s.L * DN));
    if (a.initial_state) std::copy(a.initial_state->ptr(b), a.initial_state->ptr(b) + DN, xs.begin());
    std::vector<T> Δs(size_t(s.L * s.D)), pre(size_t(s.L * s.D)), yraw(size_t(s.L * s.D));
    for (Index t = 0; t < s.L; ++t) {
      const Index row = (b * s.L + t) * s.D;
      const T* xp = xs.data() + t * DN;
      T* xc = xs.data() + (t + 1) * DN;
      delta_row(a, dl + row, s.D, Δs.data() + t * s.D, pre.data() + t * s.D);
      for (Index d = 0; d < s.D; ++d) {
        const T Δ = Δs[size_t(t * s.D + d)];
        const T* Bt = bc_row(*a.B, s, b, t, d);
        const T* Ct = bc_row(*a.C, s, b, t, d);
        nn::ArrMap<T> xn(xc + d * s.N, s.N), e(es.data() + t * DN + d * s.N, s.N);
        e = (Δ * nn::CArrMap<T>(A + d * s.N, s.N)).exp();
        xn = e * nn::CArrMap<T>(xp + d * s.N, s.N) + (Δ * u[row + d]) * nn::CArrMap<T>(Bt, s.N);
        T y = (nn::CArrMap<T>(Ct, s.N) * xn).sum();
        if (a.D) y += (*a.D)[d] * u[row + d];
        yraw[size_t(t * s.D + d)] = y;
      }
    }
    // Reverse scan: gx = ∂L/∂x_t, carried backwards through x_t = exp(ΔA)·x_{t−1} + ….
    std::vector<T> gx(size_t(DN), T(0)), dabuf(size_t(s.N));
    if (dlast_state) std::copy(dlast_state->ptr(b), dlast_state->ptr(b) + DN, gx.begin());
    for (Index t = s.L - 1; t >= 0; --t) {
      const Index row = (b * s.L + t) * s.D;
      const T* xp = xs.data() + t * DN;
      const T* xc = xs.data() + (t + 1) * DN;
      for (Index d = 0; d < s.D; ++d) {
        const T Δ = Δs[size_t(t * s.D + d)];
        const T ud = u[row + d];
        T dy = dout[row + d];
        if (a.z) {
          const T zv = (*a.z)[row + d];
          g.dz[row + d] = dy * yraw[size_t(t * s.D + d)] * detail::silu_grad(zv);
          dy *= detail::silu(zv);
        }
        if (a.D) {
          dDb[d] += dy * ud;
          g.du[row + d] += (*a.D)[d] * dy;
        }
        const T* Bt = bc_row(*a.B, s, b, t, d);
        const T* Ct = bc_row(*a.C, s, b, t, d);
        T* dBt = s.fixed ? pBf[size_t(b)].data() + d * s.N
                         : g.dB.data() + ((b * s.L + t) * s.G + d / (s.D / s.G)) * s.N;
        T* dCt = s.fixed ? pCf[size_t(b)].data() + d * s.N
                         : g.dC.data() + ((b * s.L + t) * s.G + d / (s.D / s.G)) * s.N;
        // over the N states of channel d (arrays, so Eigen vectorises the exp)
        const nn::CArrMap<T> Ad(A + d * s.N, s.N), Bn(Bt, s.N);
        nn::ArrMap<T> gi(gx.data() + d * s.N, s.N), da(dabuf.data(), s.N);
        const nn::CArrMap<T> e(es.data() + t * DN + d * s.N, s.N);  // exp(Δ_t A_d), kept above
        nn::ArrMap<T>(dCt, s.N) += dy * nn::CArrMap<T>(xc + d * s.N, s.N);
        gi += dy * nn::CArrMap<T>(Ct, s.N);  // y_t = C_t·x_t
        da = gi * nn::CArrMap<T>(xp + d * s.N, s.N) * e;  // ∂/∂(ΔA) of exp(ΔA)·x_{t−1}
        const T gB = (gi * Bn).sum();
        const T dΔ = (da * Ad).sum() + gB * ud;
        nn::ArrMap<T>(dA.data() + d * s.N, s.N) += Δ * da;
        nn::ArrMap<T>(dBt, s.N) += (Δ * ud) * gi;
        const T du = Δ * gB;
        gi *= e;  // carry to x_{t−1}
        g.du[row + d] += du;
        const T dpre = a.delta_softplus ? dΔ * detail::softplus_grad(pre[size_t(t * s.D + d)]) : dΔ;
        g.ddelta[row + d] = dpre;
      }
    }
    if (a.initial_state) std::copy(gx.begin(), gx.end(), g.dinitial_state.ptr(b));
  });
  for (Index b = 0; b < s.Bt; ++b) {
    g.dA.vec() += pA[size_t(b)].vec();
    if (s.fixed) {
      g.dB.vec() += pBf[size_t(b)].vec();
      g.dC.vec() += pCf[size_t(b)].vec();
    }
    if (a.D) g.dD.vec() += pD[size_t(b)].vec();
  }
  if (a.delta_bias)
    for (Index i = 0; i < g.ddelta.size(); ++i) g.ddelta_bias[i % s.D] += g.ddelta[i];
  return g;
}

template <class T>
Tensor<T> selective_scan_step(const Tensor<T>& u_t, const Tensor<T>& delta_t, const Tensor<T>& A,
                              const Tensor<T>& B_t, const Tensor<T>& C_t, OptTensor<T> D,
                              OptTensor<T> delta_bias, OptTensor<T> z_t, Tensor<T>& state,
                              bool delta_softplus) {
  // A length-1 scan from `state`: reuse the scan (keeps one definition of the maths).
  const Index Bt = u_t.dim(0), Dd = u_t.dim(1);
  Tensor<T> u = u_t.reshaped({Bt, 1, Dd}), dl = delta_t.reshaped({Bt, 1, Dd});
  Tensor<T> Bv, Cv, z;
  SelectiveScanArgs<T> a;
  a.u = &u;
  a.delta = &dl;
  a.A = &A;
  if (B_t.rank() == 3) {
    Bv = B_t.reshaped({Bt, 1, B_t.dim(1), B_t.dim(2)});
    Cv = C_t.reshaped({Bt, 1, C_t.dim(1), C_t.dim(2)});
    a.B = &Bv;
    a.C = &Cv;
  } else {
    a.B = &B_t;
    a.C = &C_t;
  }
  a.D = D;
  a.delta_bias = delta_bias;
  if (z_t) {
    z = z_t->reshaped({Bt, 1, Dd});
    a.z = &z;
  }
  a.initial_state = &state;
  a.delta_softplus = delta_softplus;
  SelectiveScanOut<T> r = cpu::selective_scan_fwd(a);
  state = std::move(r.last_state);
  return std::move(r.out).reshaped({Bt, Dd});
}

#define XSSM_INST(T)                                                                              \
  template SelectiveScanOut<T> selective_scan_fwd(const SelectiveScanArgs<T>&);                 \
  template SelectiveScanOut<T> selective_scan_fwd(const SelectiveScanArgs<T>&, Device);         \
  template SelectiveScanGrads<T> selective_scan_bwd(const SelectiveScanArgs<T>&, const Tensor<T>&, \
                                                    OptTensor<T>);                            \
  template Tensor<T> selective_scan_step(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,    \
                                         const Tensor<T>&, const Tensor<T>&, OptTensor<T>,    \
                                         OptTensor<T>, OptTensor<T>, Tensor<T>&, bool);
XSSM_INST(float)
XSSM_INST(double)
#undef XSSM_INST

}  // namespace xssm::seq
