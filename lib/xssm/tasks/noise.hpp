// I.i.d. inputs for memory-capacity probes (Jaeger 2001; Dambre et al. 2012): tokens uniform
// over [0, vocab), or with `real` a float32 /inputs_real (N,S,F) of i.i.d. values (uniform in
// [-1, 1), Jaeger's zero-mean choice, or standard normal); then /inputs is all 0 with vocab 1.
// Nothing is scored (targets -1): the probe regresses the state on delayed inputs itself.
#pragma once
#include <cstdint>
#include <string>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct NoiseOptions {
  Index n = 100;
  Index seq_len = 1024;
  std::int64_t vocab = 16;
  bool real = false;
  Index features = 1;           // F for real inputs
  std::string dist = "uniform";  // uniform | normal
  std::uint64_t seed = 0;
};

io::Dataset make_noise(const NoiseOptions& o);

}  // namespace xssm::tasks
