// Learning-rate schedules: linear warm-up from 0, then cosine, linear or constant decay to
// min_lr at total_steps (the schedules of the xLSTM, Zoology and Mamba-2 experiments).
#pragma once
#include <string>

#include "xssm/core/tensor.hpp"

namespace xssm::train {

struct LrSchedule {
  double lr = 1e-3;        // peak learning rate
  double min_lr = 0.0;     // reached at total_steps (cosine and linear)
  Index warmup_steps = 0;  // linear warm-up 0 → lr over these steps
  Index total_steps = 1;
  std::string decay = "cosine";  // cosine | linear | constant

  /// Learning rate used for optimizer step number `step` (0-based).
  double at(Index step) const;
  /// Throws UsageError for an unknown decay or inconsistent values.
  void validate() const;
};

}  // namespace xssm::train
