// Selective scan forward on the GPU: one thread block per (batch, group of kChannels channels),
// one thread per channel, sequential over time; the channel's state x[0..N) lives in shared
// memory laid out [n][thread] so the per-n accesses of a warp hit distinct banks.
#include <climits>

#include "buffer.cuh"
#include "selective_scan.cuh"

namespace xssm::cuda {
namespace {

constexpr int kChannels = 32;  // threads (channels) per block

template <class T>
__device__ inline T softplus(T x) {  // PyTorch's: x itself above 20
  return x > T(20) ? x : log1p(exp(x));
}
template <class T>
__device__ inline T silu(T x) {
  return x * (T(1) / (T(1) + exp(-x)));
}

template <class T>
__global__ void selective_scan_fwd_kernel(SelectiveScanPtrs<T> p, SelectiveScanDims s) {
  extern __shared__ unsigned char smem_raw[];
  T* xs = reinterpret_cast<T*>(smem_raw);  // [N][kChannels]
  const int tid = threadIdx.x;
  const int64_t b = blockIdx.y;
  const int64_t d = int64_t(blockIdx.x) * kChannels + tid;
  if (d >= s.channels) return;  // no block-wide sync below, so early exit is safe
  const int64_t N = s.state, L = s.length, D = s.channels;
  const int64_t per_group = D / s.groups;
  const int64_t g = d / per_group;
  for (int64_t n = 0; n < N; ++n)
    xs[n * kChannels + tid] = p.initial_state ? p.initial_state[(b * D + d) * N + n] : T(0);
  const T* Ad = p.A + d * N;
  const T bias = p.delta_bias ? p.delta_bias[d] : T(0);
  const T skip = p.D ? p.D[d] : T(0);
  for (int64_t t = 0; t < L; ++t) {
    const int64_t row = (b * L + t) * D;
    const T v = p.delta[row + d] + bias;
    const T dt = s.delta_softplus ? softplus(v) : v;  // Δ_t = softplus(delta + bias)
    const T ud = p.u[row + d];
    const T* Bt = s.fixed_bc ? p.B + d * N : p.B + ((b * L + t) * s.groups + g) * N;
    const T* Ct = s.fixed_bc ? p.C + d * N : p.C + ((b * L + t) * s.groups + g) * N;
    T y = 0;
    for (int64_t n = 0; n < N; ++n) {
      T& xn = xs[n * kChannels + tid];
      xn = exp(dt * Ad[n]) * xn + dt * Bt[n] * ud;  // x_t = exp(ΔA) x_{t−1} + ΔB u
      y += Ct[n] * xn;                              // y_t = C_t · x_t
    }
    if (p.D) y += skip * ud;
    if (p.z) y *= silu(p.z[row + d]);
    p.out[row + d] = y;
  }
  for (int64_t n = 0; n < N; ++n) p.last_state[(b * D + d) * N + n] = xs[n * kChannels + tid];
}

template <class T>
void launch(const SelectiveScanPtrs<T>& p, const SelectiveScanDims& d, cudaStream_t stream) {
  if (!selective_scan_supports(d)) throw CudaError("selective_scan: unsupported dims (check selective_scan_supports first)");
  if (d.batch == 0) return;
  const dim3 grid(unsigned((d.channels + kChannels - 1) / kChannels), unsigned(d.batch));
  const size_t smem = size_t(d.state) * kChannels * sizeof(T);
  selective_scan_fwd_kernel<T><<<grid, kChannels, smem, stream>>>(p, d);
  XSSM_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void run_host(const SelectiveScanPtrs<T>& h, const SelectiveScanDims& d) {
  const int64_t BLD = d.batch * d.length * d.channels, DN = d.channels * d.state;
  const int64_t bc = d.fixed_bc ? DN : d.batch * d.length * d.groups * d.state;
  auto u = DeviceBuffer<T>::from_host(h.u, BLD), dl = DeviceBuffer<T>::from_host(h.delta, BLD);
  auto A = DeviceBuffer<T>::from_host(h.A, DN);
  auto B = DeviceBuffer<T>::from_host(h.B, bc), C = DeviceBuffer<T>::from_host(h.C, bc);
  auto Dk = DeviceBuffer<T>::from_host(h.D, d.channels);
  auto db = DeviceBuffer<T>::from_host(h.delta_bias, d.channels);
  auto z = DeviceBuffer<T>::from_host(h.z, BLD);
  auto x0 = DeviceBuffer<T>::from_host(h.initial_state, d.batch * DN);
  DeviceBuffer<T> out(BLD, true), last(d.batch * DN, true);
  SelectiveScanPtrs<T> p;
  p.u = u.data(), p.delta = dl.data(), p.A = A.data(), p.B = B.data(), p.C = C.data();
  p.D = Dk.data(), p.delta_bias = db.data(), p.z = z.data(), p.initial_state = x0.data();
  p.out = out.data(), p.last_state = last.data();
  launch(p, d, 0);
  XSSM_CUDA_CHECK(cudaDeviceSynchronize());
  out.check_guards("selective_scan out");
  last.check_guards("selective_scan last_state");
  out.to_host(h.out);
  last.to_host(h.last_state);
}

}  // namespace

bool selective_scan_supports(const SelectiveScanDims& d) {
  if (d.batch < 0 || d.length < 0 || d.channels < 1 || d.state < 1) return false;
  if (d.state > kSelectiveScanMaxState) return false;
  if (d.groups < 1 || d.channels % d.groups != 0) return false;
  if (d.batch > 65535 || (d.channels + kChannels - 1) / kChannels > INT_MAX) return false;
  const int64_t lim = int64_t(1) << 62;  // 64-bit indexing inside the kernel
  return d.length == 0 || d.batch == 0 || (d.batch * d.length <= lim / d.channels / d.state);
}

void selective_scan_fwd(const SelectiveScanPtrs<float>& p, const SelectiveScanDims& d, cudaStream_t s) { launch(p, d, s); }
void selective_scan_fwd(const SelectiveScanPtrs<double>& p, const SelectiveScanDims& d, cudaStream_t s) { launch(p, d, s); }
void selective_scan_fwd_host(const SelectiveScanPtrs<float>& p, const SelectiveScanDims& d) { run_host(p, d); }
void selective_scan_fwd_host(const SelectiveScanPtrs<double>& p, const SelectiveScanDims& d) { run_host(p, d); }

}  // namespace xssm::cuda
