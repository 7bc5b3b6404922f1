#include <catch2/catch.hpp>
#include <map>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/freqsort.hpp"

using namespace xssm;

TEST_CASE("freqsort: outputs are the symbols by decreasing count, ties by first appearance") {
  tasks::FreqsortOptions o;
  o.n = 40;
  o.len = 60;  // short: ties and unseen symbols happen
  o.symbols = 20;
  o.seed = 4;
  const io::Dataset ds = tasks::make_freqsort(o);
  ds.validate("freqsort");
  const Index L = 60, A = 20, S = L + A;
  REQUIRE(ds.inputs.shape() == Shape{40, S});
  CHECK(ds.vocab_size == A + 2);
  bool saw_unseen = false;
  for (Index i = 0; i < o.n; ++i) {
    const std::int32_t* in = ds.inputs.ptr(i);
    const std::int32_t* tg = ds.targets.ptr(i);
    std::vector<Index> count(A, 0), first(A, -1);
    for (Index t = 0; t < L; ++t) {
      REQUIRE(in[t] >= 0);
      REQUIRE(in[t] < A);
      if (count[size_t(in[t])]++ == 0) first[size_t(in[t])] = t;
      REQUIRE(tg[t] == -1);
    }
    REQUIRE(in[L] == A);  // SEP
    std::vector<bool> listed(A, false);
    for (Index k = 0; k < A; ++k) {
      const std::int32_t s = tg[L + k];
      REQUIRE(s >= 0);
      REQUIRE(s < A);
      REQUIRE(!listed[size_t(s)]);
      listed[size_t(s)] = true;
      if (L + 1 + k < S) REQUIRE(in[L + 1 + k] == s);  // teacher forcing
      if (k > 0) {
        const std::int32_t p = tg[L + k - 1];
        REQUIRE(count[size_t(p)] >= count[size_t(s)]);
        if (count[size_t(p)] == count[size_t(s)]) {
          if (count[size_t(s)] > 0) REQUIRE(first[size_t(p)] < first[size_t(s)]);
          else {
            REQUIRE(p < s);
            saw_unseen = true;
          }
        }
      }
    }
  }
  CHECK(saw_unseen);
}

TEST_CASE("freqsort: the distribution drifts (first and last quarters differ)") {
  tasks::FreqsortOptions o;
  o.n = 20;
  o.len = 4000;
  o.seed = 1;
  const io::Dataset ds = tasks::make_freqsort(o);
  double diff = 0;
  for (Index i = 0; i < o.n; ++i) {
    std::vector<double> a(20, 0), b(20, 0);
    for (Index t = 0; t < 1000; ++t) a[size_t(ds.inputs.at(i, t))] += 1;
    for (Index t = 3000; t < 4000; ++t) b[size_t(ds.inputs.at(i, t))] += 1;
    for (int s = 0; s < 20; ++s) diff += std::abs(a[size_t(s)] - b[size_t(s)]) / 1000.0;
  }
  CHECK(diff / o.n > 0.1);  // total variation of two random [1,9] profiles is well above noise
}

TEST_CASE("freqsort: deterministic and thread-count independent") {
  tasks::FreqsortOptions o;
  o.n = 30;
  o.len = 200;
  set_threads(1);
  const io::Dataset a = tasks::make_freqsort(o);
  set_threads(2);
  const io::Dataset b = tasks::make_freqsort(o);
  CHECK(a.inputs.storage() == b.inputs.storage());
  CHECK(a.targets.storage() == b.targets.storage());
}
