// State tracking probe: decode a per-position ground truth (/labels/<name> of a dataset: the
// current group element, the parity, the stack top, …) from the state at every chosen position.
// One ridge classifier (probe/ridge.hpp) is fitted on all positions of the training sequences;
// its accuracy is then reported per position on the test sequences, with the chance level of
// always answering the training set's most frequent label at that position.
#pragma once
#include <cstdint>
#include <vector>

#include "xssm/core/tensor.hpp"
#include "xssm/probe/ridge.hpp"

namespace xssm::probe {

struct TrackResult {
  std::vector<double> accuracy;  // per position (test sequences); NaN where no test row is scored
  std::vector<double> chance;    // per position: majority training label's rate on the test rows
  double overall = 0;            // over every scored test row
  double lambda = 0;
  Index num_classes = 0;
};

/// features (N,P,F): the state at positions[p] of sequence n; labels (N,S) with negative = not
/// scored (S > every position). Label values are mapped to classes in ascending order.
template <class T>
TrackResult track_probe(const Tensor<T>& features, const std::vector<Index>& positions,
                        const Tensor<std::int32_t>& labels, const RidgeOptions& opt);

}  // namespace xssm::probe
