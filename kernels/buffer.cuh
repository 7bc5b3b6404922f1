// Device buffers for the host-pointer entry points (copy in, run, copy out). Only .cu files
// include this. Output buffers get NaN guard zones (ggml's sentinels) checked after the kernel.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "common.cuh"

namespace xssm::cuda {

/// Elements of NaN guard before and after every output buffer.
constexpr int64_t kGuard = 64;

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  /// n elements (plus guard zones when `guarded`), uninitialised.
  explicit DeviceBuffer(int64_t n, bool guarded = false) : n_(n), g_(guarded ? kGuard : 0) {
    XSSM_CUDA_CHECK(cudaMalloc(&base_, size_t(n_ + 2 * g_) * sizeof(T) + 1));
    if (g_) XSSM_CUDA_CHECK(cudaMemset(base_, 0xFF, size_t(n_ + 2 * g_) * sizeof(T)));  // all-ones = NaN
  }
  /// A copy of host data (nullptr → empty buffer, data() = nullptr).
  static DeviceBuffer from_host(const T* h, int64_t n, bool guarded = false) {
    if (!h) return DeviceBuffer();
    DeviceBuffer b(n, guarded);
    if (n > 0) XSSM_CUDA_CHECK(cudaMemcpy(b.data(), h, size_t(n) * sizeof(T), cudaMemcpyHostToDevice));
    return b;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept { swap(o); return *this; }
  ~DeviceBuffer() { if (base_) cudaFree(base_); }

  T* data() const { return base_ ? base_ + g_ : nullptr; }
  void to_host(T* h) const {
    if (n_ > 0) XSSM_CUDA_CHECK(cudaMemcpy(h, data(), size_t(n_) * sizeof(T), cudaMemcpyDeviceToHost));
  }
  /// Throws CudaError when a guard byte is no longer 0xFF (a kernel wrote out of bounds).
  void check_guards(const char* what) const {
    if (!g_) return;
    std::vector<unsigned char> h(size_t(g_) * sizeof(T));
    const unsigned char* b = reinterpret_cast<const unsigned char*>(base_);
    for (int side = 0; side < 2; ++side) {
      const unsigned char* src = side == 0 ? b : b + size_t(g_ + n_) * sizeof(T);
      XSSM_CUDA_CHECK(cudaMemcpy(h.data(), src, h.size(), cudaMemcpyDeviceToHost));
      for (unsigned char c : h)
        if (c != 0xFF)
          throw CudaError(std::string(what) + ": kernel wrote into the guard zone " +
                          (side == 0 ? "before" : "after") + " its output");
    }
  }

 private:
  void swap(DeviceBuffer& o) {
    std::swap(base_, o.base_);
    std::swap(n_, o.n_);
    std::swap(g_, o.g_);
  }
  T* base_ = nullptr;
  int64_t n_ = 0, g_ = 0;
};

}  // namespace xssm::cuda
