#include <catch2/catch.hpp>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/copy.hpp"

using namespace xssm;

TEST_CASE("copy: $ w | w . layout, targets are the copy and the EOS") {
  tasks::CopyOptions o;
  o.n = 300;
  o.min_len = 1;
  o.max_len = 9;
  o.alphabet = 5;
  o.seed = 2;
  const io::Dataset ds = tasks::make_copy(o);
  ds.validate("copy");
  const Index S = 2 * 9 + 3, A = 5;
  REQUIRE(ds.inputs.shape() == Shape{300, S});
  CHECK(ds.vocab_size == A + 4);
  for (Index i = 0; i < o.n; ++i) {
    const std::int32_t* in = ds.inputs.ptr(i);
    const std::int32_t* tg = ds.targets.ptr(i);
    CHECK(in[0] == A);  // BOS
    Index sep = 1;
    while (in[sep] != A + 1) {
      REQUIRE(in[sep] < A);
      ++sep;
    }
    const Index L = sep - 1;
    REQUIRE(L == ds.meta["lengths"][i]);
    REQUIRE(L >= 1);
    REQUIRE(L <= 9);
    for (Index t = 0; t < L; ++t) REQUIRE(in[sep + 1 + t] == in[1 + t]);
    REQUIRE(in[2 * L + 2] == A + 2);  // EOS
    for (Index t = 2 * L + 3; t < S; ++t) REQUIRE(in[t] == A + 3);  // PAD
    for (Index t = 0; t < S; ++t) {
      const bool scored = t >= L + 1 && t <= 2 * L + 1;
      REQUIRE(tg[t] == (scored ? in[t + 1] : -1));
    }
  }
}

TEST_CASE("copy: deterministic and thread-count independent; option errors") {
  tasks::CopyOptions o;
  set_threads(1);
  const io::Dataset a = tasks::make_copy(o);
  set_threads(2);
  const io::Dataset b = tasks::make_copy(o);
  CHECK(a.inputs.storage() == b.inputs.storage());
  o.min_len = 0;
  CHECK_THROWS_AS(tasks::make_copy(o), UsageError);
  o.min_len = 5;
  o.seq_len = 10;
  CHECK_THROWS_AS(tasks::make_copy(o), UsageError);
}
