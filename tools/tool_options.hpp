// Binders from library option structs to Boost.Program_options (Kaldi's Register): train, eval
// and probe spell shared options identically, and Boost stays out of libxssm.
#pragma once
#include <string>
#include <vector>

#include "cli.hpp"
#include "xssm/model/config.hpp"
#include "xssm/train/trainer.hpp"

namespace xssm::cli {

/// --model and the size options of a new model. `slstm_at` receives the raw --slstm-at list.
void add_model_options(po::options_description& d, model::ModelConfig& m, std::string& slstm_at);
/// Apply the parsed --slstm-at list ("1,3") to the config.
void apply_slstm_at(model::ModelConfig& m, const std::string& slstm_at);
/// Steps, batching, optimizer, schedule, clipping, logging and checkpoint cadence.
void add_trainer_options(po::options_description& d, train::TrainerOptions& t);

}  // namespace xssm::cli
