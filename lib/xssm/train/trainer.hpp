// The training loop: length-bucketed batches, gradient accumulation, global-norm clipping,
// AdamW with warm-up + decay (or LOMO's plain SGD update), periodic validation, atomic
// checkpoints, bit-identical resume, and a clean stop on SIGTERM/SIGINT/SIGUSR1.
#pragma once
#include <functional>
#include <string>

#include "xssm/core/json.hpp"
#include "xssm/model/lm.hpp"
#include "xssm/train/batcher.hpp"
#include "xssm/train/checkpoint.hpp"
#include "xssm/train/lr_schedule.hpp"
#include "xssm/train/optimizer.hpp"

namespace xssm::train {

struct TrainerOptions {
  Index steps = 1000;          // optimizer steps in total (a resumed run continues to this)
  Index batch_size = 32;       // sequences per micro-batch
  Index accumulate = 1;        // micro-batches per optimizer step
  Index bucket_pool = 8;       // length bucketing: sort pools of this many batches by length
  LrSchedule lr;               // total_steps is set to `steps`
  AdamWConfig adamw;
  double clip = 1.0;           // global gradient-norm clip (0 = off)
  bool lomo = false;           // plain SGD (LOMO's optimizer, not fused) instead of AdamW
  Index log_every = 50;        // plain log line / curve point every N steps
  Index valid_every = 0;       // validation every N steps (0 = only at the end)
  Index checkpoint_every = 0;  // checkpoint every N steps (0 = only at the end)
  double stop_accuracy = 0;    // > 0: stop early once validation accuracy reaches this
  Index stop_at = 0;           // > 0: stop after this step as a signal would (time-sliced jobs, tests)
  std::uint64_t seed = 0;
};

/// Why train() returned.
enum class TrainEnd { Done, Stopped, EarlyStop };

struct TrainContext {
  model::LanguageModel<float>* model = nullptr;
  DataView train, valid;       // valid.targets == nullptr: no validation set
  std::string out_path;        // checkpoint file ("-" = stdout, written once at the end)
  json::Value config;          // stored in every checkpoint's `config`
  std::function<bool()> should_stop;  // polled between steps (the tools' signal flag)
};

/// Run (or continue, from `state` and `optimizer`) training. Throws xssm::Error on a non-finite
/// loss or gradient, after which the last written checkpoint is left untouched.
TrainEnd train(TrainContext& ctx, const TrainerOptions& opt, AdamW& optimizer, TrainState& state);

}  // namespace xssm::train
