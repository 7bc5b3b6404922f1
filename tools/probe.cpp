// xssm-probe: what does the recurrent state remember? Runs a checkpoint's model in step mode
// over a dataset, collects per block the block output and every named state tensor, and fits
// ridge read-outs (closed form, λ chosen on held-out sequences, test scores only):
//   capacity  Jaeger's short-term memory capacity r²(k), MC = Σ_k r²(k), on `noise` data
//   recall    MQAR: decode the value bound to each key from the state at the end of the context
//   track     decode /labels/<name> from the state at every position
// Output: a probe/1 file (lib/xssm/probe/schema.hpp).
#include <algorithm>
#include <sstream>

#include "cli.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/log.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/model/load.hpp"
#include "xssm/probe/capacity.hpp"
#include "xssm/probe/collect.hpp"
#include "xssm/probe/lm_stepper.hpp"
#include "xssm/probe/positions.hpp"
#include "xssm/probe/recall.hpp"
#include "xssm/probe/schema.hpp"
#include "xssm/probe/track.hpp"

namespace po = boost::program_options;
using namespace xssm;

namespace {

std::vector<double> parse_doubles(const std::string& s, const std::string& option) {
  std::vector<double> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (...) {
      used = 0;
    }
    if (item.empty() || used != item.size()) throw UsageError(cat(option, ": '", item, "' is not a number"));
    out.push_back(v);
  }
  if (out.empty()) throw UsageError(cat(option, ": empty list"));
  return out;
}

std::vector<double> to_doubles(const std::vector<Index>& v) { return std::vector<double>(v.begin(), v.end()); }

/// The /labels/<name> to track: --label, or the only one in the file.
std::string pick_label(const io::H5File& d, const std::string& label) {
  std::vector<std::string> names;
  if (d.exists("/labels") && d.is_group("/labels")) names = d.list("/labels");
  std::string have;
  for (auto& n : names) have += (have.empty() ? "" : ", ") + n;
  if (!label.empty()) {
    if (std::find(names.begin(), names.end(), label) == names.end())
      d.fail(cat("/labels/", label, ": not found (labels: ", have.empty() ? "none" : have, ")"));
    return label;
  }
  if (names.size() != 1)
    throw UsageError(cat("--label NAME is required: ", d.display_name(), " has ",
                         names.empty() ? std::string("no /labels") : "labels " + have));
  return names[0];
}

int body(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-probe";
  info.purpose = "probe what the hidden state remembers (memory capacity, recall, state tracking)";
  info.usage = "xssm-probe RUN.h5 --data FILE|- --probe capacity|recall|track [options] -o probe.h5|-";
  info.details =
      "Runs the model of a checkpoint (trained, or untrained at step 0: a random-feature baseline) in\n"
      "step mode over a dataset/1 file, collects per block its output and every named state tensor,\n"
      "and fits ridge read-outs (λ chosen on held-out sequences; only test scores are reported).\n"
      "  capacity  r²(k) of the input k steps back (tokens: the V−1 centred one-hot directions),\n"
      "            MC = Σ_{k=0..K} r²(k); use `xssm-gen noise` data\n"
      "  recall    MQAR data: accuracy of decoding v_j after querying k_j from the state that holds\n"
      "            m stored pairs, as a function of m\n"
      "  track     accuracy of decoding /labels/NAME at every position\n"
      "Output: probe/1 (every curve a dataset with x_label, y_label, units; see docs/probe.md).";
  info.examples = {
      "xssm-gen noise -o noise.h5 && xssm-probe run.h5 --data noise.h5 --probe capacity -o cap.h5",
      "xssm-gen mqar -o - | xssm-probe run.h5 --data - --probe recall --pairs 1,2,4,8 -o recall.h5",
      "xssm-probe run.h5 --data words.h5 --probe track --label state -o - | xssm-plot-data - --y /track/state/blocks/0/output/accuracy -o acc.png"};
  info.has_seed = true;

  std::string ckpt, data, kind, label, positions, pairs, sources, lambdas, out;
  Index max_delay = 32, washout = 0, batch = 32, max_sequences = 0;
  double valid_fraction = 0.2, test_fraction = 0.2;
  po::options_description opts("Probe options");
  opts.add_options()
      ("data", po::value<std::string>(&data)->default_value(""), "dataset/1 file, or - for stdin")
      ("probe", po::value<std::string>(&kind)->default_value(""), "capacity | recall | track")
      ("output,o", po::value<std::string>(&out)->default_value(""), "probe/1 output file, or - for stdout")
      ("label", po::value<std::string>(&label)->default_value(""), "track: the /labels/NAME to decode (default: the only one)")
      ("max-delay", po::value<Index>(&max_delay)->default_value(32), "capacity: delays k = 0..K")
      ("washout", po::value<Index>(&washout)->default_value(0), "capacity: first positions not used as samples")
      ("positions", po::value<std::string>(&positions)->default_value("all"), "track: positions to probe: all, or e.g. 0:64:4,63")
      ("pairs", po::value<std::string>(&pairs)->default_value(""), "recall: numbers of stored pairs, e.g. 1,2,4,8 (default: powers of 2 and the maximum)")
      ("sources", po::value<std::string>(&sources)->default_value("all"), "all | outputs | states: which features to read out")
      ("batch", po::value<Index>(&batch)->default_value(32), "sequences stepped together")
      ("max-sequences", po::value<Index>(&max_sequences)->default_value(0), "use the first N sequences of the data (0: all)")
      ("lambdas", po::value<std::string>(&lambdas)->default_value("1e-8,1e-6,1e-5,1e-4,1e-3,1e-2,1e-1,1,10"), "ridge λ grid (relative to the standardised Gram matrix)")
      ("valid-fraction", po::value<double>(&valid_fraction)->default_value(0.2, "0.2"), "fraction of sequences for choosing λ")
      ("test-fraction", po::value<double>(&test_fraction)->default_value(0.2, "0.2"), "fraction of sequences for the reported scores");
  po::options_description hidden;
  hidden.add_options()("checkpoint", po::value<std::string>(&ckpt), "checkpoint");
  po::positional_options_description pos;
  pos.add("checkpoint", 1);
  po::variables_map vm;
  cli::Common common;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;

  // ---- validate everything before work
  if (ckpt.empty()) throw UsageError("RUN.h5 (a checkpoint) is required");
  if (data.empty()) throw UsageError("--data FILE|- is required");
  if (ckpt == "-" && data == "-") throw UsageError("the checkpoint and --data cannot both be stdin");
  if (kind != "capacity" && kind != "recall" && kind != "track")
    throw UsageError(cat("--probe must be capacity, recall or track, got '", kind, "'"));
  if (sources != "all" && sources != "outputs" && sources != "states")
    throw UsageError(cat("--sources must be all, outputs or states, got '", sources, "'"));
  if (max_delay < 0 || washout < 0 || batch < 1 || max_sequences < 0)
    throw UsageError("--max-delay, --washout and --max-sequences must be ≥ 0, --batch ≥ 1");
  if (common.device != "cpu") throw UsageError("--device: xssm-probe runs on the CPU only");
  cli::check_output_path(out);
  probe::RidgeOptions ridge;
  ridge.lambdas = parse_doubles(lambdas, "--lambdas");
  ridge.valid_fraction = valid_fraction;
  ridge.test_fraction = test_fraction;
  ridge.seed = common.seed;
  if (valid_fraction <= 0 || test_fraction <= 0 || valid_fraction + test_fraction >= 1)
    throw UsageError("--valid-fraction and --test-fraction must be > 0 with a sum < 1");
  probe::CollectOptions copt;
  copt.batch = batch;
  copt.outputs = sources != "states";
  copt.states = sources != "outputs";

  const io::H5File cf = io::H5File::open(ckpt);
  model::LanguageModel<float> model = model::load_model<float>(cf);
  probe::LmStepper stepper(model);
  const std::int64_t step = cf.has_attr("/", "step") ? cf.attr_int("/", "step") : 0;
  const io::H5File df = io::H5File::open(data);
  io::expect_format(df, "dataset/1");
  const bool real = model.config().input_dim > 0;
  Tensor<std::int32_t> ids;
  Tensor<float> xr;
  Index N = 0, S = 0;
  if (real) {
    if (!df.exists("/inputs_real"))
      df.fail(cat("/inputs_real: not found (the model takes real inputs of width ", model.config().input_dim, ")"));
    xr = df.read<float>("/inputs_real", Shape{-1, -1, model.config().input_dim});
    N = xr.dim(0), S = xr.dim(1);
  } else {
    ids = df.read<std::int32_t>("/inputs", Shape{-1, -1});
    N = ids.dim(0), S = ids.dim(1);
    for (Index i = 0; i < ids.size(); ++i)
      if (ids[i] < 0 || ids[i] >= model.vocab_size())
        df.fail(cat("/inputs: token ", ids[i], " outside the model's vocabulary [0,", model.vocab_size(), ")"));
  }
  if (max_sequences > 0 && max_sequences < N) {
    N = max_sequences;
    if (real) {
      Tensor<float> t(Shape{N, S, xr.dim(2)});
      std::copy(xr.data(), xr.data() + t.size(), t.data());
      xr = std::move(t);
    } else {
      Tensor<std::int32_t> t(Shape{N, S});
      std::copy(ids.data(), ids.data() + t.size(), t.data());
      ids = std::move(t);
    }
  }
  if (N < 3) df.fail(cat("probes need at least 3 sequences (train / valid / test), the data has ", N));
  if (kind == "recall" && real) throw UsageError("--probe recall needs token data (MQAR)");
  std::string label_name;
  Tensor<std::int32_t> labels;
  if (kind == "track") {
    label_name = pick_label(df, label);
    labels = df.read<std::int32_t>("/labels/" + label_name, Shape{-1, S});
    if (labels.dim(0) < N) df.fail(cat("/labels/", label_name, ": ", labels.dim(0), " rows for ", N, " sequences"));
  }
  std::vector<Index> track_positions;
  if (kind == "track") track_positions = probe::parse_positions(positions, S);
  if (kind == "capacity" && std::max(washout, max_delay) >= S)
    throw UsageError(cat("--max-delay ", max_delay, " and --washout ", washout, " leave no samples in sequences of length ", S));

  log::info("probe ", kind, ": ", model.config().spec, " (step ", step, ") on ", N, " sequences of length ", S);
  json::Value config = cli::options_json(vm);
  config["checkpoint"] = ckpt;
  auto fout = io::H5File::create(out);

  if (kind == "capacity") {
    copt.positions.clear();
    const probe::Collected c = real ? probe::collect_real(stepper, xr, copt) : probe::collect(stepper, ids, copt);
    Tensor<double> u;
    if (real) u = xr.cast<double>();
    else {
      // The data's vocabulary (noise draws tokens uniformly from it), not the model's: channels
      // for tokens that never occur would be linear combinations of the others and count twice.
      Index V = df.has_attr("/", "vocab_size") ? df.attr_int("/", "vocab_size") : model.vocab_size();
      for (Index i = 0; i < ids.size(); ++i) V = std::max<Index>(V, Index(ids[i]) + 1);
      u = probe::token_channels(ids, std::min<Index>(V, model.vocab_size()));
      fout.set_attr("/", "input_vocab_size", std::int64_t(std::min<Index>(V, model.vocab_size())));
    }
    probe::CapacityOptions capt;
    capt.max_delay = max_delay;
    capt.washout = washout;
    capt.ridge = ridge;
    std::vector<probe::CapacityResult> res(c.sources.size());
    parallel_for(Index(c.sources.size()),
                 [&](Index k) { res[size_t(k)] = probe::memory_capacity(c.features[size_t(k)], u, capt); });
    probe::write_probe_header(fout, config, model.config().to_json(), kind, step, c.sources);
    std::vector<double> delays, mc, index;
    for (Index k = 0; k <= max_delay; ++k) delays.push_back(double(k));
    probe::write_axis(fout, "/capacity/delay", delays, "delay k", "steps");
    for (size_t k = 0; k < res.size(); ++k) {
      const std::string ds = "/capacity/" + c.sources[k].name + "/r2";
      probe::write_curve(fout, ds, res[k].r2, "/capacity/delay", "r²(k) (test)", "1");
      fout.set_attr(ds, "mc", res[k].mc);
      fout.set_attr(ds, "state_numel", c.sources[k].numel);
      mc.push_back(res[k].mc);
      index.push_back(double(k));
      log::info(c.sources[k].name, " (", c.sources[k].numel, " numbers): MC = ", res[k].mc);
    }
    probe::write_axis(fout, "/capacity/source", index, "source (index into /state/names)", "1");
    probe::write_curve(fout, "/capacity/mc", mc, "/capacity/source", "memory capacity MC = Σ_k r²(k)", "1");
    fout.set_attr("/capacity", "inputs", real ? "real" : "tokens (V−1 centred one-hot directions)");
  } else if (kind == "track") {
    copt.positions = track_positions;
    const probe::Collected c = real ? probe::collect_real(stepper, xr, copt) : probe::collect(stepper, ids, copt);
    Tensor<std::int32_t> lab(Shape{N, S});
    std::copy(labels.data(), labels.data() + lab.size(), lab.data());
    std::vector<probe::TrackResult> res(c.sources.size());
    parallel_for(Index(c.sources.size()), [&](Index k) {
      res[size_t(k)] = probe::track_probe(c.features[size_t(k)], c.positions, lab, ridge);
    });
    probe::write_probe_header(fout, config, model.config().to_json(), kind, step, c.sources);
    const std::string base = "/track/" + label_name;
    probe::write_axis(fout, "/track/position", to_doubles(c.positions), "position", "tokens");
    std::vector<double> overall, index;
    for (size_t k = 0; k < res.size(); ++k) {
      const std::string ds = base + "/" + c.sources[k].name + "/accuracy";
      probe::write_curve(fout, ds, res[k].accuracy, "/track/position", "accuracy of " + label_name + " (test)", "1");
      fout.set_attr(ds, "overall", res[k].overall);
      overall.push_back(res[k].overall);
      index.push_back(double(k));
      log::info(c.sources[k].name, ": ", label_name, " accuracy ", res[k].overall);
    }
    if (!res.empty())
      probe::write_curve(fout, base + "/chance", res[0].chance, "/track/position", "majority-label accuracy", "1");
    probe::write_axis(fout, "/track/source", index, "source (index into /state/names)", "1");
    probe::write_curve(fout, base + "/overall", overall, "/track/source", "accuracy of " + label_name + " (test)", "1");
  } else {
    const Tensor<std::int32_t> targets_all = df.read<std::int32_t>("/targets", Shape{-1, S});
    Tensor<std::int32_t> targets(Shape{N, S});
    std::copy(targets_all.data(), targets_all.data() + targets.size(), targets.data());
    const probe::MqarLayout layout = probe::mqar_layout(ids, targets);
    probe::RecallOptions ropt;
    ropt.collect = copt;
    ropt.ridge = ridge;
    if (pairs.empty()) {
      for (Index m = 1; m < layout.max_pairs; m *= 2) ropt.pair_counts.push_back(m);
      ropt.pair_counts.push_back(layout.max_pairs);
    } else {
      for (double v : parse_doubles(pairs, "--pairs")) ropt.pair_counts.push_back(Index(v));
    }
    const probe::RecallResult res = probe::recall_probe(stepper, ids, layout, ropt);
    probe::write_probe_header(fout, config, model.config().to_json(), kind, step, res.sources);
    probe::write_axis(fout, "/recall/pairs", to_doubles(res.pair_counts), "stored key-value pairs m", "pairs");
    for (size_t k = 0; k < res.sources.size(); ++k) {
      probe::write_curve(fout, "/recall/" + res.sources[k].name + "/accuracy", res.accuracy[k], "/recall/pairs",
                         "value recall accuracy (test)", "1");
      log::info(res.sources[k].name, ": recall accuracy at m = ", res.pair_counts.back(), ": ", res.accuracy[k].back());
    }
    probe::write_curve(fout, "/recall/chance", res.chance, "/recall/pairs", "most frequent value's rate", "1");
  }
  fout.commit();
  return cli::kExitOk;
}

}  // namespace

int probe_main(int argc, char** argv) { return cli::run("xssm-probe", argc, argv, body); }
