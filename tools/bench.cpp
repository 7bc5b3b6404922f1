// xssm-bench: time forward, backward and step of every mixer (bare and inside its residual block)
// and training steps of whole models over a grid of sizes; report tokens/s, GFLOP/s (counted by
// tool_bench_flops.cpp) and the fraction of this machine's float32 GEMM peak and STREAM-triad
// bandwidth, both measured in the same run with the same thread count (tool_bench_peak.cpp).
//
// Validate, then benchmark (llm.c): before a mixer, block or model is timed, step() repeated over
// a short input must equal forward() on it; a row that fails is reported and not timed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "tool_bench_flops.hpp"
#include "tool_bench_peak.hpp"
#include "xssm/core/log.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/model/block.hpp"
#include "xssm/model/lm.hpp"
#include "xssm/model/registry.hpp"
#include "xssm/nn/cross_entropy.hpp"
#include "xssm/seq/mlstm.hpp"
#include "xssm/train/optimizer.hpp"

namespace xssm {

namespace {

using bench::Scope;
using model::BlockKind;
using model::ModelConfig;
namespace po = boost::program_options;

// ---------------------------------------------------------------- options and the size grid

std::vector<Index> parse_list(const std::string& s, const std::string& option) {
  std::vector<Index> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v <= 0)
      throw UsageError(cat("--", option, " expects a comma-separated list of positive integers, got '", s, "'"));
    out.push_back(Index(v));
  }
  if (out.empty()) throw UsageError(cat("--", option, " is empty"));
  return out;
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;  // commas inside xlstm[a:b] brackets do not split (there are none, but be safe)
  for (char c : s) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Options {
  std::vector<std::string> models, ops, scopes;
  std::vector<Index> batch, len, d_model, heads, d_state, chunk;
  Index vocab = 256, num_blocks = 0;
  int warmup = 1, repeats = 5;
  std::string format = "md", h5, dump_weights, op;
  bool peak = true;
  std::uint64_t seed = 0;
};

struct Size {
  Index B, S, D, NH, N, Lc;
};

std::vector<Size> grid(const Options& o) {
  std::vector<Size> g;
  for (Index D : o.d_model)
    for (Index NH : o.heads)
      for (Index N : o.d_state)
        for (Index Lc : o.chunk)
          for (Index B : o.batch)
            for (Index S : o.len) g.push_back({B, S, D, NH, N, Lc});
  return g;
}

ModelConfig config_for(const Options& o, const std::string& spec, const Size& z) {
  ModelConfig c;
  c.spec = spec;
  c.vocab_size = o.vocab;
  c.d_model = z.D;
  c.num_heads = z.NH;
  c.d_state = z.N;
  c.chunk_size = z.Lc;
  c.num_blocks = o.num_blocks;
  c.resolve();
  return c;
}

// ---------------------------------------------------------------- results

struct Row {
  std::string model, scope, kind, op, status = "ok";
  Size z{};
  int threads = 1;
  double median_s = 0, min_s = 0, tokens_s = 0, gflops = 0, pct_peak = 0, gbs = 0, pct_bw = 0;
  double check_err = 0;           // max|step − forward| / max|forward| of the validation
  double state_bytes_1 = 0, state_bytes_L = 0;  // step rows
  double flops = 0;
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Median and minimum wall time of `repeats` calls of body (each after setup), after `warmup`
/// untimed calls of setup + body.
std::pair<double, double> time_it(const Options& o, const std::function<void()>& setup,
                                  const std::function<void()>& body) {
  for (int i = 0; i < o.warmup; ++i) {
    if (setup) setup();
    body();
  }
  std::vector<double> t;
  for (int i = 0; i < o.repeats; ++i) {
    if (setup) setup();
    const double t0 = now();
    body();
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  const size_t n = t.size();
  const double med = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  return {med, t.front()};
}

Tensor<float> randn(Shape s, Rng& rng, double std = 1.0) {
  Tensor<float> t(std::move(s));
  for (float& v : t) v = float(rng.normal() * std);
  return t;
}

double rel_err(const Tensor<float>& a, const Tensor<float>& b) {
  double num = 0, den = 0;
  for (Index i = 0; i < a.size(); ++i) {
    const double d = std::abs(double(a.data()[i]) - double(b.data()[i]));
    if (!(d <= num)) num = d;  // NaN propagates
    den = std::max(den, std::abs(double(b.data()[i])));
  }
  return num / std::max(den, 1e-30);
}

/// x_t = x[:, t, :] as (B,D).
Tensor<float> slice_t(const Tensor<float>& x, Index t) {
  const Index B = x.dim(0), S = x.dim(1), D = x.dim(2);
  Tensor<float> out({B, D});
  for (Index b = 0; b < B; ++b) std::copy_n(x.data() + (b * S + t) * D, D, out.data() + b * D);
  return out;
}
void put_t(Tensor<float>& y, Index t, const Tensor<float>& yt) {
  const Index B = y.dim(0), S = y.dim(1), D = y.dim(2);
  for (Index b = 0; b < B; ++b) std::copy_n(yt.data() + b * D, D, y.data() + (b * S + t) * D);
}

constexpr double kCheckTol = 2e-3;  // float32: forms differ by rounding only (~1e-6); bugs are O(1)
constexpr Index kCheckLen = 12, kCheckBatch = 2;

/// step() repeated = forward() for a mixer-like object on a (2, ≤12, D) input.
template <class M>
double check_step(M& m, Index D, Index S, Rng& rng) {
  const Index Sv = std::min(S, kCheckLen);
  const Tensor<float> x = randn({kCheckBatch, Sv, D}, rng);
  const Tensor<float> y = m.forward(x);
  auto st = m.initial_state(kCheckBatch);
  Tensor<float> ys(y.shape());
  for (Index t = 0; t < Sv; ++t) put_t(ys, t, m.step(slice_t(x, t), st));
  return rel_err(ys, y);
}

// ---------------------------------------------------------------- one mixer / block

void bench_block(const Options& o, const std::string& spec, BlockKind kind, const Size& z,
                 const bench::Peaks& pk, std::vector<Row>& rows) {
  const ModelConfig cfg = config_for(o, spec, z);
  const auto kinds = cfg.block_kinds();
  const Index index = Index(std::find(kinds.begin(), kinds.end(), kind) - kinds.begin());
  model::Block<float> block = model::make_block<float>(cfg, index);
  nn::ParamList<float> params;
  block.collect("block", params);
  Rng rng(o.seed + 17);
  block.init(rng, cfg.num_blocks, index);
  const Index B = z.B, S = z.S, D = z.D;
  const Tensor<float> x = randn({B, S, D}, rng), dy = randn({B, S, D}, rng);

  for (const std::string& scope_name : o.scopes) {
    if (scope_name == "model") continue;
    const Scope scope = scope_name == "mixer" ? Scope::Mixer : Scope::Block;
    seq::Mixer<float>& mixer = block.mixer();
    Row base;
    base.model = spec;
    base.scope = scope_name;
    base.kind = model::block_kind_name(kind);
    base.z = z;
    base.threads = num_threads();
    // Validate first.
    double err;
    try {
      err = scope == Scope::Mixer ? check_step(mixer, D, S, rng) : check_step(block, D, S, rng);
    } catch (const std::exception& e) {
      err = NAN;
      base.status = cat("check failed: ", e.what());
    }
    base.check_err = err;
    if (!(err <= kCheckTol) && base.status == "ok")
      base.status = cat("check failed: step vs forward rel err ", err, " > ", kCheckTol);
    auto fwd = [&] { return scope == Scope::Mixer ? mixer.forward(x) : block.forward(x); };
    for (const std::string& op : o.ops) {
      if (op == "train") continue;
      Row r = base;
      r.op = op;
      if (r.status != "ok") {
        log::warn(spec, " ", scope_name, " ", r.kind, " ", op, ": ", r.status, " — not timed");
        rows.push_back(r);
        continue;
      }
      std::pair<double, double> t;
      if (op == "fwd") {
        t = time_it(o, nullptr, [&] { (void)fwd(); });
        r.flops = bench::forward_flops(cfg, kind, scope, B, S);
      } else if (op == "bwd") {
        t = time_it(o, [&] { (void)fwd(); },
                    [&] { (void)(scope == Scope::Mixer ? mixer.backward(dy) : block.backward(dy)); });
        r.flops = 2 * bench::forward_flops(cfg, kind, scope, B, S);
      } else if (op == "step") {
        std::vector<Tensor<float>> xs;
        for (Index s = 0; s < S; ++s) xs.push_back(slice_t(x, s));
        NamedTensors<float> st;
        t = time_it(o, [&] { st = block.initial_state(B); },
                    [&] {
                      for (Index s = 0; s < S; ++s)
                        (void)(scope == Scope::Mixer ? mixer.step(xs[size_t(s)], st) : block.step(xs[size_t(s)], st));
                    });
        r.flops = bench::step_flops(cfg, kind, scope, B, S);
        // State bytes after 1 and after S steps (constant-state mixers: equal).
        NamedTensors<float> s1 = block.initial_state(B);
        (void)mixer.step(xs[0], s1);
        r.state_bytes_1 = double(s1.numel()) * sizeof(float);
        r.state_bytes_L = double(st.numel()) * sizeof(float);
        if (mixer.constant_state() && r.state_bytes_1 != r.state_bytes_L)
          r.status = cat("state grew from ", r.state_bytes_1, " to ", r.state_bytes_L, " bytes");
        // Bytes per step: every parameter read once, the state read and written.
        double pbytes = 0;
        for (auto& it : params.items())
          if (scope == Scope::Block || it.first.find("/mixer/") != std::string::npos ||
              it.first.find("/xlstm/") != std::string::npos || it.first.find("/attention/") != std::string::npos)
            pbytes += double(it.second->value.size()) * sizeof(float);
        const double bytes = double(S) * (pbytes + 2 * r.state_bytes_L);
        r.gbs = bytes / t.first / 1e9;
        r.pct_bw = pk.triad_gbs > 0 ? 100 * r.gbs / pk.triad_gbs : 0;
      } else {
        continue;
      }
      r.median_s = t.first;
      r.min_s = t.second;
      r.tokens_s = double(B * S) / t.first;
      r.gflops = r.flops / t.first / 1e9;
      r.pct_peak = pk.gemm_gflops > 0 ? 100 * r.gflops / pk.gemm_gflops : 0;
      rows.push_back(r);
    }
  }
}

// ---------------------------------------------------------------- whole models

void bench_model(const Options& o, const std::string& spec, const Size& z, const bench::Peaks& pk,
                 std::vector<Row>& rows) {
  const ModelConfig cfg = config_for(o, spec, z);
  model::LanguageModel<float> lm(cfg);
  Rng rng(o.seed + 29);
  lm.init(rng);
  const Index B = z.B, S = z.S, V = o.vocab;
  Tensor<std::int32_t> ids({B, S}), targets({B, S});
  for (auto& v : ids) v = std::int32_t(rng.below(std::uint64_t(V)));
  for (auto& v : targets) v = std::int32_t(rng.below(std::uint64_t(V)));
  Row base;
  base.model = spec;
  base.scope = "model";
  base.kind = cfg.family();
  base.z = z;
  base.threads = num_threads();
  // Validate: the model's step() over a short input equals forward().
  try {
    const Index Sv = std::min(S, kCheckLen);
    Tensor<std::int32_t> idv({kCheckBatch, Sv});
    for (auto& v : idv) v = std::int32_t(rng.below(std::uint64_t(V)));
    const Tensor<float> y = lm.forward(idv);
    auto st = lm.initial_state(kCheckBatch);
    Tensor<float> ys(y.shape());
    for (Index t = 0; t < Sv; ++t) {
      Tensor<std::int32_t> it({kCheckBatch});
      for (Index b = 0; b < kCheckBatch; ++b) it.data()[b] = idv.at(b, t);
      put_t(ys, t, lm.step(it, st));
    }
    base.check_err = rel_err(ys, y);
    if (!(base.check_err <= kCheckTol))
      base.status = cat("check failed: step vs forward rel err ", base.check_err, " > ", kCheckTol);
  } catch (const std::exception& e) {
    base.check_err = NAN;
    base.status = cat("check failed: ", e.what());
  }
  train::AdamW opt(lm.params(), train::AdamWConfig{});
  for (const std::string& op : o.ops) {
    if (op != "fwd" && op != "train") continue;
    Row r = base;
    r.op = op;
    if (r.status != "ok") {
      log::warn(spec, " model ", op, ": ", r.status, " — not timed");
      rows.push_back(r);
      continue;
    }
    std::pair<double, double> t;
    if (op == "fwd") {
      t = time_it(o, nullptr, [&] { (void)lm.forward(ids); });
      r.flops = (bench::model_train_flops(cfg, B, S, 0)) / 3.0;
    } else {
      // A training step: forward, cross-entropy, backward, AdamW.
      Tensor<float> dlogits;
      t = time_it(o, nullptr, [&] {
        lm.params().zero_grad();
        const Tensor<float> logits = lm.forward(ids);
        (void)nn::cross_entropy(logits, targets, &dlogits);
        lm.backward(dlogits);
        opt.step(1e-4);
      });
      r.flops = bench::model_train_flops(cfg, B, S, lm.params().numel());
    }
    r.median_s = t.first;
    r.min_s = t.second;
    r.tokens_s = double(B * S) / t.first;
    r.gflops = r.flops / t.first / 1e9;
    r.pct_peak = pk.gemm_gflops > 0 ? 100 * r.gflops / pk.gemm_gflops : 0;
    rows.push_back(r);
  }
}

// ---------------------------------------------------------------- single seq/ ops (--op)

void bench_op(const Options& o, const Size& z, const bench::Peaks& pk, std::vector<Row>& rows) {
  if (z.D % z.NH) throw UsageError(cat("--op: --d-model ", z.D, " is not a multiple of --heads ", z.NH));
  const Index B = z.B, NH = z.NH, S = z.S, DH = z.D / z.NH, Lc = z.Lc;
  Rng rng(o.seed + 41);
  const Tensor<float> q = randn({B, NH, S, DH}, rng), k = randn({B, NH, S, DH}, rng), v = randn({B, NH, S, DH}, rng);
  const Tensor<float> ig = randn({B, NH, S}, rng), fg = randn({B, NH, S}, rng, 1.0);
  const Tensor<float> dh = randn({B, NH, S, DH}, rng);
  Row base;
  base.model = "-";
  base.scope = "op";
  base.kind = o.op;
  base.z = z;
  base.threads = num_threads();
  std::function<Tensor<float>()> fwd;
  std::function<void()> bwd;
  double flops = 0;  // forward, see tool_bench_flops.hpp for the conventions
  seq::MlstmGrads<float> g;
  if (o.op == "mlstm_chunkwise") {
    // per token and head: 2·2·L_c·DH (intra-chunk scores and values) + 2·2·DH² (state in/out)
    fwd = [&] { return seq::mlstm_chunkwise_fwd(q, k, v, ig, fg, nullptr, nullptr, Lc); };
    bwd = [&] { seq::mlstm_chunkwise_bwd(q, k, v, ig, fg, nullptr, Lc, dh, nullptr, g); };
    flops = double(B * NH * S) * (4.0 * double(std::min(Lc, S)) * DH + 4.0 * DH * DH);
  } else if (o.op == "mlstm_parallel") {
    // dense S×S: 2·2·S²·DH per (b, head)
    fwd = [&] { return seq::mlstm_parallel_fwd(q, k, v, ig, fg); };
    bwd = [&] { seq::mlstm_parallel_bwd(q, k, v, ig, fg, dh, g); };
    flops = double(B * NH) * 4.0 * double(S) * double(S) * DH;
  } else if (o.op == "mlstm_recurrent") {
    // per token and head: C update and C·q 2·2·DH²
    fwd = [&] { return seq::mlstm_recurrent_fwd(q, k, v, ig, fg, nullptr, nullptr); };
    bwd = [&] { seq::mlstm_recurrent_bwd(q, k, v, ig, fg, nullptr, dh, nullptr, g); };
    flops = double(B * NH * S) * 4.0 * DH * DH;
  } else {
    throw UsageError(cat("--op '", o.op, "' is unknown (expected mlstm_chunkwise, mlstm_parallel or mlstm_recurrent)"));
  }
  // Validate against the recurrent form (the definition) on the same input.
  base.check_err = rel_err(fwd(), seq::mlstm_recurrent_fwd(q, k, v, ig, fg, nullptr, nullptr));
  if (!(base.check_err <= kCheckTol)) base.status = cat("check failed: vs recurrent rel err ", base.check_err);
  for (const std::string& op : o.ops) {
    if (op != "fwd" && op != "bwd") continue;
    Row r = base;
    r.op = op;
    if (r.status == "ok") {
      const auto t = op == "fwd" ? time_it(o, nullptr, [&] { (void)fwd(); }) : time_it(o, nullptr, bwd);
      r.flops = op == "fwd" ? flops : 3 * flops;  // bwd recomputes the forward: 1 + 2
      r.median_s = t.first;
      r.min_s = t.second;
      r.tokens_s = double(B * S) / t.first;
      r.gflops = r.flops / t.first / 1e9;
      r.pct_peak = pk.gemm_gflops > 0 ? 100 * r.gflops / pk.gemm_gflops : 0;
    } else {
      log::warn("--op ", o.op, " ", op, ": ", r.status, " — not timed");
    }
    rows.push_back(r);
  }
}

// ---------------------------------------------------------------- --dump-weights (vs_pytorch)

/// For each model at the first grid size: /<i>/params/<name>, /<i>/ids (B,S) int32,
/// /<i>/logits (B,S,V), /<i>/targets, /<i>/loss and /<i>/grads/<name> after one cross-entropy
/// backward; attributes spec and config (JSON). scripts/bench/torch_models.py loads these by name.
void dump_weights(const Options& o, const json::Value& config) {
  io::H5File f = io::H5File::create(o.dump_weights);
  io::write_header(f, "bench-weights/1", config);
  const Size z = grid(o).front();
  Index i = 0;
  for (const std::string& spec : o.models) {
    const ModelConfig cfg = config_for(o, spec, z);
    model::LanguageModel<float> lm(cfg);
    Rng rng(o.seed + 29);
    lm.init(rng);
    // Perturb every parameter so zero-initialised ones (gates, norms' offsets) matter too.
    for (auto& it : lm.params().items())
      for (float& w : it.second->value) w += float(0.05 * rng.normal());
    Tensor<std::int32_t> ids({z.B, z.S}), targets({z.B, z.S});
    for (auto& v : ids) v = std::int32_t(rng.below(std::uint64_t(o.vocab)));
    for (auto& v : targets) v = std::int32_t(rng.below(std::uint64_t(o.vocab)));
    lm.params().zero_grad();
    const Tensor<float> logits = lm.forward(ids);
    Tensor<float> dl;
    const float loss = nn::cross_entropy(logits, targets, &dl);
    lm.backward(dl);
    const std::string g = cat("/", i++);
    f.create_group(g);
    f.set_attr(g, "spec", spec);
    f.set_attr(g, "config", lm.config().to_json().dump());
    for (auto& it : lm.params().items()) {
      f.write(cat(g, "/params/", it.first), it.second->value);
      f.write(cat(g, "/grads/", it.first), it.second->grad);
    }
    f.write(g + "/ids", ids);
    f.write(g + "/targets", targets);
    f.write(g + "/logits", logits);
    f.write(g + "/loss", Tensor<float>({1}, loss));
  }
  f.commit();
}

// ---------------------------------------------------------------- output

std::string fmt(double v, int prec = 3) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", prec, v);
  return buf;
}

const std::vector<std::string> kColumns = {"model", "scope", "kind", "op", "batch", "len", "d_model", "heads",
                                           "d_state", "chunk", "threads", "median_ms", "min_ms", "tokens_per_s",
                                           "gflops", "pct_gemm_peak", "gbs", "pct_bandwidth", "state_bytes_1",
                                           "state_bytes_L", "check_err", "status"};

std::vector<std::string> cells(const Row& r) {
  const bool timed = r.median_s > 0;
  auto num = [&](double v, int p = 3) { return timed ? fmt(v, p) : std::string(""); };
  const bool step = r.op == "step";
  auto i = [](double v) { return cat(std::int64_t(v)); };
  return {r.model, r.scope, r.kind, r.op, i(double(r.z.B)), i(double(r.z.S)), i(double(r.z.D)),
          i(double(r.z.NH)), i(double(r.z.N)), i(double(r.z.Lc)), i(r.threads), num(1e3 * r.median_s),
          num(1e3 * r.min_s), num(r.tokens_s, 4), num(r.gflops), num(r.pct_peak, 2), step ? num(r.gbs) : "",
          step ? num(r.pct_bw, 2) : "", step ? i(r.state_bytes_1) : "", step ? i(r.state_bytes_L) : "",
          fmt(r.check_err, 2), r.status};
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o + "\"";
}

void print_table(const Options& o, const std::vector<Row>& rows, const bench::Peaks& pk) {
  if (o.format == "md") {
    std::printf("machine: float32 GEMM peak %.1f GFLOP/s (n=%lld), STREAM triad %.1f GB/s, %d threads\n\n",
                pk.gemm_gflops, (long long)pk.gemm_n, pk.triad_gbs, pk.threads);
    // The md table leaves out the columns that are constant or rarely needed.
    const std::vector<size_t> show = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 15, 16, 18, 19, 20, 21};
    std::string head = "|", rule = "|";
    for (size_t c : show) {
      head += " " + kColumns[c] + " |";
      rule += (c <= 3 || c == 21) ? " --- |" : " ---: |";
    }
    std::printf("%s\n%s\n", head.c_str(), rule.c_str());
    for (const Row& r : rows) {
      const auto v = cells(r);
      std::string line = "|";
      for (size_t c : show) line += " " + v[c] + " |";
      std::printf("%s\n", line.c_str());
    }
  } else if (o.format == "csv") {
    std::string head;
    for (size_t c = 0; c < kColumns.size(); ++c) head += (c ? "," : "") + kColumns[c];
    std::printf("%s,gemm_peak_gflops,triad_gbs\n", head.c_str());
    for (const Row& r : rows) {
      const auto v = cells(r);
      std::string line;
      for (size_t c = 0; c < v.size(); ++c) {
        std::string cell = v[c];
        if (cell.find_first_of(",\"") != std::string::npos) cell = json_str(cell);
        line += (c ? "," : "") + cell;
      }
      std::printf("%s,%s,%s\n", line.c_str(), fmt(pk.gemm_gflops).c_str(), fmt(pk.triad_gbs).c_str());
    }
  } else {
    std::printf("{\"peaks\": {\"gemm_gflops\": %s, \"gemm_n\": %lld, \"triad_gbs\": %s, \"threads\": %d},\n \"rows\": [",
                fmt(pk.gemm_gflops, 6).c_str(), (long long)pk.gemm_n, fmt(pk.triad_gbs, 6).c_str(), pk.threads);
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto v = cells(rows[i]);
      std::printf("%s\n  {", i ? "," : "");
      for (size_t c = 0; c < v.size(); ++c) {
        const bool text = c <= 3 || c == 21;
        const std::string val = text ? json_str(v[c]) : (v[c].empty() || v[c] == "nan" || v[c] == "inf" || v[c] == "-inf") ? "null" : v[c];
        std::printf("%s\"%s\": %s", c ? ", " : "", kColumns[c].c_str(), val.c_str());
      }
      std::printf("}");
    }
    std::printf("\n]}\n");
  }
  std::fflush(stdout);
}

/// /results/<column>: one 1-D dataset per column over the rows (x_label "row", y_label the column,
/// units), string columns as string datasets; /peaks attributes.
void write_h5(const Options& o, const std::vector<Row>& rows, const bench::Peaks& pk, const json::Value& config) {
  io::H5File f = io::H5File::create(o.h5);
  io::write_header(f, "metrics/1", config);
  const Index n = Index(rows.size());
  auto col = [&](const std::string& name, const std::string& units, auto get) {
    Tensor<double> t({n});
    for (Index i = 0; i < n; ++i) t.data()[i] = get(rows[size_t(i)]);
    const std::string ds = "/results/" + name;
    f.write(ds, t);
    f.set_attr(ds, "x_label", "row");
    f.set_attr(ds, "y_label", name);
    f.set_attr(ds, "units", units);
  };
  auto strs = [&](const std::string& name, auto get) {
    std::vector<std::string> v;
    for (const Row& r : rows) v.push_back(get(r));
    f.write_strings("/results/" + name, v);
  };
  strs("model", [](const Row& r) { return r.model; });
  strs("scope", [](const Row& r) { return r.scope; });
  strs("kind", [](const Row& r) { return r.kind; });
  strs("op", [](const Row& r) { return r.op; });
  strs("status", [](const Row& r) { return r.status; });
  col("batch", "sequences", [](const Row& r) { return double(r.z.B); });
  col("len", "tokens", [](const Row& r) { return double(r.z.S); });
  col("d_model", "features", [](const Row& r) { return double(r.z.D); });
  col("heads", "heads", [](const Row& r) { return double(r.z.NH); });
  col("d_state", "states", [](const Row& r) { return double(r.z.N); });
  col("chunk", "tokens", [](const Row& r) { return double(r.z.Lc); });
  col("threads", "threads", [](const Row& r) { return double(r.threads); });
  col("median_s", "s", [](const Row& r) { return r.median_s > 0 ? r.median_s : NAN; });
  col("min_s", "s", [](const Row& r) { return r.median_s > 0 ? r.min_s : NAN; });
  col("tokens_per_s", "tokens/s", [](const Row& r) { return r.median_s > 0 ? r.tokens_s : NAN; });
  col("flops", "FLOP", [](const Row& r) { return r.flops; });
  col("gflops", "GFLOP/s", [](const Row& r) { return r.median_s > 0 ? r.gflops : NAN; });
  col("pct_gemm_peak", "%", [](const Row& r) { return r.median_s > 0 ? r.pct_peak : NAN; });
  col("gbs", "GB/s", [](const Row& r) { return r.op == "step" && r.median_s > 0 ? r.gbs : NAN; });
  col("state_bytes_1", "bytes", [](const Row& r) { return r.op == "step" ? r.state_bytes_1 : NAN; });
  col("state_bytes_L", "bytes", [](const Row& r) { return r.op == "step" ? r.state_bytes_L : NAN; });
  col("check_err", "relative", [](const Row& r) { return r.check_err; });
  f.create_group("/peaks");
  f.set_attr("/peaks", "gemm_gflops", pk.gemm_gflops);
  f.set_attr("/peaks", "gemm_n", std::int64_t(pk.gemm_n));
  f.set_attr("/peaks", "triad_gbs", pk.triad_gbs);
  f.set_attr("/peaks", "threads", std::int64_t(pk.threads));
  f.commit();
}

// ---------------------------------------------------------------- main

int body(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-bench";
  info.purpose = "time the mixers and models: tokens/s, GFLOP/s and fraction of this machine's measured peak";
  info.usage = "xssm-bench [--models LIST] [--batch LIST] [--len LIST] [--d-model LIST] [...] [-o md|csv|json] [--h5 FILE]";
  info.details =
      "For every model spec and every point of the size grid: each mixer kind of the spec, bare\n"
      "(scope mixer) and inside its residual block with norms and feed-forward (scope block), is\n"
      "timed forward (fwd), backward (bwd, after an untimed forward) and in step mode over the\n"
      "sequence (step); the whole model is timed forward and as a training step (train: forward,\n"
      "cross-entropy, backward, AdamW). Before timing, step() repeated must equal forward() on a\n"
      "short input (rel err <= 2e-3 in float32); a row that fails is reported, not timed, and the\n"
      "exit code is 1. FLOPs are counted per op (formulas in tools/tool_bench_flops.cpp), the\n"
      "float32 GEMM peak and STREAM-triad bandwidth are measured at the start with the same threads.\n"
      "Times are medians over --repeats runs after --warmup runs.";
  info.examples = {
      "xssm-bench --models mlstm,slstm --batch 8 --len 64,256 --d-model 64,128",
      "xssm-bench --models 'xlstm[1:1]',mamba --scopes model --ops train --threads 1 -o csv",
      "xssm-bench --op mlstm_chunkwise --d-model 256 --heads 4 --len 1024 --chunk-size 64",
      "xssm-bench --models mamba --len 32 --dump-weights w.h5 --ops none   # weights for vs_pytorch",
  };
  info.has_seed = true;
  cli::Common common;
  Options o;
  std::string models = "mlstm,slstm,xlstm[1:1],lstm,mamba,mamba2,s4d,transformer";
  std::string batch = "8", len = "64", d_model = "64", heads = "4", d_state = "16", chunk = "64";
  std::string ops = "fwd,bwd,step,train", scopes = "mixer,block,model";
  po::options_description sizes("Sizes (comma-separated lists; every combination is run)");
  sizes.add_options()
      ("models", po::value<std::string>(&models)->default_value(models), "model specs (see xssm-train --help)")
      ("batch", po::value<std::string>(&batch)->default_value(batch), "batch sizes B")
      ("len", po::value<std::string>(&len)->default_value(len), "sequence lengths S")
      ("d-model", po::value<std::string>(&d_model)->default_value(d_model), "model widths D")
      ("heads", po::value<std::string>(&heads)->default_value(heads), "heads (mLSTM, sLSTM, attention)")
      ("d-state", po::value<std::string>(&d_state)->default_value(d_state), "state sizes N (Mamba, Mamba-2, S4D)")
      ("chunk-size", po::value<std::string>(&chunk)->default_value(chunk), "chunk lengths (mLSTM chunkwise, Mamba-2 SSD)")
      ("vocab", po::value<Index>(&o.vocab)->default_value(o.vocab), "vocabulary of the model rows")
      ("num-blocks", po::value<Index>(&o.num_blocks)->default_value(0), "blocks per model (0: from the spec)");
  po::options_description what("What and how");
  what.add_options()
      ("scopes", po::value<std::string>(&scopes)->default_value(scopes), "mixer, block, model")
      ("ops", po::value<std::string>(&ops)->default_value(ops), "fwd, bwd, step (mixer/block), train (model); none")
      ("op", po::value<std::string>(&o.op), "time one seq/ op instead: mlstm_chunkwise, mlstm_parallel, mlstm_recurrent "
                                           "(q, k, v (B, heads, S, d-model/heads))")
      ("warmup", po::value<int>(&o.warmup)->default_value(o.warmup), "untimed runs before timing")
      ("repeats", po::value<int>(&o.repeats)->default_value(o.repeats), "timed runs (the median is reported)")
      ("no-peak", "skip measuring the GEMM peak and bandwidth (percent columns then stay 0)");
  po::options_description out_opts("Output");
  out_opts.add_options()
      ("output,o", po::value<std::string>(&o.format)->default_value(o.format), "table format on stdout: md, csv or json")
      ("h5", po::value<std::string>(&o.h5), "also write the results as HDF5 (metrics/1: /results/<column>, /peaks)")
      ("dump-weights", po::value<std::string>(&o.dump_weights),
       "write each model's initial (perturbed) parameters, a batch, its logits, loss and gradients "
       "(first grid size) to this HDF5 file, for scripts/bench/vs_pytorch");
  po::options_description visible;
  visible.add(sizes).add(what).add(out_opts);
  po::variables_map vm;
  if (!cli::parse(argc, argv, info, visible, {}, {}, vm, common)) return cli::kExitOk;

  o.seed = common.seed;
  o.peak = !vm.count("no-peak");
  o.models = split_names(models);
  if (o.models.empty()) throw UsageError("--models is empty");
  o.batch = parse_list(batch, "batch");
  o.len = parse_list(len, "len");
  o.d_model = parse_list(d_model, "d-model");
  o.heads = parse_list(heads, "heads");
  o.d_state = parse_list(d_state, "d-state");
  o.chunk = parse_list(chunk, "chunk-size");
  o.ops = split_names(ops);
  o.scopes = split_names(scopes);
  for (const auto& s : o.ops)
    if (s != "fwd" && s != "bwd" && s != "step" && s != "train" && s != "none")
      throw UsageError(cat("--ops: unknown op '", s, "' (expected fwd, bwd, step, train or none)"));
  for (const auto& s : o.scopes)
    if (s != "mixer" && s != "block" && s != "model")
      throw UsageError(cat("--scopes: unknown scope '", s, "' (expected mixer, block or model)"));
  if (o.format != "md" && o.format != "csv" && o.format != "json")
    throw UsageError(cat("-o must be md, csv or json, got '", o.format, "'"));
  if (o.warmup < 0) throw UsageError("--warmup must be ≥ 0");
  if (o.repeats < 1) throw UsageError("--repeats must be ≥ 1");
  if (o.vocab < 2) throw UsageError("--vocab must be ≥ 2");
  if (!o.h5.empty()) cli::check_output_path(o.h5, "--h5");
  if (!o.dump_weights.empty()) cli::check_output_path(o.dump_weights, "--dump-weights");
  // Every spec must parse before anything is timed (a typo is a usage error, exit 2).
  for (const auto& m : o.models) {
    ModelConfig c;
    c.spec = m;
    c.resolve();
  }
  const json::Value config = cli::options_json(vm);
  if (!o.dump_weights.empty()) {
    dump_weights(o, config);
    log::info("weights, inputs, logits and gradients written to ", o.dump_weights);
  }

  bench::Peaks pk;
  pk.threads = num_threads();
  if (o.peak) {
    pk = bench::measure_peaks();
    log::info("float32 GEMM peak ", fmt(pk.gemm_gflops), " GFLOP/s (n=", pk.gemm_n, "), STREAM triad ",
              fmt(pk.triad_gbs), " GB/s, ", pk.threads, " threads");
  }
  std::vector<Row> rows;
  const bool any_op = std::any_of(o.ops.begin(), o.ops.end(), [](const std::string& s) { return s != "none"; });
  if (any_op) {
    if (!o.op.empty()) {
      for (const Size& z : grid(o)) bench_op(o, z, pk, rows);
    } else {
      const bool blocks = std::count(o.scopes.begin(), o.scopes.end(), "mixer") +
                          std::count(o.scopes.begin(), o.scopes.end(), "block") > 0;
      const bool models_too = std::count(o.scopes.begin(), o.scopes.end(), "model") > 0;
      for (const Size& z : grid(o)) {
        std::set<BlockKind> done;  // each mixer kind once per size, whichever spec brings it
        for (const std::string& spec : o.models) {
          const ModelConfig cfg = config_for(o, spec, z);
          try {
            if (blocks)
              for (BlockKind k : cfg.block_kinds())
                if (done.insert(k).second) bench_block(o, spec, k, z, pk, rows);
            if (models_too) bench_model(o, spec, z, pk, rows);
          } catch (const UsageError& e) {
            // An impossible size for this family (e.g. heads not dividing the width): say so, go on.
            Row r;
            r.model = spec;
            r.scope = "-";
            r.kind = cfg.family();
            r.op = "-";
            r.z = z;
            r.threads = num_threads();
            r.check_err = NAN;
            r.status = cat("skipped: ", e.what());
            log::warn(spec, ": ", r.status);
            rows.push_back(r);
          }
          log::info(spec, " B=", z.B, " S=", z.S, " D=", z.D, " done");
        }
      }
    }
    print_table(o, rows, pk);
  }
  if (!o.h5.empty()) write_h5(o, rows, pk, config);
  const bool failed = std::any_of(rows.begin(), rows.end(), [](const Row& r) {
    return r.status != "ok" && r.status.rfind("skipped", 0) != 0;
  });
  return failed ? cli::kExitError : cli::kExitOk;
}

}  // namespace
}  // namespace xssm

int bench_main(int argc, char** argv) { return xssm::cli::run("xssm-bench", argc, argv, xssm::body); }
