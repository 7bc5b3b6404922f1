// xssm-train: train a model on a dataset/1 file and write a checkpoint/1 file.
#include <csignal>

#include "cli.hpp"
#include "tool_options.hpp"
#include "xssm/core/log.hpp"
#include "xssm/io/dataset_schema.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/model/load.hpp"
#include "xssm/train/trainer.hpp"

namespace xssm {

namespace po = boost::program_options;

namespace {

train::DataView view(const io::Dataset& d) {
  train::DataView v;
  v.inputs = &d.inputs;
  v.targets = &d.targets;
  v.inputs_real = d.has_real() ? &d.inputs_real : nullptr;
  return v;
}

int body(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-train";
  info.purpose = "train a sequence model on a dataset and write a checkpoint";
  info.usage = "xssm-train --model SPEC [sizes] --data FILE|- [--valid FILE] -o run.h5|-";
  info.details =
      "Checkpoints are written atomically (temporary name, then rename). SIGTERM, SIGINT or SIGUSR1\n"
      "finish the current step, write the checkpoint and exit with code 143; continue with\n"
      "--resume run.h5 (same options and seed: bit-identical to an uninterrupted run). A NaN/Inf\n"
      "loss or gradient stops with exit 1 and leaves the last checkpoint untouched.";
  info.examples = {
      "xssm-gen mqar --n 2000 --len 64 --kv-pairs 8 -o - | xssm-train --model 'xlstm[1:1]' --data - -o run.h5",
      "xssm-train --model mamba --d-model 64 --data train.h5 --valid valid.h5 --steps 2000 --lr 3e-3 -o mamba.h5",
      "xssm-train --resume run.h5 --data train.h5 --steps 4000 -o run.h5   # continue a stopped run",
  };
  info.has_seed = true;
  cli::Common common;
  model::ModelConfig mc;
  train::TrainerOptions to;
  std::string data, valid, out, resume, slstm_at;
  po::options_description io_opts("Input and output");
  io_opts.add_options()
      ("data", po::value<std::string>(&data), "training set (dataset/1 file, or - for stdin)")
      ("valid", po::value<std::string>(&valid), "validation set (dataset/1 file)")
      ("output,o", po::value<std::string>(&out), "checkpoint to write (or - for stdout, written at the end)")
      ("resume", po::value<std::string>(&resume), "continue from this checkpoint (model, optimizer, sampler, log)");
  po::options_description model_opts("Model (ignored with --resume: the checkpoint's model is used)");
  cli::add_model_options(model_opts, mc, slstm_at);
  po::options_description train_opts("Training");
  cli::add_trainer_options(train_opts, to);
  po::options_description visible;
  visible.add(io_opts).add(model_opts).add(train_opts);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, visible, {}, {}, vm, common)) return cli::kExitOk;

  if (data.empty()) throw UsageError("--data is required (a dataset/1 file, or - for stdin)");
  if (out.empty() && !resume.empty()) out = resume;
  cli::check_output_path(out);
  if (data == "-" && valid == "-") throw UsageError("--data and --valid cannot both be stdin");
  if (out == "-" && to.checkpoint_every > 0)
    log::warn("-o -: checkpoints go to stdout once, at the end; --checkpoint-every is ignored");
  cli::apply_slstm_at(mc, slstm_at);
  to.seed = common.seed;

  const io::Dataset train_set = io::read_dataset(data);
  io::Dataset valid_set;
  if (!valid.empty()) valid_set = io::read_dataset(valid);
  const std::string data_name = data == "-" ? "stdin" : data;

  // The model: from the checkpoint when resuming, else new from the options and the data.
  std::unique_ptr<model::LanguageModel<float>> m;
  train::TrainState st;
  std::unique_ptr<io::H5File> resume_file;
  if (!resume.empty()) {
    resume_file = std::make_unique<io::H5File>(io::H5File::open(resume));
    const model::ModelConfig saved = model::read_model_config(*resume_file);
    if (!vm["model"].defaulted() && mc.spec != saved.spec)
      throw Error(cat(resume, ": checkpoint is a '", saved.spec, "' model, but --model ", mc.spec, " was given"));
    m = std::make_unique<model::LanguageModel<float>>(saved);
  } else {
    mc.vocab_size = train_set.vocab_size;
    if (train_set.has_real()) mc.input_dim = train_set.inputs_real.dim(2);
    m = std::make_unique<model::LanguageModel<float>>(mc);
    Rng rng(common.seed);
    m->init(rng);
  }
  train_set.check_vocab(data_name, m->vocab_size());
  if (!valid.empty()) valid_set.check_vocab(valid, m->vocab_size());
  if (train_set.has_real() != (m->config().input_dim > 0))
    throw Error(cat(data_name, ": the model takes ", m->config().input_dim > 0 ? "real-valued" : "token",
                    " inputs, the dataset has ", train_set.has_real() ? "real-valued" : "token", " inputs"));

  train::AdamW optimizer(m->params(), to.adamw);
  if (resume_file) {
    train::load_checkpoint(*resume_file, *m, &optimizer, st);
    resume_file.reset();
    if (st.step >= to.steps) log::warn("checkpoint is already at step ", st.step, " ≥ --steps ", to.steps);
  }
  log::info(m->config().spec, ": ", m->params().numel(), " parameters, ", m->num_blocks(), " blocks; ",
            train_set.n(), " training sequences of length ", train_set.seq_len());

  json::Value cfg = cli::options_json(vm);
  cfg["train_seq_len"] = train_set.seq_len();  // xssm-eval runs longer sequences in step mode
  train::TrainContext ctx;
  ctx.model = m.get();
  ctx.train = view(train_set);
  if (!valid.empty()) ctx.valid = view(valid_set);
  ctx.out_path = out;
  ctx.config = cfg;
  ctx.should_stop = [] { return cli::stop_requested(); };
  cli::install_stop_handlers();
  const train::TrainEnd end = train::train(ctx, to, optimizer, st);
  if (end == train::TrainEnd::Stopped) {
    if (cli::stop_requested())
      log::info("stopped by signal ", cli::stop_signal(), " at step ", st.step, "; checkpoint written to ", out,
                " (continue with --resume)");
    else
      log::info("stopped at step ", st.step, " (--stop-at); checkpoint written to ", out, " (continue with --resume)");
    return cli::kExitStopped;
  }
  log::info("done: step ", st.step, ", checkpoint ", out == "-" ? std::string("written to stdout") : out);
  return cli::kExitOk;
}

}  // namespace
}  // namespace xssm

int train_main(int argc, char** argv) { return xssm::cli::run("xssm-train", argc, argv, xssm::body); }
