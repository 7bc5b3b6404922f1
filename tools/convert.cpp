// xssm-convert: official checkpoints in and out (safetensors), byte-level text datasets, pruning
// (Wanda, magnitude) and ternary weights. One subcommand per job; docs/convert.md has the maths.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>

#include "cli.hpp"
#include "xssm/core/log.hpp"
#include "xssm/io/dataset_schema.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/io/safetensors.hpp"
#include "xssm/model/load.hpp"
#include "xssm/model/official.hpp"
#include "xssm/nn/activation_recorder.hpp"
#include "xssm/tasks/text.hpp"
#include "xssm/train/checkpoint.hpp"

namespace xssm {

namespace po = boost::program_options;

namespace {

using model::OfficialFamily;

bool ends_with(const std::string& s, const std::string& x) {
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// ---- sLSTM parameter layouts (fixtures README, "Surprises" 2)
//   vanilla: _recurrent_kernel_ (NH, 4DH, DH) = R[h, g·DH + o, i];  _bias_ [gate][head][d]
//   cuda:    _recurrent_kernel_ (NH, DH, 4DH) = R[h, i, g·DH + o];  _bias_ [head][gate][d]
// The kernel is the transpose of the last two axes; the bias swaps its two outer axes.
enum class Layout { Vanilla, Cuda };

std::string layout_name(Layout l) { return l == Layout::Vanilla ? "vanilla" : "cuda"; }

bool is_slstm_kernel(const std::string& xname) { return ends_with(xname, "slstm_cell/_recurrent_kernel_"); }
bool is_slstm_bias(const std::string& xname) { return ends_with(xname, "slstm_cell/_bias_"); }

Tensor<float> swap_last_two(const Tensor<float>& r) {
  const Index A = r.dim(0), B = r.dim(1), C = r.dim(2);
  Tensor<float> out({A, C, B});
  for (Index a = 0; a < A; ++a)
    for (Index b = 0; b < B; ++b)
      for (Index c = 0; c < C; ++c) out.at(a, c, b) = r.at(a, b, c);
  return out;
}

/// Bias (4·NH·DH) between [outer][inner][d] orders: b_out[i][o][d] = b_in[o][i][d].
Tensor<float> swap_bias(const Tensor<float>& b, Index outer, Index inner, Index dh) {
  Tensor<float> out(b.shape());
  for (Index o = 0; o < outer; ++o)
    for (Index i = 0; i < inner; ++i)
      for (Index d = 0; d < dh; ++d) out.data()[(i * outer + o) * dh + d] = b.data()[(o * inner + i) * dh + d];
  return out;
}

// ---- shared helpers

OfficialFamily family_of(const model::ModelConfig& c) {
  if (c.spec == "mamba" || c.spec == "mamba2") return OfficialFamily::Mamba;
  if (c.spec == "mlstm" || c.spec == "slstm" || starts_with(c.spec, "xlstm")) return OfficialFamily::Xlstm;
  throw Error(cat("a '", c.spec, "' model has no official checkpoint format (xLSTM and Mamba models only)"));
}

std::string family_name(OfficialFamily f) { return f == OfficialFamily::Xlstm ? "xlstm" : "mamba"; }

Layout parse_layout(const std::string& s, const std::string& what) {
  if (s == "vanilla") return Layout::Vanilla;
  if (s == "cuda") return Layout::Cuda;
  throw UsageError(cat(what, " must be vanilla or cuda, got '", s, "'"));
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(cat(path, ": cannot open for reading"));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A checkpoint with its model and the state/config to carry over when rewriting it.
struct Run {
  std::unique_ptr<model::LanguageModel<float>> model;
  train::TrainState state;
  json::Value config;
};

Run load_run(const std::string& path) {
  const io::H5File f = io::H5File::open(path);
  Run r;
  r.model = std::make_unique<model::LanguageModel<float>>(model::load_model<float>(f));
  train::load_checkpoint(f, *r.model, nullptr, r.state);
  r.config = train::checkpoint_train_config(f);
  if (!r.config.is_object()) r.config = json::Value::object();
  return r;
}

// ---- import

int import_main(int argc, char** argv) {
  // --config CONFIG.json (the official config) shares its name with every tool's --config INI:
  // a file that starts with '{' is taken as the official JSON config and removed from argv.
  std::string json_config;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i], value;
    bool take = false;
    if (a == "--config" && i + 1 < argc) value = argv[i + 1], take = true;
    if (starts_with(a, "--config=")) value = a.substr(9);
    if (!value.empty()) {
      const std::string text = read_text_file(value);
      const auto p = text.find_first_not_of(" \t\r\n");
      if (p != std::string::npos && text[p] == '{') {
        json_config = value;
        if (take) ++i;
        continue;
      }
    }
    args.push_back(argv[i]);
  }
  cli::ToolInfo info;
  info.name = "xssm-convert import";
  info.purpose = "import an official xLSTM or Mamba safetensors checkpoint into an xssm checkpoint";
  info.usage = "xssm-convert import --from xlstm|mamba MODEL.safetensors [--config CONFIG.json] "
               "[--slstm-layout vanilla|cuda|auto] -o run.h5";
  info.details =
      "The official config comes from --config CONFIG.json (a JSON file), else from the file's\n"
      "__metadata__ 'config'. sLSTM _recurrent_kernel_/_bias_ are stored in the 'vanilla' or the\n"
      "'cuda' layout under the same names: --slstm-layout, else the metadata 'slstm_param_layout',\n"
      "else (auto) the kernel's shape decides; the bias alone never decides.";
  info.examples = {"xssm-convert import --from xlstm xlstm_lm.safetensors -o run.h5",
                   "xssm-convert import --from mamba model.safetensors --config config.json -o mamba.h5"};
  cli::Common common;
  std::string from, in, out, layout_opt = "auto";
  po::options_description opts("Options");
  opts.add_options()("from", po::value<std::string>(&from), "official family: xlstm | mamba")(
      "slstm-layout", po::value<std::string>(&layout_opt)->default_value(layout_opt), "vanilla | cuda | auto")(
      "output,o", po::value<std::string>(&out), "xssm checkpoint to write");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::string>(&in));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  if (!cli::parse(int(args.size()), args.data(), info, opts, hidden, pos, vm, common)) return cli::kExitOk;
  if (from.empty()) throw UsageError("--from is required (xlstm or mamba)");
  if (in.empty()) throw UsageError("a safetensors file is required");
  cli::check_output_path(out);
  const OfficialFamily fam = model::parse_official_family(from);
  if (layout_opt != "auto") parse_layout(layout_opt, "--slstm-layout");

  const io::Safetensors st = io::read_safetensors(in);
  json::Value ocfg;
  std::string cfg_from;
  if (!json_config.empty()) {
    cfg_from = json_config;
    try {
      ocfg = json::parse(read_text_file(json_config));
    } catch (const Error& e) {
      throw Error(cat(json_config, ": ", e.what()));
    }
  } else if (const std::string* c = st.meta("config")) {
    cfg_from = in + " __metadata__.config";
    try {
      ocfg = json::parse(*c);
    } catch (const Error& e) {
      throw Error(cat(in, ": __metadata__.config: ", e.what()));
    }
  } else {
    throw Error(cat(in, ": no config in __metadata__; give the official config with --config CONFIG.json"));
  }
  model::ModelConfig mc;
  try {
    mc = model::config_from_official(ocfg, fam);
  } catch (const Error& e) {
    throw Error(cat(cfg_from, ": ", e.what()));
  }
  model::LanguageModel<float> m(mc);
  auto& params = m.params();

  // The sLSTM layout: given, else the metadata's, else inferred from every kernel's shape.
  std::string layout_src;
  Layout layout = Layout::Vanilla;
  bool have_layout = false;
  if (layout_opt != "auto") {
    layout = parse_layout(layout_opt, "--slstm-layout");
    have_layout = true;
    layout_src = "--slstm-layout";
  } else if (const std::string* l = st.meta("slstm_param_layout")) {
    layout = parse_layout(*l, cat(in, ": __metadata__.slstm_param_layout"));
    have_layout = true;
    layout_src = "__metadata__.slstm_param_layout";
  }
  bool any_slstm = false;
  for (const auto& t : st.tensors) {
    if (!ends_with(t.name, "slstm_cell._recurrent_kernel_")) continue;
    any_slstm = true;
    std::string xname;
    try {
      xname = model::from_official_name(t.name, fam);
    } catch (const Error& e) {
      throw Error(cat(in, ": ", e.what()));
    }
    const nn::Param<float>* p = params.find(xname);
    if (!p) continue;  // reported below as an unused tensor
    const Shape& v = p->value.shape();  // vanilla (NH, 4DH, DH)
    const Shape c = {v[0], v[2], v[1]};
    const Layout by_shape = t.shape == v ? Layout::Vanilla : t.shape == c ? Layout::Cuda : Layout::Vanilla;
    if (t.shape != v && t.shape != c)
      throw Error(cat(in, ": tensor '", t.name, "' has shape ", shape_str(t.shape), ", expected ", shape_str(v),
                      " (vanilla layout) or ", shape_str(c), " (cuda layout)"));
    if (have_layout && by_shape != layout)
      throw Error(cat(in, ": tensor '", t.name, "' has the ", layout_name(by_shape), " shape ", shape_str(t.shape),
                      " but ", layout_src, " says ", layout_name(layout)));
    if (!have_layout) {
      layout = by_shape;
      have_layout = true;
      layout_src = cat("the shape of ", t.name);
    }
  }
  if (any_slstm) log::info("sLSTM parameters in the ", layout_name(layout), " layout (from ", layout_src, ")");

  // Every official tensor used once, every xssm parameter filled once.
  std::vector<std::string> filled;
  for (const auto& t : st.tensors) {
    std::string xname;
    try {
      xname = model::from_official_name(t.name, fam);
    } catch (const Error& e) {
      throw Error(cat(in, ": ", e.what()));
    }
    nn::Param<float>* p = params.find(xname);
    Tensor<float> v = st.get<float>(t.name);
    if (!p && mc.tie_embeddings && xname == "lm_head/weight") {
      // A tied head stored anyway (the state_dict lists both names): it must be the embedding.
      const nn::Param<float>* e = params.find("token_embedding/weight");
      if (!e || v.shape() != e->value.shape()) throw Error(cat(in, ": tensor '", t.name, "' does not match the tied embedding"));
      const std::string emb = model::to_official_name("token_embedding/weight", fam);
      const io::StTensor* et = st.find(emb);
      if (!et || et->data != t.data || et->dtype != t.dtype)
        throw Error(cat(in, ": tensor '", t.name, "' differs from '", emb, "' but the config ties them"));
      continue;
    }
    if (!p) throw Error(cat(in, ": tensor '", t.name, "' has no place in a ", mc.spec, " model with this config"));
    if (std::find(filled.begin(), filled.end(), xname) != filled.end())
      throw Error(cat(in, ": tensor '", t.name, "' maps to '", xname, "' twice"));
    if (layout == Layout::Cuda && is_slstm_kernel(xname) && v.rank() == 3) v = swap_last_two(v);
    if (layout == Layout::Cuda && is_slstm_bias(xname)) {
      const nn::Param<float>* k = params.find(xname.substr(0, xname.size() - 6) + "_recurrent_kernel_");
      XSSM_ASSERT(k, "no recurrent kernel next to ", xname);
      const Index NH = k->value.dim(0), DH = k->value.dim(2);
      if (v.size() != 4 * NH * DH) throw Error(cat(in, ": tensor '", t.name, "' has ", v.size(), " values, expected ", 4 * NH * DH));
      v = swap_bias(v, NH, 4, DH);  // cuda [head][gate][d] → vanilla [gate][head][d]
    }
    if (v.shape() != p->value.shape())
      throw Error(cat(in, ": tensor '", t.name, "' has shape ", shape_str(t.shape), ", expected ",
                      shape_str(p->value.shape())));
    p->value = std::move(v);
    filled.push_back(xname);
  }
  for (const auto& [name, p] : params.items())
    if (std::find(filled.begin(), filled.end(), name) == filled.end())
      throw Error(cat(in, ": tensor '", model::to_official_name(name, fam), "' is missing (needed for '", name, "')"));

  json::Value cfg = json::Value::object();
  cfg["imported_from"] = in;
  cfg["official_family"] = family_name(fam);
  cfg["official_config"] = ocfg;
  if (any_slstm) cfg["slstm_param_layout"] = layout_name(layout);
  train::TrainState ts;
  train::save_checkpoint(out, m, nullptr, ts, cfg);
  log::info("imported ", st.tensors.size(), " tensors into a ", mc.spec, " model (", params.numel(),
            " parameters): ", out);
  return cli::kExitOk;
}

// ---- export

int export_main(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-convert export";
  info.purpose = "export an xssm checkpoint as an official xLSTM or Mamba safetensors checkpoint";
  info.usage = "xssm-convert export --to xlstm|mamba run.h5 [--slstm-layout vanilla|cuda] -o MODEL.safetensors";
  info.details =
      "Tensors are written in F32 under their official names (a tied Mamba head is omitted, as\n"
      "safetensors' save_model does). The official config of an imported model is kept in the\n"
      "__metadata__ 'config'. Import then export gives back the same tensors bit for bit.";
  info.examples = {"xssm-convert export --to xlstm run.h5 -o model.safetensors"};
  cli::Common common;
  std::string to, in, out, layout_opt = "vanilla";
  po::options_description opts("Options");
  opts.add_options()("to", po::value<std::string>(&to), "official family: xlstm | mamba")(
      "slstm-layout", po::value<std::string>(&layout_opt)->default_value(layout_opt), "vanilla | cuda")(
      "output,o", po::value<std::string>(&out), "safetensors file to write");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::string>(&in));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;
  if (to.empty()) throw UsageError("--to is required (xlstm or mamba)");
  if (in.empty()) throw UsageError("a checkpoint file is required");
  if (out.empty() || out == "-") throw UsageError("-o MODEL.safetensors is required (a file)");
  cli::check_output_path(out);
  const OfficialFamily fam = model::parse_official_family(to);
  const Layout layout = parse_layout(layout_opt, "--slstm-layout");

  Run r = load_run(in);
  const model::ModelConfig& mc = r.model->config();
  if (family_of(mc) != fam)
    throw Error(cat(in, ": a '", mc.spec, "' model cannot be exported as ", family_name(fam)));
  io::Safetensors st;
  st.source = out;
  auto& params = r.model->params();
  bool any_slstm = false;
  for (const auto& [name, p] : params.items()) {
    Tensor<float> v = p->value;
    if (is_slstm_kernel(name)) {
      any_slstm = true;
      if (layout == Layout::Cuda) v = swap_last_two(v);
    }
    if (is_slstm_bias(name) && layout == Layout::Cuda) {
      const nn::Param<float>& k = params[name.substr(0, name.size() - 6) + "_recurrent_kernel_"];
      v = swap_bias(v, 4, k.value.dim(0), k.value.dim(2));  // vanilla [gate][head][d] → cuda [head][gate][d]
    }
    st.put(model::to_official_name(name, fam), v, io::StDType::F32);
  }
  st.set_meta("format", "pt");
  st.set_meta("source", cat("xssm ", XSSM_VERSION_STRING, " xssm-convert export of ", in));
  if (const json::Value* oc = r.config.find("official_config"))
    st.set_meta("config", oc->dump());
  else
    st.set_meta("xssm_model_config", mc.to_json().dump());
  if (any_slstm) st.set_meta("slstm_param_layout", layout_name(layout));
  if (mc.tie_embeddings)
    st.set_meta("omitted_tied", cat("{\"", model::to_official_name("lm_head/weight", fam), "\": \"",
                                    model::to_official_name("token_embedding/weight", fam), "\"}"));
  io::write_safetensors(out, st);
  log::info("exported ", st.tensors.size(), " tensors to ", out);
  return cli::kExitOk;
}

// ---- text

int text_main(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-convert text";
  info.purpose = "turn a text file into byte-level datasets (train and valid)";
  info.usage = "xssm-convert text CORPUS.txt -o data.h5 [--valid-output valid.h5] [--len 256] [--valid-fraction 0.1]";
  info.details =
      "The first (1 − f) of the bytes give the training windows (-o), the last f the validation\n"
      "windows (--valid-output, default <out>.valid.h5): no window crosses the split. Windows are\n"
      "the non-overlapping ones of xssm-gen text (same code, vocabulary 256).";
  info.examples = {"xssm-convert text bible.txt --len 128 -o bible.h5   # also writes bible.valid.h5"};
  cli::Common common;
  std::string in, out, valid_out;
  Index len = 256;
  double frac = 0.1;
  po::options_description opts("Options");
  opts.add_options()("output,o", po::value<std::string>(&out), "training dataset to write")(
      "valid-output", po::value<std::string>(&valid_out), "validation dataset (default: <out>.valid.h5)")(
      "len", po::value<Index>(&len)->default_value(len), "sequence length S")(
      "valid-fraction", po::value<double>(&frac)->default_value(frac), "fraction of the bytes held out (0 ≤ f < 1)");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::string>(&in));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;
  if (in.empty()) throw UsageError("a text file is required");
  if (out.empty() || out == "-") throw UsageError("-o data.h5 is required (a file)");
  cli::check_output_path(out);
  if (!(frac >= 0 && frac < 1)) throw UsageError(cat("--valid-fraction must be in [0, 1), got ", frac));
  if (len < 1) throw UsageError("--len must be positive");
  if (valid_out.empty() && frac > 0)
    valid_out = (ends_with(out, ".h5") ? out.substr(0, out.size() - 3) : out) + ".valid.h5";

  const std::string text = read_text_file(in);
  const std::vector<unsigned char> bytes(text.begin(), text.end());
  const std::size_t cut = frac > 0 ? std::size_t(double(bytes.size()) * (1 - frac)) : bytes.size();
  tasks::TextOptions o;
  o.input = in;
  o.seq_len = len;
  o.seed = common.seed;
  json::Value cfg = cli::options_json(vm);
  const std::vector<unsigned char> train_bytes(bytes.begin(), bytes.begin() + std::ptrdiff_t(cut));
  const io::Dataset tr = tasks::make_text(train_bytes, in + " (training part)", o);
  io::write_dataset(out, tr, io::created_by(), cfg);
  log::info(out, ": ", tr.n(), " training windows of ", len, " bytes");
  if (frac > 0) {
    cli::check_output_path(valid_out, "--valid-output");
    const std::vector<unsigned char> valid_bytes(bytes.begin() + std::ptrdiff_t(cut), bytes.end());
    const io::Dataset va = tasks::make_text(valid_bytes, in + " (validation part)", o);
    io::write_dataset(valid_out, va, io::created_by(), cfg);
    log::info(valid_out, ": ", va.n(), " validation windows");
  }
  return cli::kExitOk;
}

// ---- pruning and ternary weights: the linear layers of the blocks

/// The weights of every nn::Linear / nn::HeadwiseLinear inside the blocks (found by running the
/// model with the activation recorder on), with their input statistics.
struct LinearLayer {
  std::string name;
  nn::Param<float>* weight;
  const nn::ActivationRecorder::Stats* stats;
};

std::vector<LinearLayer> find_linears(model::LanguageModel<float>& m, const nn::ActivationRecorder& rec) {
  std::vector<LinearLayer> out;
  for (auto& [name, p] : m.params().items()) {
    if (!starts_with(name, "blocks/") || !ends_with(name, "/weight")) continue;
    if (p->value.rank() != 2 && p->value.rank() != 3) continue;
    const auto* s = rec.find(p);
    if (s) out.push_back({name, p, s});
  }
  return out;
}

/// Run the model on `ids` rows with the recorder installed (batches of 8).
void record(model::LanguageModel<float>& m, const Tensor<std::int32_t>& ids, Index n, nn::ActivationRecorder& rec) {
  if (m.config().input_dim > 0) throw Error("pruning models with real-valued inputs is not supported");
  nn::RecorderScope scope(rec);
  const Index S = ids.dim(1);
  for (Index i0 = 0; i0 < n; i0 += 8) {
    const Index b = std::min<Index>(8, n - i0);
    Tensor<std::int32_t> x({b, S});
    std::copy_n(ids.ptr(i0), b * S, x.data());
    (void)m.forward(x);
  }
}

void write_run(const std::string& out, Run& r) {
  train::save_checkpoint(out, *r.model, nullptr, r.state, r.config);
}

int prune_main(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-convert prune";
  info.purpose = "prune the linear layers of the blocks (Wanda or magnitude), no retraining";
  info.usage = "xssm-convert prune --method wanda|magnitude --sparsity 0.5 [--calib data.h5] run.h5 -o out.h5";
  info.details =
      "Within each output row of each linear layer of the blocks, the weights with the lowest score\n"
      "are set to zero: Wanda (Sun et al. 2023) scores |W_ij|·‖X_j‖₂, X_j the j-th input feature over\n"
      "all calibration tokens (--calib, the first --calib-n sequences); magnitude scores |W_ij|.\n"
      "Embedding, head, norms, convolutions and recurrent kernels are kept.";
  info.examples = {"xssm-convert prune --method wanda --sparsity 0.5 --calib train.h5 run.h5 -o wanda.h5"};
  cli::Common common;
  std::string method, calib, in, out;
  double sparsity = 0.5;
  Index calib_n = 64;
  po::options_description opts("Options");
  opts.add_options()("method", po::value<std::string>(&method), "wanda | magnitude")(
      "sparsity", po::value<double>(&sparsity)->default_value(sparsity), "fraction of each row set to zero")(
      "calib", po::value<std::string>(&calib), "calibration dataset (dataset/1), required for wanda")(
      "calib-n", po::value<Index>(&calib_n)->default_value(calib_n), "calibration sequences used")(
      "output,o", po::value<std::string>(&out), "pruned checkpoint to write");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::string>(&in));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;
  if (method != "wanda" && method != "magnitude")
    throw UsageError(cat("--method must be wanda or magnitude, got '", method, "'"));
  if (!(sparsity >= 0 && sparsity < 1)) throw UsageError(cat("--sparsity must be in [0, 1), got ", sparsity));
  if (method == "wanda" && calib.empty()) throw UsageError("--method wanda needs --calib data.h5");
  if (calib_n < 1) throw UsageError("--calib-n must be positive");
  if (in.empty()) throw UsageError("a checkpoint file is required");
  cli::check_output_path(out);

  Run r = load_run(in);
  auto& m = *r.model;
  nn::ActivationRecorder rec;
  if (!calib.empty()) {
    const io::Dataset d = io::read_dataset(calib);
    if (d.has_real()) throw Error(cat(calib, ": real-valued inputs are not supported for calibration"));
    for (Index i = 0; i < d.inputs.size(); ++i)
      if (d.inputs.data()[i] < 0 || d.inputs.data()[i] >= m.vocab_size())
        throw Error(cat(calib, ": token ", d.inputs.data()[i], " is outside the model's vocabulary of ", m.vocab_size()));
    record(m, d.inputs, std::min(calib_n, d.n()), rec);
  } else {
    record(m, Tensor<std::int32_t>({1, 4}), 1, rec);  // only to find the linear layers
  }
  const std::vector<LinearLayer> layers = find_linears(m, rec);
  if (layers.empty()) throw Error(cat(in, ": no linear layers found in the blocks"));

  Index zeros = 0, total = 0;
  for (const LinearLayer& L : layers) {
    Tensor<float>& W = L.weight->value;
    // Rows: (O, I) → O rows of I; headwise (NB, O, I) → NB·O rows, row (n, o) reads inputs n·I + i.
    const Index I = W.dim(W.rank() - 1), rows = W.size() / I, O = W.rank() == 3 ? W.dim(1) : rows;
    const Index k = Index(std::floor(sparsity * double(I)));
    std::vector<double> norm(L.stats->sumsq.size());
    for (std::size_t j = 0; j < norm.size(); ++j) norm[j] = std::sqrt(L.stats->sumsq[j]);
    std::vector<double> score(static_cast<std::size_t>(I));
    std::vector<Index> idx(static_cast<std::size_t>(I));
    for (Index r0 = 0; r0 < rows; ++r0) {
      float* w = W.data() + r0 * I;
      const Index col0 = W.rank() == 3 ? (r0 / O) * I : 0;
      for (Index j = 0; j < I; ++j)
        score[std::size_t(j)] = std::fabs(double(w[j])) * (method == "wanda" ? norm[std::size_t(col0 + j)] : 1.0);
      std::iota(idx.begin(), idx.end(), Index(0));
      // Lowest scores first; ties by position, so the result is deterministic.
      std::stable_sort(idx.begin(), idx.end(), [&](Index a, Index b) { return score[std::size_t(a)] < score[std::size_t(b)]; });
      for (Index j = 0; j < k; ++j) w[idx[std::size_t(j)]] = 0.0f;
    }
    for (Index i = 0; i < W.size(); ++i) zeros += W.data()[i] == 0.0f;
    total += W.size();
    log::debug(L.name, ": ", shape_str(W.shape()), " pruned");
  }
  const double achieved = double(zeros) / double(total);
  json::Value pr = json::Value::object();
  pr["method"] = method;
  pr["sparsity"] = sparsity;
  pr["achieved_sparsity"] = achieved;
  pr["layers"] = Index(layers.size());
  if (!calib.empty()) pr["calib"] = calib;
  r.config["prune"] = pr;
  write_run(out, r);
  log::info(method, ": ", layers.size(), " linear layers, ", zeros, " of ", total, " weights zero (",
            achieved, "): ", out);
  std::printf("%s\n", pr.dump().c_str());
  return cli::kExitOk;
}

int quantize_main(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-convert quantize";
  info.purpose = "ternary weights {-1, 0, 1}·scale for the linear layers of the blocks (absmean)";
  info.usage = "xssm-convert quantize --ternary run.h5 -o out.h5";
  info.details =
      "Per linear layer (BitNet b1.58, MatMul-free LM): s = mean|W|, W ← clamp(round(W / s), −1, 1)·s.\n"
      "The result is an ordinary checkpoint (float32 values on the ternary grid).";
  info.examples = {"xssm-convert quantize --ternary run.h5 -o ternary.h5"};
  cli::Common common;
  std::string in, out;
  bool ternary = false;
  po::options_description opts("Options");
  opts.add_options()("ternary", po::bool_switch(&ternary), "absmean ternary weights (the only scheme)")(
      "output,o", po::value<std::string>(&out), "quantized checkpoint to write");
  po::options_description hidden;
  hidden.add_options()("input", po::value<std::string>(&in));
  po::positional_options_description pos;
  pos.add("input", 1);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;
  if (!ternary) throw UsageError("give --ternary (the only quantization scheme)");
  if (in.empty()) throw UsageError("a checkpoint file is required");
  cli::check_output_path(out);

  Run r = load_run(in);
  nn::ActivationRecorder rec;
  record(*r.model, Tensor<std::int32_t>({1, 4}), 1, rec);
  const std::vector<LinearLayer> layers = find_linears(*r.model, rec);
  if (layers.empty()) throw Error(cat(in, ": no linear layers found in the blocks"));
  for (const LinearLayer& L : layers) {
    Tensor<float>& W = L.weight->value;
    double s = 0;
    for (Index i = 0; i < W.size(); ++i) s += std::fabs(double(W.data()[i]));
    s /= double(W.size());
    if (s == 0) continue;  // an all-zero layer stays zero
    // W_q = clamp(round(W / s), -1, 1) · s  (round half away from zero, as torch.round does not
    // matter here: |W/s| = 0.5 exactly is measure-zero; std::round is deterministic)
    for (Index i = 0; i < W.size(); ++i) {
      const double q = std::max(-1.0, std::min(1.0, std::round(double(W.data()[i]) / s)));
      W.data()[i] = float(q * s);
    }
  }
  json::Value q = json::Value::object();
  q["scheme"] = "ternary-absmean";
  q["layers"] = Index(layers.size());
  r.config["quantize"] = q;
  write_run(out, r);
  log::info("ternary: ", layers.size(), " linear layers: ", out);
  return cli::kExitOk;
}

const char* kUsage =
    "xssm-convert: official checkpoints, text corpora, pruning and ternary weights\n\n"
    "Usage: xssm-convert SUBCOMMAND [options]     (xssm-convert SUBCOMMAND --help for details)\n\n"
    "Subcommands:\n"
    "  import    official xLSTM / Mamba safetensors -> xssm checkpoint\n"
    "  export    xssm checkpoint -> official safetensors\n"
    "  text      text file -> byte-level train/valid datasets\n"
    "  prune     Wanda or magnitude pruning of the linear layers\n"
    "  quantize  ternary (absmean) weights for the linear layers\n";

int body(int argc, char** argv) {
  if (argc < 2) throw UsageError("a subcommand is required: import, export, text, prune or quantize");
  const std::string sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return cli::kExitOk;
  }
  // argv[1] becomes the program name of the subcommand's parser.
  std::string prog = std::string(argv[0]) + " " + sub;
  std::vector<char*> args(argv + 1, argv + argc);
  args[0] = prog.data();
  const int n = int(args.size());
  if (sub == "import") return import_main(n, args.data());
  if (sub == "export") return export_main(n, args.data());
  if (sub == "text") return text_main(n, args.data());
  if (sub == "prune") return prune_main(n, args.data());
  if (sub == "quantize") return quantize_main(n, args.data());
  throw UsageError(cat("unknown subcommand '", sub, "' (import, export, text, prune or quantize)"));
}

}  // namespace
}  // namespace xssm

int convert_main(int argc, char** argv) { return xssm::cli::run("xssm-convert", argc, argv, xssm::body); }
