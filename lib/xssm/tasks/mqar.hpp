// MQAR, multi-query associative recall (Zoology, Arora et al. 2023; used by xLSTM, Based, Mamba-2).
//
// Vocabulary (as zoology/data/multiquery_ar.py): token 0 = filler, keys in [1, V/2), values in
// [V/2, V). Per example, K distinct keys k_j and K distinct values v_j:
//   positions 0..2K-1     k_1 v_1 k_2 v_2 … k_K v_K                       (the KV block)
//   query region          S-2K positions = floor((S-2K)/2) slots of two; K distinct slots g_j are
//                         drawn without replacement with weight (g+1)^(alpha-1) (power law: queries
//                         near the block are likelier), key k_j at 2K+2g_j and v_j right after it
//   everything else       filler 0 (or, with random_fillers, a uniform token of [0, V))
// targets[t] = v_j at the query position of k_j (the next token is its value), -1 elsewhere:
// exactly K scored positions per example; the KV block is not scored.
// Labels: /labels/value = the value bound to the key at t (KV block and queries), -1 elsewhere.
#pragma once
#include <cstdint>

#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

struct MqarOptions {
  Index n = 1000;          // examples
  Index seq_len = 64;      // S
  std::int64_t vocab = 8192;
  Index kv_pairs = 4;      // K (needs 4K ≤ S when S-2K is even)
  double alpha = 0.01;     // power-law exponent of the query positions (Zoology default)
  bool random_fillers = false;  // Based / Mamba-2 "harder MQAR"
  std::uint64_t seed = 0;
};

/// Throws UsageError when the options are inconsistent (too many pairs for S or V).
io::Dataset make_mqar(const MqarOptions& o);

}  // namespace xssm::tasks
