#include <catch2/catch.hpp>

#include "xssm/core/named_tensors.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/core/tensor.hpp"

using namespace xssm;

TEST_CASE("tensor: row-major indexing, maps and reshape") {
  Tensor<float> t(Shape{2, 3, 4});
  CHECK(t.size() == 24);
  CHECK(t.dim(-1) == 4);
  for (Index i = 0; i < t.size(); ++i) t[i] = float(i);
  CHECK(t.at(1, 2, 3) == 23.0f);
  CHECK(t.ptr(1)[0] == 12.0f);
  CHECK(t.ptr(1, 1)[0] == 16.0f);
  CHECK(t.mat().rows() == 6);
  CHECK(t.mat()(5, 3) == 23.0f);
  t.reshape({6, 4});
  CHECK(t.at(5, 3) == 23.0f);
  CHECK_THROWS_AS(t.reshape({5, 5}), Error);
  CHECK_THROWS_AS(expect_shape(t, {4, 6}, "x"), Error);
  Tensor<double> d = t.cast<double>();
  CHECK(d.at(2, 1) == 9.0);
  Tensor<float> s(Shape{});
  CHECK(s.size() == 1);
  CHECK(shape_str(s.shape()) == "()");
}

TEST_CASE("named tensors: lookup by name with a clear error") {
  NamedTensors<double> st;
  st.set("C", Tensor<double>(Shape{2, 2}));
  st.set("n", Tensor<double>(Shape{2}));
  CHECK(st.numel() == 6);
  CHECK(st["n"].size() == 2);
  CHECK_THROWS_WITH(st["m"], Catch::Contains("have: C, n"));
}

TEST_CASE("parallel_for: every item once, exceptions propagate") {
  set_threads(2);
  std::vector<int> hits(1000, 0);
  parallel_for(1000, [&](Index i) { hits[size_t(i)]++; });
  for (int h : hits) CHECK(h == 1);
  CHECK_THROWS_AS(parallel_for(10, [&](Index i) { if (i == 7) throw Error("boom"); }), Error);
  set_threads(1);
}
