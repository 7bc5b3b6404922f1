// xssm-eval: evaluate a checkpoint on a dataset and write metrics/1 (plus a JSON summary line).
#include <cmath>
#include <cstdio>

#include "cli.hpp"
#include "xssm/core/log.hpp"
#include "xssm/io/dataset_schema.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/model/load.hpp"
#include "xssm/train/checkpoint.hpp"
#include "xssm/train/evaluate.hpp"

namespace xssm {

namespace po = boost::program_options;

namespace {

Tensor<double> vec(const std::vector<double>& v) { return Tensor<double>({Index(v.size())}, v); }

/// ratio[i] = num[i]/den[i] (NaN where nothing was counted: shown as gaps by plots).
std::vector<double> ratio(const std::vector<double>& num, const std::vector<double>& den) {
  std::vector<double> r(num.size());
  for (size_t i = 0; i < num.size(); ++i) r[i] = den[i] > 0 ? num[i] / den[i] : NAN;
  return r;
}

void write_curve(io::H5File& f, const std::string& name, const std::vector<double>& y, const char* x_name,
                 const char* x_label, const char* y_label, const char* units) {
  f.write("/" + name, vec(y));
  f.set_attr("/" + name, "x", x_name);
  f.set_attr("/" + name, "x_label", x_label);
  f.set_attr("/" + name, "y_label", y_label);
  f.set_attr("/" + name, "units", units);
}

int body(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-eval";
  info.purpose = "evaluate a checkpoint on a dataset: loss, perplexity, accuracies (metrics/1)";
  info.usage = "xssm-eval run.h5 --data FILE|- [-o metrics.h5|-] [--dump logits|states]";
  info.details =
      "Prints one JSON line with the summary on stdout (on stderr when -o - sends the file to stdout).\n"
      "Sequences longer than the training sequences run in step (recurrent) mode, in memory that does\n"
      "not grow with the length (attention's KV cache aside).";
  info.examples = {
      "xssm-eval run.h5 --data test.h5 -o metrics.h5",
      "xssm-gen formal --lang parity --min-len 40 --max-len 256 --n 500 -o - | xssm-eval run.h5 --data - -o long.h5",
      "xssm-eval run.h5 --data test.h5 --dump logits -o logits.h5",
  };
  cli::Common common;
  std::string ckpt, data, out, dump;
  Index batch_size = 32, max_parallel = -1;
  po::options_description opts("Options");
  opts.add_options()
      ("data", po::value<std::string>(&data), "dataset/1 file to evaluate on (or - for stdin)")
      ("output,o", po::value<std::string>(&out), "metrics/1 file to write (or - for stdout); optional")
      ("batch-size", po::value<Index>(&batch_size)->default_value(batch_size), "sequences per batch")
      ("max-parallel-len", po::value<Index>(&max_parallel)->default_value(max_parallel),
       "longer sequences run in step mode (-1: the training length, 0: never)")
      ("dump", po::value<std::string>(&dump), "also write per-position logits or named states: logits | states");
  po::options_description hidden;
  hidden.add_options()("checkpoint", po::value<std::string>(&ckpt));
  po::positional_options_description pos;
  pos.add("checkpoint", 1);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;
  if (ckpt.empty()) throw UsageError("a checkpoint file is required (xssm-eval run.h5 --data FILE)");
  if (data.empty()) throw UsageError("--data is required (a dataset/1 file, or - for stdin)");
  if (ckpt == "-" && data == "-") throw UsageError("the checkpoint and --data cannot both be stdin");
  if (!dump.empty() && dump != "logits" && dump != "states")
    throw UsageError(cat("--dump must be logits or states, got '", dump, "'"));
  if (!dump.empty() && out.empty()) throw UsageError("--dump needs -o (the file the dump goes to)");
  if (!out.empty()) cli::check_output_path(out);
  if (batch_size <= 0) throw UsageError("--batch-size must be positive");

  const io::H5File cf = io::H5File::open(ckpt);
  model::LanguageModel<float> m = model::load_model<float>(cf);
  const json::Value train_cfg = train::checkpoint_train_config(cf);
  const Index train_len = train_cfg.get_int("train_seq_len", 0);
  const Index step = cf.has_attr("/", "step") ? cf.attr_int("/", "step") : 0;
  const io::Dataset ds = io::read_dataset(data);
  const std::string data_name = data == "-" ? "stdin" : data;
  if (ds.has_real() != (m.config().input_dim > 0))
    throw Error(cat(data_name, ": the model takes ", m.config().input_dim > 0 ? "real-valued" : "token",
                    " inputs, the dataset has ", ds.has_real() ? "real-valued" : "token", " inputs"));
  ds.check_vocab(data_name, m.vocab_size());

  train::DataView v;
  v.inputs = &ds.inputs;
  v.targets = &ds.targets;
  v.inputs_real = ds.has_real() ? &ds.inputs_real : nullptr;
  train::EvalOptions eo;
  eo.batch_size = batch_size;
  eo.max_parallel_len = max_parallel < 0 ? train_len : max_parallel;
  eo.force_step = dump == "states";

  const Index N = ds.n(), S = ds.seq_len(), V = m.vocab_size();
  Tensor<float> logits_dump;
  if (dump == "logits") logits_dump = Tensor<float>({N, S, V});
  std::vector<std::pair<std::string, Tensor<float>>> state_dump;  // name → (N,S,...)
  std::vector<char> grows;  // states whose size changes with t (KV caches): not dumped
  train::LogitsHook on_logits;
  if (dump == "logits")
    on_logits = [&](const train::Batch& b, const Tensor<float>& lg) {
      for (size_t j = 0; j < b.rows.size(); ++j)
        std::copy_n(lg.ptr(Index(j)), b.length * V, logits_dump.ptr(b.rows[j]));
    };
  train::StepHook on_step;
  if (dump == "states")
    on_step = [&](const train::Batch& b, Index t, const Tensor<float>&, const model::ModelState<float>& st) {
      size_t k = 0;
      for (size_t i = 0; i < st.blocks.size(); ++i)
        for (auto& [name, tensor] : st.blocks[i]) {
          const Index B = Index(b.rows.size()), per = tensor.size() / B;
          if (k == state_dump.size()) {
            Shape s = {N, S};
            for (int a = 1; a < tensor.rank(); ++a) s.push_back(tensor.dim(a));
            state_dump.emplace_back(cat("/dump/states/blocks/", i, "/", name), Tensor<float>(s));
            grows.push_back(0);
          }
          Tensor<float>& dst = state_dump[k].second;
          if (dst.size() / (N * S) != per) grows[k] = 1;
          if (grows[k++]) continue;
          for (Index j = 0; j < B; ++j)
            std::copy_n(tensor.data() + j * per, per, dst.data() + (b.rows[size_t(j)] * S + t) * per);
        }
    };
  const train::EvalResult r = train::evaluate(m, v, eo, on_logits, on_step);

  json::Value summary = json::Value::object();
  summary["checkpoint"] = ckpt == "-" ? std::string("stdin") : ckpt;
  summary["data"] = data_name;
  summary["model"] = m.config().spec;
  summary["params"] = m.params().numel();
  summary["step"] = step;
  summary["loss"] = r.loss;
  summary["perplexity"] = std::exp(r.loss);
  summary["accuracy"] = r.accuracy;
  summary["seq_accuracy"] = r.seq_accuracy;
  summary["scored"] = r.scored;
  summary["sequences"] = r.sequences;
  summary["step_mode_sequences"] = r.step_mode_sequences;
  std::FILE* js = out == "-" ? stderr : stdout;
  std::fprintf(js, "%s\n", summary.dump().c_str());
  std::fflush(js);

  if (out.empty()) return cli::kExitOk;
  io::H5File f = io::H5File::create(out);
  json::Value cfg = cli::options_json(vm);
  io::write_header(f, "metrics/1", cfg);
  f.set_attr("/", "model", m.config().spec);
  f.set_attr("/", "model_config", m.config().to_json().dump());
  f.set_attr("/", "step", std::int64_t(step));
  f.set_attr("/", "summary", summary.dump());
  for (const char* k : {"loss", "perplexity", "accuracy", "seq_accuracy"})
    f.set_attr("/", k, summary.at(k).as_number());
  std::vector<double> position(static_cast<size_t>(S)), length(static_cast<size_t>(S + 1));
  for (Index t = 0; t < S; ++t) position[size_t(t)] = double(t);
  for (Index l = 0; l <= S; ++l) length[size_t(l)] = double(l);
  write_curve(f, "position", position, "position", "position", "position", "tokens");
  write_curve(f, "length", length, "length", "sequence length", "sequence length", "tokens");
  write_curve(f, "accuracy_by_position", ratio(r.pos_correct, r.pos_count), "position", "position",
              "token accuracy", "fraction");
  write_curve(f, "count_by_position", r.pos_count, "position", "position", "scored tokens", "tokens");
  write_curve(f, "accuracy_by_length", ratio(r.len_correct, r.len_count), "length", "sequence length",
              "token accuracy", "fraction");
  write_curve(f, "seq_accuracy_by_length", ratio(r.seq_len_correct, r.seq_len_count), "length",
              "sequence length", "sequence accuracy", "fraction");
  write_curve(f, "count_by_length", r.seq_len_count, "length", "sequence length", "sequences", "sequences");
  if (dump == "logits") f.write("/dump/logits", logits_dump);
  for (size_t k = 0; k < state_dump.size(); ++k) {
    if (grows[k]) {
      log::warn(state_dump[k].first, " grows with the position (a KV cache): not dumped");
      continue;
    }
    f.write(state_dump[k].first, state_dump[k].second);
  }
  f.commit();
  return cli::kExitOk;
}

}  // namespace
}  // namespace xssm

int eval_main(int argc, char** argv) { return xssm::cli::run("xssm-eval", argc, argv, xssm::body); }
