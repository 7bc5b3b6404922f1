// Running a language model in step mode and collecting, per block, the block output and every
// named state tensor (DESIGN.md §2) at chosen positions: the features the probes read.
//
// Sources are named "blocks/<i>/output" (the block's output (B,D) after step t) and
// "blocks/<i>/<name>" (a state tensor after step t, e.g. blocks/0/C for the mLSTM matrix
// memory); a state tensor's leading axis is the batch, the rest is flattened per sequence.
// Sequences are processed in fixed batches in order, so the result does not depend on the
// thread count. State tensors whose size changes with the position (an attention KV cache)
// cannot feed a fixed-width read-out and are left out (with one warning).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "xssm/core/tensor.hpp"
#include "xssm/model/lm.hpp"
#include "xssm/probe/schema.hpp"

namespace xssm::probe {

/// What the probes need from a model: its initial state and one step. The language model is
/// adapted by probe/lm_stepper.hpp; tests drive the probes with small linear systems.
class Steppable {
 public:
  virtual ~Steppable() = default;
  virtual model::ModelState<float> initial_state(Index batch) = 0;
  /// Token ids (B) → state updated in place; `outputs` receives one (B,D) tensor per block.
  virtual void step(const Tensor<std::int32_t>& ids_t, model::ModelState<float>& state,
                    std::vector<Tensor<float>>& outputs) = 0;
  /// Real inputs (B,F), for models with real-valued inputs.
  virtual void step_real(const Tensor<float>& x_t, model::ModelState<float>& state,
                         std::vector<Tensor<float>>& outputs) = 0;
};

struct CollectOptions {
  std::vector<Index> positions;  // positions to keep (ascending); empty = every position
  Index batch = 32;              // sequences stepped together
  bool outputs = true;           // collect block outputs
  bool states = true;            // collect named state tensors
};

struct Collected {
  std::vector<Index> positions;         // P kept positions
  std::vector<SourceSize> sources;      // one per feature tensor below
  std::vector<Tensor<float>> features;  // per source (N, P, F_source)
};

/// The feature sources of a model after one step: names and per-sequence sizes.
std::vector<SourceSize> source_sizes(const model::ModelState<float>& state, const std::vector<Tensor<float>>& outputs,
                                     Index batch, const CollectOptions& opt);

/// Copy sequence b's values of every source (in source_sizes order) to dst[i] (F_i floats each).
void gather_sources(const model::ModelState<float>& state, const std::vector<Tensor<float>>& outputs, Index batch,
                    Index b, const CollectOptions& opt, const std::vector<float*>& dst);

/// Token ids (N,S): step the model over every sequence from its initial state.
Collected collect(Steppable& model, const Tensor<std::int32_t>& ids, const CollectOptions& opt);
/// Real inputs (N,S,F) (models with input_dim = F).
Collected collect_real(Steppable& model, const Tensor<float>& x, const CollectOptions& opt);

}  // namespace xssm::probe
