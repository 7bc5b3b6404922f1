// Catch2 main of test_cuda (CPU-vs-CUDA parity, STYLE.md 8.7 point 4). Without a usable GPU it
// exits 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE); listing tests still works.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <iostream>

#include "xssm/core/device.hpp"
#include "xssm/core/parallel.hpp"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    listing = listing || std::strncmp(argv[i], "--list", 6) == 0 || std::strcmp(argv[i], "-l") == 0 ||
              std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0;
  if (!listing && xssm::cuda_device_count() == 0) {
    std::cout << "test_cuda: no CUDA device (" << xssm::device_description(xssm::Device::Cuda)
              << "): skipped\n";
    return 77;
  }
  if (!listing) std::cout << "test_cuda on " << xssm::device_description(xssm::Device::Cuda) << "\n";
  xssm::set_threads(1);
  // A kernel that silently fell back to the CPU would pass every parity check: make it an error.
  xssm::set_strict_device(true);
  return Catch::Session().run(argc, argv);
}
