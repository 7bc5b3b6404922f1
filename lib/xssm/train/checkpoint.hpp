// checkpoint/1 (DESIGN.md §3): everything needed to evaluate, probe or resume a run.
//   root attrs  xssm_format, xssm_version, created_by, config (the training options, JSON),
//               model (spec string), model_config (ModelConfig JSON), step, tokens_seen
//   /params/<name>                 float32 parameters under their registry names
//   /optimizer/<name>/{m,v}        AdamW moments; attribute /optimizer:steps
//   /sampler                       attributes epoch, cursor (the batch order is a function of them)
//   /log/<curve>                   training curves (step, loss, accuracy, lr, grad_norm,
//                                  tokens_per_s; valid_step, valid_loss, valid_accuracy), each
//                                  with x_label, y_label, units attributes for xssm-plot-data
// Files are written to a temporary name and renamed (io::H5File::commit), so a crash or kill -9
// during a write leaves the previous checkpoint intact.
#pragma once
#include <string>
#include <vector>

#include "xssm/core/json.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/model/lm.hpp"
#include "xssm/train/optimizer.hpp"

namespace xssm::train {

struct TrainLog {
  std::vector<double> step, loss, accuracy, lr, grad_norm, tokens_per_s;
  std::vector<double> valid_step, valid_loss, valid_accuracy;
};

struct TrainState {
  Index step = 0;         // optimizer steps done
  Index tokens_seen = 0;  // scored + unscored input tokens consumed
  Index epoch = 0, cursor = 0;
  TrainLog log;
};

/// Write a checkpoint to `path` ("-" = stdout). `optimizer` may be null (no /optimizer group).
void save_checkpoint(const std::string& path, model::LanguageModel<float>& m, AdamW* optimizer,
                     const TrainState& st, const json::Value& train_config);

/// Restore parameters, optimizer moments (when `optimizer` is given), sampler position and log.
void load_checkpoint(const io::H5File& f, model::LanguageModel<float>& m, AdamW* optimizer, TrainState& st);

/// The training options stored in a checkpoint's `config`.
json::Value checkpoint_train_config(const io::H5File& f);

}  // namespace xssm::train
