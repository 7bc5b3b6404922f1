// Attention mixer: FD gradients (input and every parameter, float64), step() with the KV cache
// repeated = forward(), causality, float32 vs float64, parameter names.
#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/attention_layer.hpp"

using namespace xssm;

namespace {

template <class T>
seq::Attention<T> make(Index D, Index NH, bool rope, std::uint64_t seed) {
  seq::Attention<T> a(D, NH, rope);
  Rng rng(seed);
  nn::ParamList<T> l;
  a.collect("", l);
  for (auto& it : l.items())
    for (auto& v : it.second->value) v = T(rng.normal() * 0.4);
  return a;
}

}  // namespace

TEST_CASE("Attention layer: parameter names, kind, state") {
  seq::Attention<double> a(8, 2);
  nn::ParamList<double> l;
  a.collect("blocks/0/attn", l);
  REQUIRE(l.size() == 4);
  CHECK(l.items()[0].first == "blocks/0/attn/q_proj/weight");
  CHECK(l.items()[3].first == "blocks/0/attn/o_proj/weight");
  CHECK(a.kind() == "attention");
  CHECK_FALSE(a.constant_state());
  auto s = a.initial_state(3);
  CHECK(s["k"].shape() == Shape{3, 2, 0, 4});
  CHECK(s["v"].shape() == Shape{3, 2, 0, 4});
  Rng rng(1);
  a.init(rng, 4, 0);
  double m = 0;
  for (double v : a.q_proj.weight.value) m = std::max(m, std::fabs(v));
  CHECK(m > 0.01);
  CHECK(m < 0.15);
  CHECK_THROWS_AS(seq::Attention<double>(6, 4), UsageError);
  CHECK_THROWS_AS(seq::Attention<double>(6, 2, true), UsageError);  // odd head size with RoPE
}

TEST_CASE("Attention layer: FD gradients w.r.t. input and parameters (float64)") {
  for (bool rope : {true, false}) {
    auto a = make<double>(8, 2, rope, 5);
    Rng rng(6);
    auto x = test::randn<double>({2, 5, 8}, rng), w = test::randn<double>({2, 5, 8}, rng);
    nn::ParamList<double> l;
    a.collect("", l);
    auto loss = [&] { return test::dot(a.forward(x), w); };
    l.zero_grad();
    a.forward(x);
    auto dx = a.backward(w);
    XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, x), 1e-8);
    for (auto& it : l.items()) {
      INFO(it.first << " rope=" << rope);
      XSSM_CHECK_CLOSE(it.second->grad, test::numeric_grad(loss, it.second->value), 1e-8);
    }
  }
}

TEST_CASE("Attention layer: step with KV cache repeated = forward; causal; B=1, S=1") {
  for (Index B : {Index(1), Index(2)})
    for (Index S : {Index(1), Index(6)}) {
      auto a = make<double>(8, 2, true, 7);
      Rng rng(8);
      auto x = test::randn<double>({B, S, 8}, rng);
      auto y = a.forward(x);
      auto st = a.initial_state(B);
      Tensor<double> ys(y.shape());
      for (Index t = 0; t < S; ++t) {
        Tensor<double> xt({B, 8});
        for (Index b = 0; b < B; ++b)
          for (Index d = 0; d < 8; ++d) xt.at(b, d) = x.at(b, t, d);
        auto yt = a.step(xt, st);
        for (Index b = 0; b < B; ++b)
          for (Index d = 0; d < 8; ++d) ys.at(b, t, d) = yt.at(b, d);
      }
      CHECK(st["k"].dim(2) == S);
      XSSM_CHECK_CLOSE(ys, y, 1e-13);
      if (S > 2) {  // causality: perturb x at t ≥ 2
        auto x2 = x;
        for (Index b = 0; b < B; ++b)
          for (Index t = 2; t < S; ++t)
            for (Index d = 0; d < 8; ++d) x2.at(b, t, d) += 1.0;
        auto y2 = a.forward(x2);
        for (Index b = 0; b < B; ++b)
          for (Index t = 0; t < 2; ++t)
            for (Index d = 0; d < 8; ++d) CHECK(y2.at(b, t, d) == y.at(b, t, d));
        CHECK(y2.at(0, 2, 0) != y.at(0, 2, 0));
      }
    }
}

TEST_CASE("Attention layer: float32 agrees with float64") {
  auto a = make<double>(16, 4, true, 9);
  auto af = make<float>(16, 4, true, 9);
  Rng rng(10);
  auto x = test::randn<double>({2, 7, 16}, rng), w = test::randn<double>({2, 7, 16}, rng);
  auto y = a.forward(x);
  auto yf = af.forward(x.cast<float>());
  XSSM_CHECK_CLOSE(yf, y, 1e-5);
  auto dx = a.backward(w);
  auto dxf = af.backward(w.cast<float>());
  XSSM_CHECK_CLOSE(dxf, dx, 1e-4);
}

TEST_CASE("Attention layer: state passing forward_from(x[0:s]) then x[s:S] = forward(x); FD with a cache") {
  auto a = make<double>(8, 2, true, 11);
  Rng rng(12);
  const Index B = 2, S = 7, s0 = 3;
  auto x = test::randn<double>({B, S, 8}, rng);
  auto y = a.forward(x);
  Tensor<double> xa({B, s0, 8}), xb({B, S - s0, 8});
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < S; ++t)
      for (Index d = 0; d < 8; ++d) (t < s0 ? xa.at(b, t, d) : xb.at(b, t - s0, d)) = x.at(b, t, d);
  auto st = a.initial_state(B);
  auto ya = a.forward_from(xa, st);
  auto st_mid = st;
  auto yb = a.forward_from(xb, st);
  CHECK(st["k"].dim(2) == S);
  for (Index b = 0; b < B; ++b)
    for (Index t = 0; t < S; ++t)
      for (Index d = 0; d < 8; ++d) CHECK(y.at(b, t, d) == Approx(t < s0 ? ya.at(b, t, d) : yb.at(b, t - s0, d)).epsilon(1e-13));
  // Gradients of the second chunk with the cache held fixed.
  nn::ParamList<double> l;
  a.collect("", l);
  auto w = test::randn<double>({B, S - s0, 8}, rng);
  auto loss = [&] {
    auto s2 = st_mid;
    return test::dot(a.forward_from(xb, s2), w);
  };
  l.zero_grad();
  auto s2 = st_mid;
  a.forward_from(xb, s2);
  auto dx = a.backward(w);
  XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, xb), 1e-8);
  XSSM_CHECK_CLOSE(l["q_proj/weight"].grad, test::numeric_grad(loss, l["q_proj/weight"].value), 1e-8);
}
