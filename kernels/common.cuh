// Shared by every kernel file: error checking that throws a one-line error (STYLE.md 8.4).
#pragma once
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace xssm::cuda {

/// Thrown by XSSM_CUDA_CHECK; lib/ converts it into xssm::Error at the dispatch point.
struct CudaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(cudaError_t e, const char* call, const char* file, int line) {
  if (e != cudaSuccess)
    throw CudaError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                    cudaGetErrorString(e));
}

}  // namespace xssm::cuda

#define XSSM_CUDA_CHECK(call) ::xssm::cuda::check((call), #call, __FILE__, __LINE__)
