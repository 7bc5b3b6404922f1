// Evaluation of a language model on a dataset: loss, perplexity, token and sequence accuracy,
// accuracy by position and by (effective) sequence length. Sequences longer than
// `max_parallel_len` run in step (recurrent) mode, whose memory does not grow with the length.
#pragma once
#include <functional>
#include <vector>

#include "xssm/model/lm.hpp"
#include "xssm/train/batcher.hpp"

namespace xssm::train {

struct EvalResult {
  double loss = 0;          // mean cross-entropy (nats) over scored positions
  double accuracy = 0;      // scored positions whose argmax is the target
  double seq_accuracy = 0;  // sequences with every scored position right
  Index scored = 0, sequences = 0;
  std::vector<double> pos_correct, pos_count;  // by position t (S entries)
  std::vector<double> len_correct, len_count;  // by effective length (S+1 entries; index = length)
  std::vector<double> seq_len_correct, seq_len_count;  // whole-sequence accuracy by length
  Index step_mode_sequences = 0;
};

struct EvalOptions {
  Index batch_size = 32;
  Index max_parallel_len = 0;  // > 0: longer batches run in step mode
  bool force_step = false;     // every batch in step mode (e.g. to dump states)
};

/// Called once per time step in step mode: (batch, t, logits_t (B,V), state after step t).
using StepHook = std::function<void(const Batch&, Index, const Tensor<float>&, const model::ModelState<float>&)>;
/// Called once per batch with its logits (B,L,V) (both modes).
using LogitsHook = std::function<void(const Batch&, const Tensor<float>&)>;

EvalResult evaluate(model::LanguageModel<float>& m, const DataView& data, const EvalOptions& opt,
                    const LogitsHook& on_logits = {}, const StepHook& on_step = {});

}  // namespace xssm::train
