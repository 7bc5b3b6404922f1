// Opt-in recording of the inputs of every nn::Linear and nn::HeadwiseLinear during a forward
// pass (for Wanda pruning in xssm-convert: score |W_ij|·‖X_j‖₂ needs the norm of each input
// feature j over all calibration tokens). Off by default: the hook in the layers is one relaxed
// atomic load of a null pointer. Layers are identified by the address of their weight Param,
// which the caller maps back to names through the model's ParamList.
// The recorder is global (not thread-local) because layers may run inside parallel_for workers;
// record() takes a lock. Install it with a RecorderScope around the forward passes.
#pragma once
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::nn {

class ActivationRecorder {
 public:
  struct Stats {
    std::vector<double> sumsq;  // Σ over rows of x_j², per input feature j
    Index rows = 0;             // rows (tokens) seen
  };
  /// Add the rows of x (rows, in) seen by the layer whose weight Param is `weight`.
  template <class T>
  void record(const void* weight, const T* x, Index rows, Index in);
  /// Stats of a layer, or nullptr when it never ran.
  const Stats* find(const void* weight) const;
  const std::map<const void*, Stats>& all() const { return stats_; }

 private:
  std::mutex mu_;
  std::map<const void*, Stats> stats_;
};

/// The installed recorder (nullptr unless a RecorderScope is alive).
ActivationRecorder* active_recorder();

/// Installs a recorder for its lifetime (not nestable).
class RecorderScope {
 public:
  explicit RecorderScope(ActivationRecorder& r);
  ~RecorderScope();
  RecorderScope(const RecorderScope&) = delete;
  RecorderScope& operator=(const RecorderScope&) = delete;
};

namespace detail {
extern std::atomic<ActivationRecorder*> g_recorder;
}

/// The hook the layers call: records when a recorder is installed, costs a load otherwise.
template <class T>
inline void record_input(const void* weight, const Tensor<T>& x, Index in) {
  if (ActivationRecorder* r = detail::g_recorder.load(std::memory_order_relaxed))
    r->record(weight, x.data(), in > 0 ? x.size() / in : 0, in);
}

}  // namespace xssm::nn
