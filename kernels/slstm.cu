// sLSTM forward on the GPU: one thread block per (batch, head), 4·DH threads (one per gate row).
// R_h sits in shared memory; per step thread r forms the pre-activation p[r] = x + b + R_h[r]·y,
// then threads a < DH apply the pointwise stabilised update (same order of operations as the CPU).
#include <algorithm>
#include <climits>
#include <vector>

#include "buffer.cuh"
#include "slstm.cuh"

namespace xssm::cuda {
namespace {

template <class T>
__device__ inline T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x));
}
template <class T>
__device__ inline T log_sigmoid(T x) {  // logσ(x) without overflow
  return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

// std::max / std::min exactly (not fmax/fmin, which drop a NaN operand): NaN positions must
// match the CPU's.
template <class T>
__device__ inline T std_max(T a, T b) { return a < b ? b : a; }
template <class T>
__device__ inline T std_min(T a, T b) { return b < a ? b : a; }

template <class T>
size_t smem_bytes(int64_t DH) { return size_t(4 * DH * DH + 8 * DH) * sizeof(T); }

template <class T>
__global__ void slstm_fwd_kernel(SlstmPtrs<T> p, SlstmDims s) {
  extern __shared__ unsigned char smem_raw[];
  const int64_t DH = s.head_dim, NH = s.heads, H = NH * DH, S = s.length, G = 4 * DH;
  T* Rh = reinterpret_cast<T*>(smem_raw);  // (4DH, DH)
  T* st = Rh + G * DH;                     // (4, DH): y c n m of the previous step
  T* pre = st + G;                         // (4, DH): i f z o pre-activations
  const int r = threadIdx.x;               // gate row g·DH + a
  const int64_t bb = blockIdx.x / NH, h = blockIdx.x % NH;
  const int64_t g = r / DH, a = r % DH;
  for (int64_t k = r; k < G * DH; k += blockDim.x) Rh[k] = p.R[h * G * DH + k];
  st[r] = p.state0 ? p.state0[(g * s.batch + bb) * H + h * DH + a] : T(0);
  const int64_t unit = bb * NH + h;
  T* states = p.states ? p.states + unit * (S + 1) * G : nullptr;
  T* pres = p.pre ? p.pre + unit * S * G : nullptr;
  if (states) states[r] = st[r];
  const T bias = p.b[g * H + h * DH + a];
  __syncthreads();
  for (int64_t t = 0; t < S; ++t) {
    // p = (x + b) + R_h y_{t−1}
    T v = p.x[(bb * S + t) * 4 * H + g * H + h * DH + a] + bias;
    const T* row = Rh + r * DH;
    T acc = 0;
    for (int64_t k = 0; k < DH; ++k) acc += row[k] * st[k];
    v += acc;
    pre[r] = v;
    if (pres) pres[t * G + r] = v;
    __syncthreads();
    bool nz = true;
    if (r < DH) {
      const T it = pre[a], ft = pre[DH + a], zt = pre[2 * DH + a], ot = pre[3 * DH + a];
      const T c0 = st[DH + a], n0 = st[2 * DH + a], m0 = st[3 * DH + a];
      const T lfm = m0 + log_sigmoid(ft);
      const T m = p.first_branch[t] ? it : std_max(it, lfm);  // m_t = max(ĩ, m_{t−1} + logσ(f̃))
      const T i = std_min(T(exp(it - m)), T(1));
      const T f = std_min(T(exp(lfm - m)), T(1));
      const T c = f * c0 + i * tanh(zt);  // c_t = f c_{t−1} + i tanh(z̃)
      const T n = f * n0 + i;             // n_t = f n_{t−1} + i
      const T y = sigmoid(ot) * c / n;    // y_t = σ(õ) c_t / n_t
      st[a] = y;
      st[DH + a] = c;
      st[2 * DH + a] = n;
      st[3 * DH + a] = m;
      nz = n == T(0);
      p.y[(bb * S + t) * H + h * DH + a] = y;
    }
    const bool all_zero = __syncthreads_and(nz);  // also orders the st writes before the reads
    if (states) states[(t + 1) * G + r] = st[r];
    if (r == 0) p.zero_n[unit * S + t] = all_zero;
  }
  if (p.state_out) p.state_out[(g * s.batch + bb) * H + h * DH + a] = st[r];
}

int optin_smem() {
  int dev = 0, v = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return v;
}

template <class T>
void launch(const SlstmPtrs<T>& p, const SlstmDims& d, cudaStream_t stream) {
  if (!slstm_supports(d, sizeof(T) == 8)) throw CudaError("slstm: unsupported dims (check slstm_supports first)");
  if (d.batch == 0) return;
  const size_t smem = smem_bytes<T>(d.head_dim);
  XSSM_CUDA_CHECK(cudaFuncSetAttribute(slstm_fwd_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  slstm_fwd_kernel<T><<<unsigned(d.batch * d.heads), unsigned(4 * d.head_dim), smem, stream>>>(p, d);
  XSSM_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void run_host(const SlstmPtrs<T>& hp, const SlstmDims& d, char* first_branch) {
  const int64_t B = d.batch, S = d.length, NH = d.heads, DH = d.head_dim, H = NH * DH, U = B * NH;
  auto x = DeviceBuffer<T>::from_host(hp.x, B * S * 4 * H);
  auto R = DeviceBuffer<T>::from_host(hp.R, NH * 4 * DH * DH);
  auto b = DeviceBuffer<T>::from_host(hp.b, 4 * H);
  auto s0 = DeviceBuffer<T>::from_host(hp.state0, 4 * B * H);
  DeviceBuffer<T> y(B * S * H, true);
  DeviceBuffer<T> so = hp.state_out ? DeviceBuffer<T>(4 * B * H, true) : DeviceBuffer<T>();
  DeviceBuffer<T> states = hp.states ? DeviceBuffer<T>(U * (S + 1) * 4 * DH, true) : DeviceBuffer<T>();
  DeviceBuffer<T> pre = hp.pre ? DeviceBuffer<T>(U * S * 4 * DH, true) : DeviceBuffer<T>();
  DeviceBuffer<char> fb(std::max<int64_t>(S, 1)), zn(std::max<int64_t>(U * S, 1));
  SlstmPtrs<T> p;
  p.x = x.data(), p.R = R.data(), p.b = b.data(), p.state0 = s0.data();
  p.first_branch = fb.data();
  p.y = y.data(), p.state_out = so.data(), p.states = states.data(), p.pre = pre.data();
  p.zero_n = zn.data();

  // Step 1's branch: every n of the initial state is 0 (always so for zero initial state).
  std::vector<char> branch(size_t(S), 0), zero_n(size_t(std::max<int64_t>(U * S, 1)), 0);
  if (S > 0) {
    bool all0 = true;
    if (hp.state0)
      for (int64_t j = 0; j < B * H && all0; ++j) all0 = hp.state0[2 * B * H + j] == T(0);
    branch[0] = all0;
  }
  for (;;) {
    if (S > 0) XSSM_CUDA_CHECK(cudaMemcpy(fb.data(), branch.data(), size_t(S), cudaMemcpyHostToDevice));
    launch(p, d, 0);
    XSSM_CUDA_CHECK(cudaDeviceSynchronize());
    if (U * S > 0) XSSM_CUDA_CHECK(cudaMemcpy(zero_n.data(), zn.data(), size_t(U * S), cudaMemcpyDeviceToHost));
    int64_t bad = -1;
    for (int64_t t = 1; t < S && bad < 0; ++t) {
      bool all0 = true;
      for (int64_t u = 0; u < U && all0; ++u) all0 = zero_n[size_t(u * S + t - 1)] != 0;
      if (char(all0) != branch[size_t(t)]) bad = t;
    }
    if (bad < 0) break;
    branch[size_t(bad)] = !branch[size_t(bad)];
    for (int64_t t = bad + 1; t < S; ++t) branch[size_t(t)] = 0;
  }
  y.check_guards("slstm y");
  so.check_guards("slstm state_out");
  states.check_guards("slstm cache states");
  pre.check_guards("slstm cache pre");
  y.to_host(hp.y);
  if (hp.state_out) so.to_host(hp.state_out);
  if (hp.states) states.to_host(hp.states);
  if (hp.pre) pre.to_host(hp.pre);
  if (first_branch) std::copy(branch.begin(), branch.end(), first_branch);
}

}  // namespace

bool slstm_supports(const SlstmDims& d, bool is_double) {
  if (d.batch < 0 || d.length < 0 || d.heads < 1 || d.head_dim < 1 || d.head_dim > kSlstmMaxHeadDim) return false;
  if (d.batch * d.heads > INT_MAX) return false;
  const size_t smem = is_double ? smem_bytes<double>(d.head_dim) : smem_bytes<float>(d.head_dim);
  return smem <= size_t(optin_smem());
}

void slstm_fwd(const SlstmPtrs<float>& p, const SlstmDims& d, cudaStream_t s) { launch(p, d, s); }
void slstm_fwd(const SlstmPtrs<double>& p, const SlstmDims& d, cudaStream_t s) { launch(p, d, s); }
void slstm_fwd_host(const SlstmPtrs<float>& p, const SlstmDims& d, char* fb) { run_host(p, d, fb); }
void slstm_fwd_host(const SlstmPtrs<double>& p, const SlstmDims& d, char* fb) { run_host(p, d, fb); }

}  // namespace xssm::cuda
