#include "xssm/tasks/text.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/common.hpp"

namespace xssm::tasks {

io::Dataset make_text(const std::vector<unsigned char>& bytes, const std::string& name, const TextOptions& o) {
  require(o.n >= 0, cat("--n must be ≥ 0, got ", o.n));
  require(o.seq_len >= 1, cat("--seq-len must be ≥ 1, got ", o.seq_len));
  const Index S = o.seq_len, size = Index(bytes.size());
  if (size < S + 1) throw Error(cat(name, ": has ", size, " bytes, expected at least --seq-len + 1 = ", S + 1));
  if (size > (Index(1) << 31) - 1) throw Error(cat(name, ": larger than 2 GiB, not supported"));
  const Index N = o.n > 0 ? o.n : (size - 1) / S;
  io::Dataset ds = blank_dataset("text", 256, o.seed, N, S);
  Tensor<std::int32_t> offsets(Shape{N});
  const Rng base(o.seed);
  parallel_for(N, [&](Index i) {
    Index off = i * S;
    if (o.n > 0) {
      Rng r = base.fork(std::uint64_t(i));
      off = Index(r.below(std::uint64_t(size - S)));  // [0, size-S-1]
    }
    std::int32_t* in = ds.inputs.ptr(i);
    std::int32_t* tg = ds.targets.ptr(i);
    for (Index t = 0; t < S; ++t) {
      in[t] = bytes[size_t(off + t)];
      tg[t] = bytes[size_t(off + t + 1)];
    }
    offsets[i] = std::int32_t(off);
  });
  ds.meta.set("offsets", std::move(offsets));
  ds.attrs.emplace_back("source", name);
  return ds;
}

io::Dataset make_text(const TextOptions& o) {
  require(!o.input.empty(), "--input FILE is required for the text task");
  std::FILE* f = std::fopen(o.input.c_str(), "rb");
  if (!f) throw Error(cat(o.input, ": cannot read: ", std::strerror(errno)));
  std::vector<unsigned char> bytes;
  unsigned char buf[1 << 16];
  size_t k;
  while ((k = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + k);
  const bool bad = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (bad) throw Error(cat(o.input, ": read error: ", std::strerror(err)));
  return make_text(bytes, o.input, o);
}

}  // namespace xssm::tasks
