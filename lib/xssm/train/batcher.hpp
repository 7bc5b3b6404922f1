// Mini-batches for training and evaluation, with length bucketing.
//
// A sequence's effective length is 1 + the last position whose target is scored (targets ≠ −1).
// The models are causal, so cutting a batch after its longest effective length changes no scored
// output: bucketing is exact, and variable-length tasks (formal languages padded to --max-len)
// waste little compute on padding.
//
// Training order: epoch e shuffles the sequences with Rng(seed).fork(e), groups them in pools of
// `bucket_pool` batches, sorts each pool by length, cuts it into batches and shuffles the batches
// of the epoch. The whole sampler state is (epoch, cursor), so a resumed run sees the same batches.
#pragma once
#include <cstdint>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::train {

/// The tensors of a dataset/1 file that training needs (not owned).
struct DataView {
  const Tensor<std::int32_t>* inputs = nullptr;  // (N,S) token ids
  const Tensor<std::int32_t>* targets = nullptr; // (N,S), −1 = not scored
  const Tensor<float>* inputs_real = nullptr;    // (N,S,F) real inputs, or null
  Index size() const { return targets->dim(0); }
  Index length() const { return targets->dim(1); }
};

struct Batch {
  std::vector<Index> rows;          // dataset rows in this batch
  Index length = 0;                 // S of this batch (≤ dataset S)
  Tensor<std::int32_t> inputs;      // (B, length) (empty for real inputs)
  Tensor<float> inputs_real;        // (B, length, F) or empty
  Tensor<std::int32_t> targets;     // (B, length)
  Index scored() const;
};

/// Effective length of every row (at least 1).
std::vector<Index> effective_lengths(const Tensor<std::int32_t>& targets);

/// Gather rows into a batch cut to `length` steps.
Batch make_batch(const DataView& d, const std::vector<Index>& rows, Index length);

class Batcher {
 public:
  Batcher(DataView data, Index batch_size, std::uint64_t seed, Index bucket_pool = 8);
  Batch next();
  /// Sampler state for checkpoints.
  Index epoch() const { return epoch_; }
  Index cursor() const { return cursor_; }
  void set_state(Index epoch, Index cursor);

 private:
  void plan_epoch();
  DataView data_;
  Index batch_size_, pool_;
  std::uint64_t seed_;
  std::vector<Index> lengths_;
  std::vector<std::vector<Index>> plan_;  // this epoch's batches
  Index epoch_ = 0, cursor_ = 0;
};

/// Deterministic evaluation batches: rows in order of length, cut into batches.
std::vector<std::vector<Index>> eval_batches(const Tensor<std::int32_t>& targets, Index batch_size);

}  // namespace xssm::train
