#include <cstdio>
#include <string>

#include "device.cuh"

namespace xssm::cuda {

int device_count() {
  int n = 0;
  // No driver / no device is a normal situation on CPU machines: report 0 and clear the error.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

const char* device_name(int index) {
  static thread_local std::string name;
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, index) != cudaSuccess) {
    cudaGetLastError();
    return "unknown CUDA device";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " (sm_%d%d, %.0f GiB)", p.major, p.minor,
                double(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  name = std::string(p.name) + buf;
  return name.c_str();
}

}  // namespace xssm::cuda
