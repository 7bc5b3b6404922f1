#include "xssm/core/device.hpp"

#include <atomic>

#include "xssm/core/error.hpp"
#include "xssm/core/log.hpp"

#if XSSM_HAVE_CUDA
#include "device.cuh"
#endif

namespace xssm {

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::Cpu;
  if (s == "cuda") return Device::Cuda;
  throw UsageError(cat("--device must be cpu or cuda, got '", s, "'"));
}

const char* device_str(Device d) { return d == Device::Cuda ? "cuda" : "cpu"; }

bool cuda_built() { return XSSM_HAVE_CUDA != 0; }

int cuda_device_count() {
#if XSSM_HAVE_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

std::string device_description(Device d) {
  if (d == Device::Cpu) return "cpu";
#if XSSM_HAVE_CUDA
  if (cuda::device_count() > 0) return cat("cuda:0 ", cuda::device_name(0));
#endif
  return "cuda (none available)";
}

void require_device(Device d) {
  if (d == Device::Cpu) return;
  if (!cuda_built())
    throw UsageError("--device cuda: this build has no CUDA (nvcc was not found at configure time)");
  if (cuda_device_count() == 0) throw UsageError("--device cuda: no CUDA device is available");
}

namespace {
std::atomic<Device> g_default_device{Device::Cpu};
std::atomic<bool> g_strict_device{false};
}  // namespace

void set_default_device(Device d) { g_default_device.store(d); }
Device default_device() { return g_default_device.load(); }
void set_strict_device(bool strict) { g_strict_device.store(strict); }
bool strict_device() { return g_strict_device.load(); }

void cuda_fallback(const std::string& op, const std::string& why) {
  if (strict_device()) throw UsageError(cat("--device cuda (strict): ", op, ": ", why));
  log::warn_once(cat(op, ": ", why, "; running on the CPU"));
}

}  // namespace xssm
