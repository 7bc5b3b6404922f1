// The interface every sequence mixer implements (lstm, slstm, mlstm, s4d, mamba, mamba2,
// attention, infty): a parallel/training form with a hand-written backward pass, and a step
// form whose recurrent state is a list of named tensors (DESIGN.md §2) that probe/ reads.
#pragma once
#include <string>

#include "xssm/core/named_tensors.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/core/tensor.hpp"
#include "xssm/nn/param.hpp"

namespace xssm::seq {

template <class T>
class Mixer {
 public:
  virtual ~Mixer() = default;
  /// "mlstm", "slstm", "mamba", ...
  virtual std::string kind() const = 0;
  /// Model width D (input and output feature size).
  virtual Index dim() const = 0;
  /// Register parameters under prefix (names as the official state_dict, '.' → '/').
  virtual void collect(const std::string& prefix, nn::ParamList<T>& out) = 0;
  /// The official initialisation (`num_blocks`, `block_index`: for inits that depend on depth).
  virtual void init(Rng& rng, Index num_blocks, Index block_index) = 0;

  /// x (B,S,D) → y (B,S,D), from the zero/initial state; keeps what backward needs.
  virtual Tensor<T> forward(const Tensor<T>& x) = 0;
  /// dy (B,S,D) → dx (B,S,D); adds parameter gradients into Param::grad.
  virtual Tensor<T> backward(const Tensor<T>& dy) = 0;

  /// The state before the first step, for a batch of B sequences.
  virtual NamedTensors<T> initial_state(Index batch) const = 0;
  /// One step: x_t (B,D) → y_t (B,D), updating `state` in place. Repeating step() over a
  /// sequence gives forward() (up to the documented stabiliser conventions).
  virtual Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) = 0;
  /// Whether step memory grows with the sequence (attention's KV cache) or stays constant.
  virtual bool constant_state() const { return true; }
};

}  // namespace xssm::seq
