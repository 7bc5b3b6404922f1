#include "xssm/model/official.hpp"

#include <algorithm>
#include <cmath>

namespace xssm::model {

namespace {

std::string dots_to_slashes(std::string s) {
  std::replace(s.begin(), s.end(), '.', '/');
  return s;
}
std::string slashes_to_dots(std::string s) {
  std::replace(s.begin(), s.end(), '/', '.');
  return s;
}
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

const json::Value& unwrap(const json::Value& cfg) {
  const json::Value* mc = cfg.find("model_config");
  return mc ? *mc : cfg;
}

}  // namespace

OfficialFamily parse_official_family(const std::string& s) {
  if (s == "xlstm") return OfficialFamily::Xlstm;
  if (s == "mamba") return OfficialFamily::Mamba;
  throw UsageError(cat("unknown official model family '", s, "' (expected xlstm or mamba)"));
}

ModelConfig config_from_official(const json::Value& cfg, OfficialFamily fam) {
  const json::Value& m = unwrap(cfg);
  ModelConfig c;
  if (fam == OfficialFamily::Xlstm) {
    c.d_model = m.at("embedding_dim").as_int();
    c.num_blocks = m.at("num_blocks").as_int();
    c.vocab_size = m.at("vocab_size").as_int();
    c.tie_embeddings = m.get_bool("tie_weights", false);
    c.bias = m.get_bool("bias", false);
    if (const json::Value* at = m.find("slstm_at"))
      for (const auto& x : at->items()) c.slstm_at.push_back(x.as_int());
    const Index b = Index(c.slstm_at.size()), a = c.num_blocks - b;
    c.spec = b == 0 ? "mlstm" : a == 0 ? "slstm" : cat("xlstm[", a, ":", b, "]");
    if (b == 0 || a == 0) c.slstm_at.clear();  // implied by the spec
    const json::Value* mb = m.find("mlstm_block");
    if (mb && !mb->is_null()) {
      const json::Value& ml = mb->at("mlstm");
      c.num_heads = ml.get_int("num_heads", c.num_heads);
      c.conv_kernel = ml.get_int("conv1d_kernel_size", c.conv_kernel);
      c.qkv_blocksize = ml.get_int("qkv_proj_blocksize", c.qkv_blocksize);
      c.mlstm_proj_factor = ml.get_number("proj_factor", c.mlstm_proj_factor);
      c.round_to = ml.get_int("round_proj_up_to_multiple_of", c.round_to);
    }
    const json::Value* sb = m.find("slstm_block");
    if (sb && !sb->is_null()) {
      const json::Value& sl = sb->at("slstm");
      c.slstm_num_heads = sl.get_int("num_heads", 0);
      if (!mb || mb->is_null()) c.num_heads = c.slstm_num_heads;
      c.slstm_conv_kernel = sl.get_int("conv1d_kernel_size", c.slstm_conv_kernel);
      if (const json::Value* ff = sb->find("feedforward"); ff && !ff->is_null())
        c.ffn_proj_factor = ff->get_number("proj_factor", c.ffn_proj_factor);
    }
    if (c.slstm_num_heads == c.num_heads) c.slstm_num_heads = 0;
  } else {
    const json::Value& s = m.at("ssm_cfg");
    c.spec = s.get_string("layer", "Mamba1") == "Mamba2" ? "mamba2" : "mamba";
    c.d_model = m.at("d_model").as_int();
    c.num_blocks = m.at("n_layer").as_int();
    const Index v = m.at("vocab_size").as_int(), mult = m.get_int("pad_vocab_size_multiple", 8);
    c.vocab_size = (v + mult - 1) / mult * mult;
    c.tie_embeddings = m.get_bool("tie_embeddings", true);
    if (m.get_int("d_intermediate", 0) != 0)
      throw Error("Mamba configs with an MLP (d_intermediate > 0) are not supported");
    if (const json::Value* al = m.find("attn_layer_idx"); al && al->size() > 0)
      throw Error("hybrid Mamba configs with attention layers (attn_layer_idx) are not supported");
    if (!m.get_bool("rms_norm", true)) throw Error("Mamba configs with rms_norm=false are not supported");
    c.d_state = s.get_int("d_state", c.spec == "mamba2" ? 128 : 16);
    c.conv_kernel = s.get_int("d_conv", 4);
    c.expand = s.get_int("expand", 2);
    c.headdim = s.get_int("headdim", 64);
    c.ngroups = s.get_int("ngroups", 1);
    c.chunk_size = s.get_int("chunk_size", 256);
    c.d_has_hdim = s.get_bool("D_has_hdim", false);
    c.bias = s.get_bool("bias", false);
    c.dt_min = s.get_number("dt_min", 0.001);
    c.dt_max = s.get_number("dt_max", 0.1);
    const json::Value* r = s.find("dt_rank");
    if (r && r->is_number()) c.dt_rank = r->as_int();
  }
  c.resolve();
  return c;
}

std::string from_official_name(const std::string& name, OfficialFamily fam) {
  struct Rule {
    const char* official;
    const char* ours;
  };
  static const Rule xlstm[] = {{"token_embedding.", "token_embedding/"},
                               {"xlstm_block_stack.blocks.", "blocks/"},
                               {"xlstm_block_stack.post_blocks_norm.", "post_blocks_norm/"},
                               {"lm_head.", "lm_head/"}};
  static const Rule mamba[] = {{"backbone.embedding.", "token_embedding/"},
                               {"backbone.layers.", "blocks/"},
                               {"backbone.norm_f.", "post_blocks_norm/"},
                               {"lm_head.", "lm_head/"}};
  for (const Rule& r : fam == OfficialFamily::Xlstm ? xlstm : mamba)
    if (starts_with(name, r.official))
      return r.ours + dots_to_slashes(name.substr(std::string(r.official).size()));
  throw Error(cat("parameter '", name, "' is not a ", fam == OfficialFamily::Xlstm ? "xLSTM" : "Mamba",
                  " language-model parameter name"));
}

std::string to_official_name(const std::string& name, OfficialFamily fam) {
  struct Rule {
    const char* ours;
    const char* official;
  };
  static const Rule xlstm[] = {{"token_embedding/", "token_embedding."},
                               {"blocks/", "xlstm_block_stack.blocks."},
                               {"post_blocks_norm/", "xlstm_block_stack.post_blocks_norm."},
                               {"lm_head/", "lm_head."}};
  static const Rule mamba[] = {{"token_embedding/", "backbone.embedding."},
                               {"blocks/", "backbone.layers."},
                               {"post_blocks_norm/", "backbone.norm_f."},
                               {"lm_head/", "lm_head."}};
  for (const Rule& r : fam == OfficialFamily::Xlstm ? xlstm : mamba)
    if (starts_with(name, r.ours)) return r.official + slashes_to_dots(name.substr(std::string(r.ours).size()));
  throw Error(cat("parameter '", name, "' has no official name"));
}

}  // namespace xssm::model
