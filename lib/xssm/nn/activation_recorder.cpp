#include "xssm/nn/activation_recorder.hpp"

namespace xssm::nn {

namespace detail {
std::atomic<ActivationRecorder*> g_recorder{nullptr};
}

template <class T>
void ActivationRecorder::record(const void* weight, const T* x, Index rows, Index in) {
  // Per-call partial sums first, then one locked merge.
  std::vector<double> part(std::size_t(in), 0.0);
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < in; ++j) {
      const double v = double(x[r * in + j]);
      part[std::size_t(j)] += v * v;
    }
  std::lock_guard<std::mutex> lock(mu_);
  Stats& s = stats_[weight];
  if (s.sumsq.empty()) s.sumsq.assign(std::size_t(in), 0.0);
  if (Index(s.sumsq.size()) != in) return;  // same Param with another width cannot happen
  for (Index j = 0; j < in; ++j) s.sumsq[std::size_t(j)] += part[std::size_t(j)];
  s.rows += rows;
}

const ActivationRecorder::Stats* ActivationRecorder::find(const void* weight) const {
  auto it = stats_.find(weight);
  return it == stats_.end() ? nullptr : &it->second;
}

ActivationRecorder* active_recorder() { return detail::g_recorder.load(std::memory_order_relaxed); }

RecorderScope::RecorderScope(ActivationRecorder& r) { detail::g_recorder.store(&r); }
RecorderScope::~RecorderScope() { detail::g_recorder.store(nullptr); }

template void ActivationRecorder::record<float>(const void*, const float*, Index, Index);
template void ActivationRecorder::record<double>(const void*, const double*, Index, Index);

}  // namespace xssm::nn
