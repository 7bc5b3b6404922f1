// Official configurations and parameter names ↔ xssm's (for xssm-convert and the LM fixtures).
//   xLSTM (NX-AI xLSTMLMModel)          xssm
//   token_embedding.weight              token_embedding/weight
//   xlstm_block_stack.blocks.<i>.<p>    blocks/<i>/<p with . → />
//   xlstm_block_stack.post_blocks_norm.weight   post_blocks_norm/weight
//   lm_head.weight                      lm_head/weight
//   Mamba (MambaLMHeadModel)
//   backbone.embedding.weight           token_embedding/weight
//   backbone.layers.<i>.<p>             blocks/<i>/<p with . → />   (norm, mixer)
//   backbone.norm_f.weight              post_blocks_norm/weight
//   lm_head.weight                      lm_head/weight (absent in xssm when tied)
#pragma once
#include <string>

#include "xssm/core/json.hpp"
#include "xssm/model/config.hpp"

namespace xssm::model {

enum class OfficialFamily { Xlstm, Mamba };
/// "xlstm" | "mamba" (UsageError otherwise).
OfficialFamily parse_official_family(const std::string& s);

/// ModelConfig from an official configuration: for xLSTM the xLSTMLMModelConfig as JSON (or an
/// object holding it under "model_config", as the fixtures store it); for Mamba the MambaConfig
/// (or an object with "model_config"), with the vocabulary padded to pad_vocab_size_multiple.
ModelConfig config_from_official(const json::Value& cfg, OfficialFamily fam);

/// Official state_dict name → xssm registry name; throws xssm::Error for a name outside the scheme.
std::string from_official_name(const std::string& name, OfficialFamily fam);
/// xssm registry name → official state_dict name.
std::string to_official_name(const std::string& name, OfficialFamily fam);

}  // namespace xssm::model
