// Associative recall probe for MQAR-style data (Zoology; TASKS.md §1): the key-value context
// k_1 v_1 k_2 v_2 … k_P v_P sits at positions 0..2P−1 and each key is queried once later, with
// its value as the target at the query position.
//
// For each number m of stored pairs (a grid of 1..P), the model is stepped over the first m
// pairs; from the state at the end of that context (after v_m) it takes one more step with key
// k_j (j ≤ m) as input, and a ridge classifier decodes v_j from each feature source after that
// step (the block output and every named state tensor). Accuracy on test sequences as a
// function of m is the capacity curve: how many bindings the state holds retrievably by key.
#pragma once
#include <cstdint>
#include <vector>

#include "xssm/core/tensor.hpp"
#include "xssm/model/lm.hpp"
#include "xssm/probe/collect.hpp"
#include "xssm/probe/ridge.hpp"

namespace xssm::probe {

/// The key-value context of every example.
struct MqarLayout {
  Index max_pairs = 0;            // P (the most pairs of any example)
  std::vector<Index> num_pairs;   // per example: the number of scored queries
  Tensor<std::int32_t> keys;      // (N,P) k_j (−1 past an example's pairs)
  Tensor<std::int32_t> values;    // (N,P) v_j (−1 past an example's pairs)
};

/// Read the layout from dataset/1 inputs (N,S) and targets (N,S): an example with q scored
/// targets holds q pairs at positions 0..2q−1; every query (a scored position) must ask for one
/// of them and expect its value. Throws xssm::Error naming the first example that does not.
MqarLayout mqar_layout(const Tensor<std::int32_t>& ids, const Tensor<std::int32_t>& targets);

struct RecallOptions {
  std::vector<Index> pair_counts;  // numbers of stored pairs m to probe (empty = 1..P)
  CollectOptions collect;          // batch size and which sources (positions are ignored)
  RidgeOptions ridge;
};

struct RecallResult {
  std::vector<Index> pair_counts;             // M values of m
  std::vector<SourceSize> sources;            // sources after a query step at the largest m
  std::vector<std::vector<double>> accuracy;  // [source][m] test accuracy
  std::vector<double> chance;                 // [m] most frequent value's rate (1/#values when uniform)
};

RecallResult recall_probe(Steppable& model, const Tensor<std::int32_t>& ids, const MqarLayout& layout,
                          const RecallOptions& opt);

}  // namespace xssm::probe
