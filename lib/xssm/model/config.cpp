#include "xssm/model/config.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "xssm/core/error.hpp"

namespace xssm::model {

std::string block_kind_name(BlockKind k) {
  switch (k) {
    case BlockKind::Mlstm: return "mlstm";
    case BlockKind::Slstm: return "slstm";
    case BlockKind::Lstm: return "lstm";
    case BlockKind::S4d: return "s4d";
    case BlockKind::Mamba: return "mamba";
    case BlockKind::Mamba2: return "mamba2";
    case BlockKind::Transformer: return "transformer";
    case BlockKind::Infty: return "infty";
  }
  return "?";
}

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}
struct Parsed {
  bool xlstm = false;
  Index a = 0, b = 0;
  BlockKind kind = BlockKind::Mlstm;
};
Parsed parse_spec(const std::string& spec) {
  const std::string s = lower(spec);
  Parsed p;
  std::smatch m;
  if (std::regex_match(s, m, std::regex(R"(xlstm\[(\d+):(\d+)\])"))) {
    p.xlstm = true;
    p.a = std::stoll(m[1]);
    p.b = std::stoll(m[2]);
    if (p.a + p.b == 0) throw UsageError("--model xlstm[0:0] has no blocks");
    return p;
  }
  static const std::pair<const char*, BlockKind> kinds[] = {
      {"mlstm", BlockKind::Mlstm}, {"slstm", BlockKind::Slstm},   {"lstm", BlockKind::Lstm},
      {"s4d", BlockKind::S4d},     {"mamba", BlockKind::Mamba},   {"mamba2", BlockKind::Mamba2},
      {"transformer", BlockKind::Transformer}, {"infty", BlockKind::Infty}};
  for (auto& k : kinds)
    if (s == k.first) {
      p.kind = k.second;
      return p;
    }
  throw UsageError(cat("unknown model spec '", spec,
                       "' (expected xlstm[a:b], mlstm, slstm, lstm, s4d, mamba, mamba2, transformer or infty)"));
}
}  // namespace

void ModelConfig::resolve() {
  Parsed p = parse_spec(spec);
  if (num_blocks <= 0) num_blocks = p.xlstm ? p.a + p.b : 2;
  if (num_blocks <= 0) throw UsageError("--num-blocks must be ≥ 1");
  if (d_model <= 0) throw UsageError("--d-model must be ≥ 1");
  if (num_heads <= 0) throw UsageError("--heads must be ≥ 1");
  if (attention_window < 0) throw UsageError("--attention-window must be ≥ 0 (0 = all tokens)");
  for (Index i : slstm_at)
    if (i < 0 || i >= num_blocks) throw UsageError(cat("--slstm-at ", i, " is outside the ", num_blocks, " blocks"));
  (void)block_kinds();
}

std::vector<BlockKind> ModelConfig::block_kinds() const {
  Parsed p = parse_spec(spec);
  std::vector<BlockKind> k(size_t(num_blocks), p.kind);
  if (!p.xlstm && slstm_at.empty()) return k;
  if (!p.xlstm && p.kind != BlockKind::Mlstm && p.kind != BlockKind::Slstm)
    throw UsageError("--slstm-at applies to xlstm[a:b], mlstm and slstm models only");
  for (Index i = 0; i < num_blocks; ++i) {
    bool s;
    if (!slstm_at.empty()) {
      s = std::find(slstm_at.begin(), slstm_at.end(), i) != slstm_at.end();
    } else {
      // ratio rule: b sLSTM blocks among every a+b, placed at the end of each group
      const Index n = p.a + p.b;
      s = ((i + 1) * p.b) / n > (i * p.b) / n;
    }
    k[size_t(i)] = s ? BlockKind::Slstm : BlockKind::Mlstm;
  }
  return k;
}

std::string ModelConfig::family() const { return lower(spec); }

json::Value ModelConfig::to_json() const {
  json::Value v = json::Value::object();
  v["spec"] = spec;
  v["vocab_size"] = (long long)vocab_size;
  v["d_model"] = (long long)d_model;
  v["num_blocks"] = (long long)num_blocks;
  v["num_heads"] = (long long)num_heads;
  v["slstm_num_heads"] = (long long)slstm_num_heads;
  v["bias"] = bias;
  v["input_dim"] = (long long)input_dim;
  v["mlstm_proj_factor"] = mlstm_proj_factor;
  v["ffn_proj_factor"] = ffn_proj_factor;
  v["round_to"] = (long long)round_to;
  v["qkv_blocksize"] = (long long)qkv_blocksize;
  v["conv_kernel"] = (long long)conv_kernel;
  v["slstm_conv_kernel"] = (long long)slstm_conv_kernel;
  v["chunk_size"] = (long long)chunk_size;
  json::Value at = json::Value::array();
  for (Index i : slstm_at) at.push_back((long long)i);
  v["slstm_at"] = at;
  v["d_state"] = (long long)d_state;
  v["expand"] = (long long)expand;
  v["headdim"] = (long long)headdim;
  v["ngroups"] = (long long)ngroups;
  v["dt_rank"] = (long long)dt_rank;
  v["d_has_hdim"] = d_has_hdim;
  v["dt_min"] = dt_min;
  v["dt_max"] = dt_max;
  v["ffn_factor"] = ffn_factor;
  v["rope"] = rope;
  v["attention_window"] = (long long)attention_window;
  v["ltm_basis"] = (long long)ltm_basis;
  v["ltm_sticky"] = ltm_sticky;
  v["tie_embeddings"] = tie_embeddings;
  json::Value kinds = json::Value::array();
  for (BlockKind k : block_kinds()) kinds.push_back(block_kind_name(k));
  v["block_kinds"] = kinds;
  return v;
}

ModelConfig ModelConfig::from_json(const json::Value& v) {
  ModelConfig c;
  c.spec = v.at("spec").as_string();
  c.vocab_size = v.get_int("vocab_size", c.vocab_size);
  c.d_model = v.get_int("d_model", c.d_model);
  c.num_blocks = v.get_int("num_blocks", c.num_blocks);
  c.num_heads = v.get_int("num_heads", c.num_heads);
  c.slstm_num_heads = v.get_int("slstm_num_heads", c.slstm_num_heads);
  c.bias = v.get_bool("bias", c.bias);
  c.input_dim = v.get_int("input_dim", c.input_dim);
  c.mlstm_proj_factor = v.get_number("mlstm_proj_factor", c.mlstm_proj_factor);
  c.ffn_proj_factor = v.get_number("ffn_proj_factor", c.ffn_proj_factor);
  c.round_to = v.get_int("round_to", c.round_to);
  c.qkv_blocksize = v.get_int("qkv_blocksize", c.qkv_blocksize);
  c.conv_kernel = v.get_int("conv_kernel", c.conv_kernel);
  c.slstm_conv_kernel = v.get_int("slstm_conv_kernel", c.slstm_conv_kernel);
  c.chunk_size = v.get_int("chunk_size", c.chunk_size);
  if (const json::Value* at = v.find("slstm_at"))
    for (const auto& x : at->items()) c.slstm_at.push_back(x.as_int());
  c.d_state = v.get_int("d_state", c.d_state);
  c.expand = v.get_int("expand", c.expand);
  c.headdim = v.get_int("headdim", c.headdim);
  c.ngroups = v.get_int("ngroups", c.ngroups);
  c.dt_rank = v.get_int("dt_rank", c.dt_rank);
  c.d_has_hdim = v.get_bool("d_has_hdim", c.d_has_hdim);
  c.dt_min = v.get_number("dt_min", c.dt_min);
  c.dt_max = v.get_number("dt_max", c.dt_max);
  c.ffn_factor = v.get_number("ffn_factor", c.ffn_factor);
  c.rope = v.get_bool("rope", c.rope);
  c.attention_window = v.get_int("attention_window", c.attention_window);
  c.ltm_basis = v.get_int("ltm_basis", c.ltm_basis);
  c.ltm_sticky = v.get_bool("ltm_sticky", c.ltm_sticky);
  c.tie_embeddings = v.get_bool("tie_embeddings", c.tie_embeddings);
  c.resolve();
  return c;
}

}  // namespace xssm::model
