// CUDA forward of Mamba's selective scan (S6); same maths and layouts as
// lib/xssm/seq/selective_scan.hpp (channels-last). Reached only through seq::selective_scan_fwd.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common.cuh"

namespace xssm::cuda {

/// Sizes and options of one scan. u, delta, z, out: (batch,length,channels); A: (channels,state);
/// B, C: (channels,state) when fixed_bc, else (batch,length,groups,state); D, delta_bias:
/// (channels); initial_state, last_state: (batch,channels,state).
struct SelectiveScanDims {
  int64_t batch = 0, length = 0, channels = 0, state = 0, groups = 1;
  bool fixed_bc = false;
  bool delta_softplus = true;
};

/// Optional inputs (D, delta_bias, z, initial_state) are nullptr when absent.
template <class T>
struct SelectiveScanPtrs {
  const T *u = nullptr, *delta = nullptr, *A = nullptr, *B = nullptr, *C = nullptr;
  const T *D = nullptr, *delta_bias = nullptr, *z = nullptr, *initial_state = nullptr;
  T *out = nullptr, *last_state = nullptr;
};

/// Largest state size N the kernel handles (the state lives in shared memory).
constexpr int64_t kSelectiveScanMaxState = 128;

/// Forward only (no backward kernel yet): true when 1 ≤ state ≤ 128, channels ≥ 1, groups divide
/// channels, batch ≤ 65535 (grid y) and length·channels, batch·length·groups·state fit the
/// index type. Zero batch or length is supported (nothing to launch / last_state = initial).
bool selective_scan_supports(const SelectiveScanDims& d);

/// Device pointers; asynchronous on `stream`.
void selective_scan_fwd(const SelectiveScanPtrs<float>& p, const SelectiveScanDims& d, cudaStream_t stream = 0);
void selective_scan_fwd(const SelectiveScanPtrs<double>& p, const SelectiveScanDims& d, cudaStream_t stream = 0);

/// Host pointers: copies the inputs to the device, runs, copies out and last_state back
/// (synchronous). The device outputs carry NaN guard zones that are checked after the kernel;
/// a write outside the outputs throws CudaError.
void selective_scan_fwd_host(const SelectiveScanPtrs<float>& p, const SelectiveScanDims& d);
void selective_scan_fwd_host(const SelectiveScanPtrs<double>& p, const SelectiveScanDims& d);

}  // namespace xssm::cuda
