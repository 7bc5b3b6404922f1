// Device discovery, the only CUDA entry point core/device.cpp needs.
#pragma once

namespace xssm::cuda {

/// Number of usable CUDA devices; 0 when there is no driver or no device (never throws).
int device_count();
/// "NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)" for device `index`.
const char* device_name(int index);

}  // namespace xssm::cuda
