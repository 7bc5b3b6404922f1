#include "xssm/tasks/word.hpp"

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"
#include "xssm/tasks/groups.hpp"

namespace xssm::tasks {

const char* const kWordComposition =
    "targets[n,0] = inputs[n,0]; targets[n,t] = inputs[n,t] o targets[n,t-1] (apply x_0 first); "
    "(a o b)(i) = a(b(i)) with a(i) = meta/elements[a,i]";

io::Dataset make_word(const WordOptions& o) {
  require(o.n >= 1, cat("--n must be ≥ 1, got ", o.n));
  require(o.seq_len >= 1, cat("--seq-len must be ≥ 1, got ", o.seq_len));
  const Group G = make_group(o.group);
  const Index N = o.n, S = o.seq_len;
  io::Dataset ds = blank_dataset("word", G.order, o.seed, N, S);
  const Rng base(o.seed);
  parallel_for(N, [&](Index i) {
    Rng r = base.fork(std::uint64_t(i));
    std::int32_t* x = ds.inputs.ptr(i);
    std::int32_t* p = ds.targets.ptr(i);
    for (Index t = 0; t < S; ++t) {
      x[t] = std::int32_t(r.below(std::uint64_t(G.order)));
      p[t] = t == 0 ? x[0] : G.compose(x[t], p[t - 1]);  // P_t = x_t ∘ P_{t-1}
    }
  });
  ds.labels.set("state", ds.targets);
  ds.meta.set("elements", G.elements);
  ds.attrs.emplace_back("group", G.name);
  ds.attrs.emplace_back("composition", kWordComposition);
  ds.attrs.emplace_back("element_order",
                        "S<n>: permutations of 0..n-1 in lexicographic order; A<n>: the even ones in that order; "
                        "Z<n>: k <-> i -> (i+k) mod n; G_x_H: index iG*|H|+iH acting on the disjoint union");
  return ds;
}

}  // namespace xssm::tasks
