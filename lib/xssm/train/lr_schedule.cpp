#include "xssm/train/lr_schedule.hpp"

#include <cmath>

namespace xssm::train {

void LrSchedule::validate() const {
  if (decay != "cosine" && decay != "linear" && decay != "constant")
    throw UsageError(cat("--lr-decay must be cosine, linear or constant, got '", decay, "'"));
  if (!(lr > 0)) throw UsageError(cat("--lr must be > 0, got ", lr));
  if (min_lr < 0 || min_lr > lr) throw UsageError(cat("--min-lr must be in [0, lr], got ", min_lr));
  if (warmup_steps < 0) throw UsageError("--warmup must be ≥ 0");
}

double LrSchedule::at(Index step) const {
  // Warm-up: lr·(step+1)/warmup, so the first step is not wasted at lr = 0.
  if (step < warmup_steps) return lr * double(step + 1) / double(warmup_steps);
  if (decay == "constant") return lr;
  const Index span = std::max<Index>(1, total_steps - warmup_steps);
  const double p = std::min(1.0, double(step - warmup_steps) / double(span));
  if (decay == "linear") return min_lr + (lr - min_lr) * (1.0 - p);
  // cosine: min_lr + ½(lr − min_lr)(1 + cos(π p))
  return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(M_PI * p));
}

}  // namespace xssm::train
