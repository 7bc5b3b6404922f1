// Where an op runs. The CPU code is always built and is the oracle; CUDA kernels (kernels/) are
// reached only through per-op dispatch functions that check `cuda_available()` (STYLE.md 8.6).
#pragma once
#include <string>

namespace xssm {

enum class Device { Cpu, Cuda };

/// "cpu" | "cuda" → Device; throws UsageError otherwise.
Device parse_device(const std::string& s);
const char* device_str(Device d);
/// Whether this build has the CUDA kernels (nvcc was found at configure time).
bool cuda_built();
/// Number of usable GPUs (0 in a CPU-only build or without a driver).
int cuda_device_count();
/// One line describing the device for logs and benchmark reports.
std::string device_description(Device d);
/// Throws a clear UsageError when `d` is Cuda and no GPU can be used.
void require_device(Device d);

/// The device ops use when the caller does not name one (process-wide; Cpu unless set). The
/// tools set it from `--device`; ops with a CUDA kernel dispatch on it (STYLE.md 8.6).
void set_default_device(Device d);
Device default_device();
/// Strict mode: an op asked to run on CUDA with a shape its kernel does not support throws
/// instead of falling back to the CPU with one warning (`--strict-device`, parity tests).
void set_strict_device(bool strict);
bool strict_device();
/// Called by a dispatch function when its kernel does not support the shape: throws UsageError
/// in strict mode, otherwise warns once ("<op>: <why>; running on the CPU").
void cuda_fallback(const std::string& op, const std::string& why);

}  // namespace xssm
