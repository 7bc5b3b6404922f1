// Sliding-window causal attention (window W > 0: query t sees keys t−W < s ≤ t): kernel = brute-force
// masked reference, FD gradients (float64), W ≥ S = unlimited, KV-cache step with a bounded cache =
// forward; Attention layer: step repeated = forward (cache ≤ W rows), state passing, FD gradients.
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/attention.hpp"
#include "xssm/seq/attention_layer.hpp"

using namespace xssm;

namespace {

// By the definition with an explicit mask: query i (absolute key position i + Sk − Sq) over keys
// max(0, i + off − W + 1) … i + off; W = 0 means no lower bound.
Tensor<double> masked_reference(const Tensor<double>& q, const Tensor<double>& k, const Tensor<double>& v,
                                Index W, double scale) {
  const Index B = q.dim(0), NH = q.dim(1), Sq = q.dim(2), DH = q.dim(3), Sk = k.dim(2), off = Sk - Sq;
  Tensor<double> o(q.shape());
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < NH; ++h)
      for (Index t = 0; t < Sq; ++t) {
        double z = 0;
        for (Index s = 0; s < Sk; ++s) {
          const bool visible = s <= t + off && (W == 0 || s > t + off - W);
          if (!visible) continue;
          double a = 0;
          for (Index d = 0; d < DH; ++d) a += q.at(b, h, t, d) * k.at(b, h, s, d);
          const double w = std::exp(a * scale);
          z += w;
          for (Index d = 0; d < DH; ++d) o.at(b, h, t, d) += w * v.at(b, h, s, d);
        }
        for (Index d = 0; d < DH; ++d) o.at(b, h, t, d) /= z;
      }
  return o;
}

Tensor<double> time_slice(const Tensor<double>& x, Index t0, Index t1) {
  Tensor<double> y({x.dim(0), t1 - t0, x.dim(2)});
  for (Index b = 0; b < x.dim(0); ++b)
    for (Index t = t0; t < t1; ++t)
      for (Index d = 0; d < x.dim(2); ++d) y.at(b, t - t0, d) = x.at(b, t, d);
  return y;
}

seq::Attention<double> make_layer(Index D, Index NH, bool rope, Index W, std::uint64_t seed) {
  seq::Attention<double> a(D, NH, rope, 10000.0, W);
  Rng rng(seed);
  nn::ParamList<double> l;
  a.collect("", l);
  for (auto& it : l.items())
    for (auto& v : it.second->value) v = rng.normal() * 0.4;
  return a;
}

}  // namespace

TEST_CASE("windowed attention_causal_fwd = brute-force masked reference (also Sq < Sk, ragged blocks)") {
  Rng rng(21);
  // S = 70 with W = 5 spans several query blocks (block = max(W, 32)) and a ragged last block.
  for (Index Sk : {Index(9), Index(70)})
    for (Index Sq : {Sk, Index(3), Index(1)})
      for (Index W : {Index(1), Index(2), Index(5), Index(33)}) {
        INFO("Sk=" << Sk << " Sq=" << Sq << " W=" << W);
        auto q = test::randn<double>({2, 2, Sq, 4}, rng), k = test::randn<double>({2, 2, Sk, 4}, rng),
             v = test::randn<double>({2, 2, Sk, 4}, rng);
        Tensor<double> o, lse;
        seq::attention_causal_fwd(q, k, v, o, lse, 0.0, W);
        XSSM_CHECK_CLOSE(o, masked_reference(q, k, v, W, 0.5), 1e-13);
        // W = 1: every query sees only itself, o_t = v_t.
        if (W == 1)
          for (Index t = 0; t < Sq; ++t) CHECK(o.at(1, 1, t, 2) == Approx(v.at(1, 1, t + Sk - Sq, 2)).epsilon(1e-13));
      }
}

TEST_CASE("window W >= S equals unlimited attention (forward and backward)") {
  Rng rng(22);
  const Index S = 11;
  auto q = test::randn<double>({1, 2, S, 3}, rng), k = test::randn<double>({1, 2, S, 3}, rng),
       v = test::randn<double>({1, 2, S, 3}, rng), w = test::randn<double>({1, 2, S, 3}, rng);
  Tensor<double> o0, l0, dq0, dk0, dv0;
  seq::attention_causal_fwd(q, k, v, o0, l0);
  seq::attention_causal_bwd(q, k, v, o0, l0, w, dq0, dk0, dv0);
  for (Index W : {S, S + 1, Index(100)}) {
    Tensor<double> o, l, dq, dk, dv;
    seq::attention_causal_fwd(q, k, v, o, l, 0.0, W);
    seq::attention_causal_bwd(q, k, v, o, l, w, dq, dk, dv, 0.0, W);
    XSSM_CHECK_CLOSE(o, o0, 1e-14);
    XSSM_CHECK_CLOSE(l, l0, 1e-14);
    XSSM_CHECK_CLOSE(dq, dq0, 1e-13);
    XSSM_CHECK_CLOSE(dk, dk0, 1e-13);
    XSSM_CHECK_CLOSE(dv, dv0, 1e-13);
  }
  // A window smaller than S changes the result.
  Tensor<double> o3, l3;
  seq::attention_causal_fwd(q, k, v, o3, l3, 0.0, 3);
  CHECK(test::rel_err(o3, o0) > 1e-3);
  CHECK_THROWS_AS(seq::attention_causal_fwd(q, k, v, o3, l3, 0.0, -1), Error);
}

TEST_CASE("windowed attention_causal_bwd matches finite differences (float64)") {
  Rng rng(23);
  for (Index Sq : {Index(40), Index(6), Index(2)})
    for (Index W : {Index(1), Index(3), Index(34)}) {
      INFO("Sq=" << Sq << " W=" << W);
      const Index Sk = Sq == 40 ? 40 : 7;
      auto q = test::randn<double>({1, 2, Sq, 3}, rng), k = test::randn<double>({1, 2, Sk, 3}, rng),
           v = test::randn<double>({1, 2, Sk, 3}, rng), w = test::randn<double>({1, 2, Sq, 3}, rng);
      auto loss = [&] {
        Tensor<double> o, lse;
        seq::attention_causal_fwd(q, k, v, o, lse, 0.7, W);
        return test::dot(o, w);
      };
      Tensor<double> o, lse, dq, dk, dv;
      seq::attention_causal_fwd(q, k, v, o, lse, 0.7, W);
      seq::attention_causal_bwd(q, k, v, o, lse, w, dq, dk, dv, 0.7, W);
      XSSM_CHECK_CLOSE(dq, test::numeric_grad(loss, q), 1e-8);
      XSSM_CHECK_CLOSE(dk, test::numeric_grad(loss, k), 1e-8);
      XSSM_CHECK_CLOSE(dv, test::numeric_grad(loss, v), 1e-8);
    }
}

TEST_CASE("windowed attention_step repeated = forward; the cache keeps at most W rows") {
  Rng rng(24);
  const Index B = 2, NH = 2, S = 9, DH = 4;
  auto q = test::randn<double>({B, NH, S, DH}, rng), k = test::randn<double>({B, NH, S, DH}, rng),
       v = test::randn<double>({B, NH, S, DH}, rng);
  for (Index W : {Index(1), Index(3), Index(20)}) {
    INFO("W=" << W);
    Tensor<double> o, lse;
    seq::attention_causal_fwd(q, k, v, o, lse, 0.0, W);
    Tensor<double> kc({B, NH, 0, DH}), vc({B, NH, 0, DH}), os(o.shape());
    for (Index t = 0; t < S; ++t) {
      Tensor<double> qt({B, NH, DH}), kt({B, NH, DH}), vt({B, NH, DH});
      for (Index b = 0; b < B; ++b)
        for (Index h = 0; h < NH; ++h)
          for (Index d = 0; d < DH; ++d) {
            qt.at(b, h, d) = q.at(b, h, t, d);
            kt.at(b, h, d) = k.at(b, h, t, d);
            vt.at(b, h, d) = v.at(b, h, t, d);
          }
      auto ot = seq::attention_step(qt, kt, vt, kc, vc, 0.0, W);
      CHECK(kc.dim(2) == std::min(t + 1, W));
      CHECK(vc.dim(2) == std::min(t + 1, W));
      for (Index b = 0; b < B; ++b)
        for (Index h = 0; h < NH; ++h)
          for (Index d = 0; d < DH; ++d) os.at(b, h, t, d) = ot.at(b, h, d);
    }
    XSSM_CHECK_CLOSE(os, o, 1e-13);
  }
}

TEST_CASE("Attention layer with a window: step repeated = forward, bounded state, state passing") {
  const Index B = 2, S = 13, D = 8, NH = 2;
  for (bool rope : {true, false})
    for (Index W : {Index(1), Index(4), Index(13), Index(50)}) {
      INFO("rope=" << rope << " W=" << W);
      auto a = make_layer(D, NH, rope, W, 31);
      Rng rng(32);
      auto x = test::randn<double>({B, S, D}, rng);
      const Tensor<double> y = a.forward(x);
      auto st = a.initial_state(B);
      CHECK(st.has("pos"));
      Tensor<double> ys(x.shape());
      for (Index t = 0; t < S; ++t) {
        Tensor<double> xt({B, D});
        for (Index b = 0; b < B; ++b)
          for (Index d = 0; d < D; ++d) xt.at(b, d) = x.at(b, t, d);
        const Tensor<double> yt = a.step(xt, st);
        CHECK(st["k"].dim(2) == std::min(t + 1, W));
        CHECK(st["v"].dim(2) <= W);
        CHECK(st["pos"].at(B - 1) == double(t + 1));
        for (Index b = 0; b < B; ++b)
          for (Index d = 0; d < D; ++d) ys.at(b, t, d) = yt.at(b, d);
      }
      XSSM_CHECK_CLOSE(ys, y, 1e-12);
      // forward_from(x[0:5]) then forward_from(x[5:S]) = forward(x), and the same state as the steps.
      auto st2 = a.initial_state(B);
      const Tensor<double> y1 = a.forward_from(time_slice(x, 0, 5), st2);
      const Tensor<double> y2 = a.forward_from(time_slice(x, 5, S), st2);
      XSSM_CHECK_CLOSE(y1, time_slice(y, 0, 5), 1e-12);
      XSSM_CHECK_CLOSE(y2, time_slice(y, 5, S), 1e-12);
      XSSM_CHECK_CLOSE(st2["k"], st["k"], 1e-12);
      XSSM_CHECK_CLOSE(st2["v"], st["v"], 1e-12);
      XSSM_CHECK_CLOSE(st2["pos"], st["pos"], 0.0);
    }
  // W ≥ S gives the unlimited layer's output.
  auto a0 = make_layer(D, NH, true, 0, 31), a1 = make_layer(D, NH, true, S, 31);
  Rng rng(33);
  auto x = test::randn<double>({B, S, D}, rng);
  XSSM_CHECK_CLOSE(a1.forward(x), a0.forward(x), 1e-14);
  CHECK_FALSE(a0.initial_state(B).has("pos"));
  CHECK_THROWS_AS(seq::Attention<double>(8, 2, true, 10000.0, -1), UsageError);
}

TEST_CASE("Attention layer with a window: FD gradients w.r.t. input and parameters (float64)") {
  for (bool rope : {true, false}) {
    auto a = make_layer(8, 2, rope, 3, 41);
    Rng rng(42);
    auto x = test::randn<double>({2, 7, 8}, rng), w = test::randn<double>({2, 7, 8}, rng);
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
