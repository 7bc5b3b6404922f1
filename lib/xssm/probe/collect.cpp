#include "xssm/probe/collect.hpp"

#include <algorithm>
#include <cstring>

#include "xssm/core/error.hpp"
#include "xssm/core/log.hpp"

namespace xssm::probe {

namespace {
// Per-sequence size of a state tensor whose leading axis is the batch.
Index per_sequence(const Tensor<float>& t, Index batch) {
  XSSM_ASSERT(t.rank() >= 1 && t.dim(0) == batch, "state tensor of shape ", shape_str(t.shape()), " for batch ", batch);
  return t.size() / batch;
}
}  // namespace

std::vector<SourceSize> source_sizes(const model::ModelState<float>& state, const std::vector<Tensor<float>>& outputs,
                                     Index batch, const CollectOptions& opt) {
  std::vector<SourceSize> out;
  for (size_t i = 0; i < state.blocks.size(); ++i) {
    const std::string prefix = cat("blocks/", i, "/");
    if (opt.outputs && i < outputs.size()) out.push_back({prefix + "output", per_sequence(outputs[i], batch), false});
    if (opt.states)
      for (const auto& it : state.blocks[i]) out.push_back({prefix + it.first, per_sequence(it.second, batch), true});
  }
  return out;
}

void gather_sources(const model::ModelState<float>& state, const std::vector<Tensor<float>>& outputs, Index batch,
                    Index b, const CollectOptions& opt, const std::vector<float*>& dst) {
  size_t k = 0;
  auto copy = [&](const Tensor<float>& t) {
    const Index n = t.size() / batch;
    XSSM_ASSERT(k < dst.size(), "more sources than destinations");
    if (dst[k]) std::memcpy(dst[k], t.data() + b * n, size_t(n) * sizeof(float));
    ++k;
  };
  for (size_t i = 0; i < state.blocks.size(); ++i) {
    if (opt.outputs && i < outputs.size()) copy(outputs[i]);
    if (opt.states)
      for (const auto& it : state.blocks[i]) copy(it.second);
  }
}

namespace {

// Shared stepping loop; `step(t, b0, nb, state, outs)` runs one step for sequences [b0, b0+nb).
template <class StepFn>
Collected collect_impl(Index N, Index S, const CollectOptions& opt, Steppable& model, StepFn step) {
  Collected c;
  c.positions = opt.positions;
  if (c.positions.empty())
    for (Index t = 0; t < S; ++t) c.positions.push_back(t);
  for (Index t : c.positions)
    if (t < 0 || t >= S) throw UsageError(cat("position ", t, " outside sequences of length ", S));
  const Index P = Index(c.positions.size()), B = std::max<Index>(1, opt.batch);
  std::vector<char> keep_pos(size_t(S), 0);
  for (Index t : c.positions) keep_pos[size_t(t)] = 1;
  const Index last = c.positions.back();
  std::vector<char> dropped;
  for (Index b0 = 0; b0 < N; b0 += B) {
    const Index nb = std::min(B, N - b0);
    model::ModelState<float> state = model.initial_state(nb);
    std::vector<Tensor<float>> outs;
    Index p = 0;
    for (Index t = 0; t <= last; ++t) {
      step(t, b0, nb, state, outs);
      if (!keep_pos[size_t(t)]) continue;
      const auto sizes = source_sizes(state, outs, nb, opt);
      if (c.sources.empty()) {
        c.sources = sizes;
        dropped.assign(sizes.size(), 0);
        for (const auto& s : sizes) c.features.emplace_back(Shape{N, P, s.numel});
      }
      XSSM_ASSERT(sizes.size() == c.sources.size(), "the number of state tensors changed");
      std::vector<float*> dst(sizes.size());
      for (Index b = 0; b < nb; ++b) {
        for (size_t k = 0; k < sizes.size(); ++k) {
          if (sizes[k].numel != c.sources[k].numel && !dropped[k]) {
            dropped[k] = 1;
            log::warn(c.sources[k].name, " changes size with the position (", c.sources[k].numel, " -> ",
                      sizes[k].numel, "): left out of the probe");
          }
          dst[k] = dropped[k] ? nullptr : c.features[k].ptr(b0 + b, p);
        }
        gather_sources(state, outs, nb, b, opt, dst);
      }
      ++p;
    }
  }
  // Drop the sources whose size varied.
  Collected out;
  out.positions = c.positions;
  for (size_t k = 0; k < c.sources.size(); ++k)
    if (!dropped[k]) out.sources.push_back(c.sources[k]), out.features.push_back(std::move(c.features[k]));
  return out;
}

}  // namespace

Collected collect(Steppable& model, const Tensor<std::int32_t>& ids, const CollectOptions& opt) {
  if (ids.rank() != 2) throw Error(cat("probe: token ids must be (N,S), got ", shape_str(ids.shape())));
  const Index N = ids.dim(0), S = ids.dim(1);
  if (N == 0 || S == 0) throw Error("probe: empty dataset");
  return collect_impl(N, S, opt, model,
                      [&](Index t, Index b0, Index nb, model::ModelState<float>& st, std::vector<Tensor<float>>& outs) {
                        Tensor<std::int32_t> x(Shape{nb});
                        for (Index b = 0; b < nb; ++b) x[b] = ids.at(b0 + b, t);
                        model.step(x, st, outs);
                      });
}

Collected collect_real(Steppable& model, const Tensor<float>& xs, const CollectOptions& opt) {
  if (xs.rank() != 3) throw Error(cat("probe: real inputs must be (N,S,F), got ", shape_str(xs.shape())));
  const Index N = xs.dim(0), S = xs.dim(1), F = xs.dim(2);
  if (N == 0 || S == 0) throw Error("probe: empty dataset");
  return collect_impl(N, S, opt, model,
                      [&](Index t, Index b0, Index nb, model::ModelState<float>& st, std::vector<Tensor<float>>& outs) {
                        Tensor<float> x(Shape{nb, F});
                        for (Index b = 0; b < nb; ++b)
                          for (Index f = 0; f < F; ++f) x.at(b, f) = xs.at(b0 + b, t, f);
                        model.step_real(x, st, outs);
                      });
}

}  // namespace xssm::probe
