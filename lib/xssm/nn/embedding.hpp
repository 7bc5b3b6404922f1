// Token embedding: y[…, :] = weight[ids[…], :], weight (V, D) as the official `weight`.
#pragma once
#include <cstdint>
#include <string>

#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::nn {

template <class T>
struct Embedding {
  Param<T> weight;  ///< (V, D)

  Embedding() = default;
  Embedding(Index V, Index D);
  Index vocab() const { return weight.value.rank() == 2 ? weight.value.dim(0) : 0; }
  Index dim() const { return weight.value.rank() == 2 ? weight.value.dim(1) : 0; }

  /// Registers prefix/weight.
  void collect(const std::string& prefix, ParamList<T>& l);
  /// ids (…) → (…, D). Throws xssm::Error naming the id and V for an id outside [0, V).
  Tensor<T> forward(const Tensor<std::int32_t>& ids) const;
  /// Accumulates dy (…, D) into the rows of weight.grad picked by ids.
  void backward(const Tensor<std::int32_t>& ids, const Tensor<T>& dy);
  /// weight ~ N(0, std²).
  void init_normal(Rng& rng, double std);
};

}  // namespace xssm::nn
