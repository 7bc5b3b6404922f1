// The one place that turns a ModelConfig into blocks: which mixer, norm and feed-forward each
// BlockKind gets, with the sizes resolved the way the official code resolves them.
#pragma once
#include <memory>

#include "xssm/model/block.hpp"
#include "xssm/model/config.hpp"

namespace xssm::model {

/// Block `index` of the stack described by `cfg` (cfg.resolve() already called).
template <class T>
Block<T> make_block(const ModelConfig& cfg, Index index);

/// The model's final norm: xLSTM-family stacks use LayerNorm (1 + w), the others RMSNorm.
NormKind final_norm_kind(const ModelConfig& cfg);

}  // namespace xssm::model
