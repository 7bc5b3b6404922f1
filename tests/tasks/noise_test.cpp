#include <catch2/catch.hpp>
#include <cmath>

#include "xssm/core/parallel.hpp"
#include "xssm/tasks/noise.hpp"

using namespace xssm;

TEST_CASE("noise: i.i.d. tokens, nothing scored") {
  tasks::NoiseOptions o;
  o.n = 20;
  o.seq_len = 500;
  o.vocab = 4;
  const io::Dataset ds = tasks::make_noise(o);
  ds.validate("noise");
  std::vector<Index> c(4, 0);
  for (auto v : ds.inputs) ++c[size_t(v)];
  for (auto n : c) CHECK(std::abs(double(n) / 10000.0 - 0.25) < 0.02);
  for (auto v : ds.targets) REQUIRE(v == -1);
  CHECK(!ds.has_real());
}

TEST_CASE("noise: real values, uniform [-1,1) and normal") {
  for (std::string dist : {"uniform", "normal"}) {
    tasks::NoiseOptions o;
    o.n = 10;
    o.seq_len = 1000;
    o.real = true;
    o.features = 3;
    o.dist = dist;
    const io::Dataset ds = tasks::make_noise(o);
    ds.validate("noise");
    REQUIRE(ds.inputs_real.shape() == Shape{10, 1000, 3});
    CHECK(ds.vocab_size == 1);
    double m = 0, v = 0, lo = 1e9, hi = -1e9;
    for (float x : ds.inputs_real) m += x, v += double(x) * x, lo = std::min(lo, double(x)), hi = std::max(hi, double(x));
    m /= 30000;
    v = v / 30000 - m * m;
    CHECK(std::abs(m) < 0.03);
    if (dist == "uniform") {
      CHECK(std::abs(v - 1.0 / 3.0) < 0.02);
      CHECK(lo >= -1.0);
      CHECK(hi < 1.0);
    } else {
      CHECK(std::abs(v - 1.0) < 0.05);
    }
  }
  tasks::NoiseOptions bad;
  bad.dist = "cauchy";
  CHECK_THROWS_AS(tasks::make_noise(bad), UsageError);
}

TEST_CASE("noise: deterministic and thread-count independent") {
  tasks::NoiseOptions o;
  o.n = 16;
  o.seq_len = 300;
  o.real = true;
  set_threads(1);
  const io::Dataset a = tasks::make_noise(o);
  set_threads(2);
  const io::Dataset b = tasks::make_noise(o);
  CHECK(a.inputs_real.storage() == b.inputs_real.storage());
  o.real = false;
  CHECK(tasks::make_noise(o).inputs.storage() == tasks::make_noise(o).inputs.storage());
  o.seed = 1;
  const io::Dataset c = tasks::make_noise(o);
  o.seed = 2;
  CHECK(tasks::make_noise(o).inputs.storage() != c.inputs.storage());
}
