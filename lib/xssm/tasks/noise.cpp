#include "xssm/tasks/noise.hpp"

#include <algorithm>
#include <cmath>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"

namespace xssm::tasks {

io::Dataset make_noise(const NoiseOptions& o) {
  require(o.n >= 1, cat("--n must be ≥ 1, got ", o.n));
  require(o.seq_len >= 1, cat("--seq-len must be ≥ 1, got ", o.seq_len));
  require(o.vocab >= 1, cat("--vocab must be ≥ 1, got ", o.vocab));
  require(o.features >= 1, cat("--features must be ≥ 1, got ", o.features));
  require(o.dist == "uniform" || o.dist == "normal", cat("--dist must be uniform or normal, got '", o.dist, "'"));
  const Index N = o.n, S = o.seq_len, F = o.features;
  io::Dataset ds = blank_dataset("noise", o.real ? 1 : o.vocab, o.seed, N, S);
  if (o.real) ds.inputs_real = Tensor<float>(Shape{N, S, F});
  const bool normal = o.dist == "normal";
  const Rng base(o.seed);
  parallel_for(N, [&](Index i) {
    Rng r = base.fork(std::uint64_t(i));
    if (o.real) {
      float* x = ds.inputs_real.ptr(i);
      const float below_one = std::nextafter(1.0f, 0.0f);  // a double just under 1 may round up to 1.0f
      for (Index k = 0; k < S * F; ++k) x[k] = normal ? float(r.normal()) : std::min(float(r.uniform(-1.0, 1.0)), below_one);
    } else {
      std::int32_t* x = ds.inputs.ptr(i);
      for (Index t = 0; t < S; ++t) x[t] = std::int32_t(r.below(std::uint64_t(o.vocab)));
    }
  });
  ds.attrs.emplace_back("distribution", o.real ? (normal ? "real: standard normal" : "real: uniform [-1,1)")
                                               : "tokens: uniform over [0, vocab_size)");
  return ds;
}

}  // namespace xssm::tasks
