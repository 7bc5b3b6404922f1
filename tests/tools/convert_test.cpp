// xssm-convert end to end: import each fixture LM safetensors, `xssm-eval --dump logits` on the
// fixture's tokens reproduces /outputs/logits; export gives back the same tensors bit for bit;
// corrupt files and contradictory layouts exit 1 naming the file; prune and quantize give
// checkpoints that xssm-eval accepts, with the requested sparsity / ternary values.
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/compare.hpp"
#include "xssm/io/dataset_schema.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/io/safetensors.hpp"
#include "xssm/model/load.hpp"
#include "xssm/train/checkpoint.hpp"

using namespace xssm;
namespace fs = std::filesystem;

namespace {

std::string fixtures() {
  const char* e = std::getenv("XSSM_FIXTURES");  // set by ctest (tests/CMakeLists.txt)
  if (!e) throw std::runtime_error("XSSM_FIXTURES is not set (run through ctest)");
  return e;
}

std::string bin_dir() {
  if (const char* e = std::getenv("XSSM_BIN")) return e;
  return fs::read_symlink("/proc/self/exe").parent_path().string();  // tests build into bin/ too
}

fs::path scratch() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / cat("xssm_convert_test_", ::getpid());
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string sp(const std::string& name) { return (scratch() / name).string(); }

/// Run a tool; returns its exit code, stderr in `err`.
int run(const std::string& args, std::string* err = nullptr) {
  const std::string errf = sp("stderr.txt");
  const std::string cmd = cat(bin_dir(), "/", args, " >", sp("stdout.txt"), " 2>", errf);
  const int st = std::system(cmd.c_str());
  if (err) {
    std::ifstream in(errf);
    *err = std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct Lm {
  const char* h5;
  const char* st;
  const char* family;
  const char* ids;
};
const Lm kLms[] = {
    {"xlstm/xlstm_lm.h5", "xlstm/xlstm_lm.safetensors", "xlstm", "idx"},
    {"xlstm/xlstm_lm.h5", "xlstm/xlstm_lm.cuda_layout.safetensors", "xlstm", "idx"},
    {"xlstm/xlstm_lm_mlstm_only.h5", "xlstm/xlstm_lm_mlstm_only.safetensors", "xlstm", "idx"},
    {"ssm/mamba_lm.h5", "ssm/mamba_lm.safetensors", "mamba", "input_ids"},
    {"ssm/mamba2_lm.h5", "ssm/mamba2_lm.safetensors", "mamba", "input_ids"},
};

/// dataset/1 file from the fixture's tokens; returns the reference logits.
Tensor<double> make_data(const Lm& lm, const std::string& out) {
  const io::H5File f = io::H5File::open(fixtures() + "/" + lm.h5);
  const Tensor<double> logits = f.read<double>("/outputs/logits");
  io::Dataset d;
  d.task = "fixture";
  d.vocab_size = logits.dim(2);
  d.inputs = f.read<std::int32_t>(cat("/inputs/", lm.ids));
  d.targets = f.read<std::int32_t>("/inputs/targets");
  io::write_dataset(out, d, "convert_test", json::Value::object());
  return logits;
}

std::string base(const Lm& lm) { return fs::path(lm.st).stem().string(); }

void import_fixture(const Lm& lm, const std::string& out) {
  std::string err;
  REQUIRE(run(cat("xssm-convert import --from ", lm.family, " ", fixtures(), "/", lm.st, " -o ", out), &err) == 0);
}

double eval_rel_err(const std::string& ckpt, const std::string& data, const Tensor<double>& ref) {
  const std::string out = sp("logits.h5");
  std::string err;
  const int rc = run(cat("xssm-eval ", ckpt, " --data ", data, " --dump logits -o ", out), &err);
  INFO(err);
  REQUIRE(rc == 0);
  const Tensor<double> got = io::H5File::open(out).read<double>("/dump/logits");
  REQUIRE(got.shape() == ref.shape());
  return test::rel_err(got, ref);
}

bool have_fixtures() { return fs::exists(fixtures() + "/xlstm/xlstm_lm.safetensors"); }

}  // namespace

TEST_CASE("convert import: every fixture LM gives the fixture's logits via xssm-eval", "[tools]") {
  if (!have_fixtures()) return;
  for (const Lm& lm : kLms) {
    INFO(lm.st);
    const std::string data = sp(base(lm) + ".data.h5"), ckpt = sp(base(lm) + ".h5");
    const Tensor<double> ref = make_data(lm, data);
    import_fixture(lm, ckpt);
    const double e = eval_rel_err(ckpt, data, ref);
    WARN(lm.st << ": logits relative error " << e);
    CHECK(e <= 1e-5);
  }
}

TEST_CASE("convert export: import then export gives back the same tensors bit for bit", "[tools]") {
  if (!have_fixtures()) return;
  for (const Lm& lm : kLms) {
    INFO(lm.st);
    const std::string ckpt = sp(base(lm) + ".rt.h5"), back = sp(base(lm) + ".rt.safetensors");
    import_fixture(lm, ckpt);
    const io::Safetensors orig = io::read_safetensors(fixtures() + "/" + lm.st);
    const std::string layout = orig.meta("slstm_param_layout") ? *orig.meta("slstm_param_layout") : "vanilla";
    REQUIRE(run(cat("xssm-convert export --to ", lm.family, " ", ckpt, " --slstm-layout ", layout, " -o ", back)) == 0);
    const io::Safetensors got = io::read_safetensors(back);
    CHECK(got.tensors.size() == orig.tensors.size());
    for (const auto& t : orig.tensors) {
      INFO(t.name);
      const io::StTensor* u = got.find(t.name);
      REQUIRE(u);
      CHECK(u->dtype == t.dtype);
      CHECK(u->shape == t.shape);
      CHECK(u->data == t.data);
    }
    REQUIRE(got.meta("config"));
    CHECK(json::parse(*got.meta("config")).dump() == json::parse(*orig.meta("config")).dump());
  }
}

TEST_CASE("convert import: sLSTM layout from the shape, contradictions are errors", "[tools]") {
  if (!have_fixtures()) return;
  const Lm& lm = kLms[1];  // cuda layout
  const std::string data = sp("layout.data.h5");
  const Tensor<double> ref = make_data(lm, data);
  // Without the metadata hint the kernel's shape decides (unambiguous: (NH,DH,4DH) ≠ (NH,4DH,DH)).
  io::Safetensors st = io::read_safetensors(fixtures() + "/" + lm.st);
  st.metadata.erase(std::remove_if(st.metadata.begin(), st.metadata.end(),
                                   [](const auto& kv) { return kv.first == "slstm_param_layout"; }),
                    st.metadata.end());
  io::write_safetensors(sp("nohint.safetensors"), st);
  std::string err;
  REQUIRE(run(cat("xssm-convert import --from xlstm ", sp("nohint.safetensors"), " -o ", sp("nohint.h5")), &err) == 0);
  CHECK(err.find("cuda layout") != std::string::npos);
  CHECK(eval_rel_err(sp("nohint.h5"), data, ref) <= 1e-5);
  // A layout that contradicts the shapes is refused, naming the file and the tensor.
  CHECK(run(cat("xssm-convert import --from xlstm --slstm-layout vanilla ", sp("nohint.safetensors"), " -o ",
                sp("bad.h5")),
            &err) == 1);
  CHECK(err.find("nohint.safetensors") != std::string::npos);
  CHECK(err.find("_recurrent_kernel_") != std::string::npos);
  // The config can come from --config CONFIG.json instead of the metadata.
  const std::string cfg = *st.meta("config");
  { std::ofstream(sp("config.json")) << cfg; }
  st.metadata.clear();
  io::write_safetensors(sp("nometa.safetensors"), st);
  CHECK(run(cat("xssm-convert import --from xlstm ", sp("nometa.safetensors"), " -o ", sp("nometa.h5")), &err) == 1);
  CHECK(err.find("--config") != std::string::npos);
  REQUIRE(run(cat("xssm-convert import --from xlstm ", sp("nometa.safetensors"), " --config ", sp("config.json"),
                  " --slstm-layout cuda -o ", sp("nometa.h5")),
              &err) == 0);
  CHECK(eval_rel_err(sp("nometa.h5"), data, ref) <= 1e-5);
}

TEST_CASE("convert import: corrupt or incomplete safetensors exit 1 naming the file", "[tools]") {
  if (!have_fixtures()) return;
  std::ifstream in(fixtures() + "/xlstm/xlstm_lm_mlstm_only.safetensors", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  { std::ofstream(sp("trunc.safetensors"), std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
  std::string err;
  CHECK(run(cat("xssm-convert import --from xlstm ", sp("trunc.safetensors"), " -o ", sp("x.h5")), &err) == 1);
  CHECK(err.find("trunc.safetensors") != std::string::npos);
  std::string lie = bytes;
  lie[3] = '\x7f';  // header length far beyond the file
  { std::ofstream(sp("lie.safetensors"), std::ios::binary) << lie; }
  CHECK(run(cat("xssm-convert import --from xlstm ", sp("lie.safetensors"), " -o ", sp("x.h5")), &err) == 1);
  CHECK(err.find("lie.safetensors") != std::string::npos);
  // A missing tensor is named.
  io::Safetensors st = io::read_safetensors(fixtures() + "/xlstm/xlstm_lm_mlstm_only.safetensors");
  const std::string gone = st.tensors.back().name;
  st.tensors.pop_back();
  io::write_safetensors(sp("missing.safetensors"), st);
  CHECK(run(cat("xssm-convert import --from xlstm ", sp("missing.safetensors"), " -o ", sp("x.h5")), &err) == 1);
  CHECK(err.find(gone) != std::string::npos);
  CHECK(!fs::exists(sp("x.h5")));
}

TEST_CASE("convert prune and quantize: loadable checkpoints with the requested sparsity", "[tools]") {
  if (!have_fixtures()) return;
  const Lm& lm = kLms[0];
  const std::string data = sp("pq.data.h5"), ckpt = sp("pq.h5");
  make_data(lm, data);
  import_fixture(lm, ckpt);
  std::string err;
  for (const char* method : {"wanda", "magnitude"}) {
    INFO(method);
    const std::string out = sp(cat(method, ".h5"));
    REQUIRE(run(cat("xssm-convert prune --method ", method, " --sparsity 0.5 --calib ", data, " ", ckpt, " -o ", out),
                &err) == 0);
    const io::H5File f = io::H5File::open(out);
    const json::Value cfg = train::checkpoint_train_config(f);
    CHECK(cfg.at("prune").at("achieved_sparsity").as_number() >= 0.5);
    CHECK(cfg.at("prune").at("achieved_sparsity").as_number() < 0.52);
    // Every row of a pruned proj_up has at least half its entries zero.
    const Tensor<float> w = f.read<float>("/params/blocks/0/xlstm/proj_up/weight");
    const Index I = w.dim(1);
    for (Index r = 0; r < w.dim(0); ++r) {
      Index z = 0;
      for (Index j = 0; j < I; ++j) z += w.at(r, j) == 0.0f;
      REQUIRE(z >= I / 2);
    }
    CHECK(run(cat("xssm-eval ", out, " --data ", data), &err) == 0);
  }
  REQUIRE(run(cat("xssm-convert quantize --ternary ", ckpt, " -o ", sp("ternary.h5")), &err) == 0);
  const io::H5File f = io::H5File::open(sp("ternary.h5"));
  const Tensor<float> w = f.read<float>("/params/blocks/0/xlstm/proj_up/weight");
  std::set<float> values(w.data(), w.data() + w.size());
  CHECK(values.size() <= 3);
  CHECK(values.count(0.0f) == 1);
  CHECK(run(cat("xssm-eval ", sp("ternary.h5"), " --data ", data), &err) == 0);
  // Wanda needs calibration data.
  CHECK(run(cat("xssm-convert prune --method wanda --sparsity 0.5 ", ckpt, " -o ", sp("w.h5")), &err) == 2);
}
