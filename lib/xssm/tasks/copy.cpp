#include "xssm/tasks/copy.hpp"

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"

namespace xssm::tasks {

io::Dataset make_copy(const CopyOptions& o) {
  require(o.n >= 1, cat("--n must be ≥ 1, got ", o.n));
  require(o.alphabet >= 1 && o.alphabet <= 1 << 20, cat("--alphabet must be in [1, 2^20], got ", o.alphabet));
  require(o.min_len >= 1, cat("--min-len must be ≥ 1, got ", o.min_len));
  require(o.max_len >= o.min_len, cat("--max-len (", o.max_len, ") must be ≥ --min-len (", o.min_len, ")"));
  const Index need = 2 * o.max_len + 3;
  require(o.seq_len == 0 || o.seq_len >= need, cat("--seq-len ", o.seq_len, " is too short: --max-len ", o.max_len, " needs ", need));
  const Index N = o.n, S = o.seq_len ? o.seq_len : need, A = o.alphabet;
  const auto bos = std::int32_t(A), sep = std::int32_t(A + 1), eos = std::int32_t(A + 2), pad = std::int32_t(A + 3);
  io::Dataset ds = blank_dataset("copy", A + 4, o.seed, N, S);
  Tensor<std::int32_t> lengths(Shape{N});
  const Rng base(o.seed);
  parallel_for(N, [&](Index i) {
    Rng r = base.fork(std::uint64_t(i));
    const Index L = r.range(o.min_len, o.max_len);
    std::int32_t* in = ds.inputs.ptr(i);
    std::int32_t* tg = ds.targets.ptr(i);
    for (Index t = 0; t < S; ++t) in[t] = pad;
    in[0] = bos;
    for (Index t = 0; t < L; ++t) in[1 + t] = in[L + 2 + t] = std::int32_t(r.below(std::uint64_t(A)));
    in[L + 1] = sep;
    in[2 * L + 2] = eos;
    for (Index t = L + 1; t <= 2 * L + 1; ++t) tg[t] = in[t + 1];
    lengths[i] = std::int32_t(L);
  });
  ds.meta.set("lengths", std::move(lengths));
  ds.attrs.emplace_back("layout", cat("$ w | w . then PAD; letters 0..", A - 1, ", $=", bos, " |=", sep, " .=", eos,
                                      " PAD=", pad, "; targets[t] = inputs[t+1] for t = |w|+1..2|w|+1"));
  return ds;
}

}  // namespace xssm::tasks
