#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "xssm/core/rng.hpp"

using namespace xssm;

TEST_CASE("rng: same seed same stream; state round trip resumes exactly") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  Rng::State s = a.state();
  std::vector<double> first;
  for (int i = 0; i < 5; ++i) first.push_back(a.normal());
  Rng d;
  d.set_state(s);
  for (int i = 0; i < 5; ++i) CHECK(d.normal() == first[size_t(i)]);
}

TEST_CASE("rng: distributions have the right moments and ranges") {
  Rng r(7);
  const int n = 200000;
  double sum = 0, sq = 0, usum = 0;
  std::vector<int> counts(7, 0);
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    sum += x;
    sq += x * x;
    double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    usum += u;
    auto k = r.below(7);
    REQUIRE(k < 7);
    counts[k]++;
  }
  CHECK(std::fabs(sum / n) < 0.01);
  CHECK(std::fabs(sq / n - 1.0) < 0.02);
  CHECK(std::fabs(usum / n - 0.5) < 0.005);
  for (int c : counts) CHECK(std::fabs(c / double(n) - 1.0 / 7) < 0.005);
}

TEST_CASE("rng: fork gives independent reproducible streams; sampling without replacement") {
  Rng r(1);
  Rng f1 = r.fork(0), f2 = r.fork(1), f1b = r.fork(0);
  CHECK(f1.next_u64() == f1b.next_u64());
  CHECK(f1.next_u64() != f2.next_u64());
  auto s = r.sample_without_replacement(10, 10);
  CHECK(std::set<std::int64_t>(s.begin(), s.end()).size() == 10);
  for (int i = 0; i < 1000; ++i) {
    auto v = r.range(-3, 3);
    REQUIRE(v >= -3);
    REQUIRE(v <= 3);
  }
  std::vector<double> w = {0.0, 1.0, 0.0, 3.0};
  int c1 = 0, c3 = 0;
  for (int i = 0; i < 40000; ++i) {
    auto k = r.weighted(w);
    REQUIRE((k == 1 || k == 3));
    (k == 1 ? c1 : c3)++;
  }
  CHECK(std::fabs(c3 / 40000.0 - 0.75) < 0.01);
}
