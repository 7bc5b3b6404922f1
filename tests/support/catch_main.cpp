// Catch2 main for every unit-test binary: HDF5 errors silenced, single-threaded unless a test
// asks otherwise (tests compare thread counts explicitly).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "xssm/core/parallel.hpp"
#include "xssm/io/h5file.hpp"

int main(int argc, char** argv) {
  xssm::io::silence_hdf5_errors();
  xssm::set_threads(1);
  return Catch::Session().run(argc, argv);
}
