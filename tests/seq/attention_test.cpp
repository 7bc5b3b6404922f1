// Causal softmax attention core: FD gradients (float64), KV-cache step = forward, causality,
// float32 vs float64, Sq < Sk (queries at the end).
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/attention.hpp"

using namespace xssm;

namespace {

// Reference by the definition, with no stabiliser: o_t = Σ_{s≤t+off} e^{a_ts} v_s / Σ e^{a_ts}.
Tensor<double> naive(const Tensor<double>& q, const Tensor<double>& k, const Tensor<double>& v) {
  const Index B = q.dim(0), NH = q.dim(1), Sq = q.dim(2), DH = q.dim(3), Sk = k.dim(2);
  Tensor<double> o(q.shape());
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < NH; ++h)
      for (Index t = 0; t < Sq; ++t) {
        double z = 0;
        for (Index s = 0; s <= t + Sk - Sq; ++s) {
          double a = 0;
          for (Index d = 0; d < DH; ++d) a += q.at(b, h, t, d) * k.at(b, h, s, d);
          const double w = std::exp(a / std::sqrt(double(DH)));
          z += w;
          for (Index d = 0; d < DH; ++d) o.at(b, h, t, d) += w * v.at(b, h, s, d);
        }
        for (Index d = 0; d < DH; ++d) o.at(b, h, t, d) /= z;
      }
  return o;
}

}  // namespace

TEST_CASE("attention_causal_fwd matches the definition, also with fewer queries than keys") {
  Rng rng(11);
  for (Index Sq : {Index(7), Index(3), Index(1)}) {
    auto q = test::randn<double>({2, 3, Sq, 4}, rng), k = test::randn<double>({2, 3, 7, 4}, rng),
         v = test::randn<double>({2, 3, 7, 4}, rng);
    Tensor<double> o, lse;
    seq::attention_causal_fwd(q, k, v, o, lse);
    XSSM_CHECK_CLOSE(o, naive(q, k, v), 1e-13);
  }
}

TEST_CASE("attention is stable for large scores") {
  Rng rng(12);
  auto q = test::randn<double>({1, 1, 5, 4}, rng, 300.0), k = test::randn<double>({1, 1, 5, 4}, rng, 300.0),
       v = test::randn<double>({1, 1, 5, 4}, rng);
  Tensor<double> o, lse;
  seq::attention_causal_fwd(q, k, v, o, lse);
  for (double x : o) CHECK(std::isfinite(x));
  for (double x : lse) CHECK(std::isfinite(x));
}

TEST_CASE("attention_causal_bwd matches finite differences (float64)") {
  Rng rng(13);
  for (Index Sq : {Index(6), Index(2)}) {
    auto q = test::randn<double>({2, 2, Sq, 3}, rng), k = test::randn<double>({2, 2, 6, 3}, rng),
         v = test::randn<double>({2, 2, 6, 3}, rng), w = test::randn<double>({2, 2, Sq, 3}, rng);
    auto loss = [&] {
      Tensor<double> o, lse;
      seq::attention_causal_fwd(q, k, v, o, lse, 0.7);
      return test::dot(o, w);
    };
    Tensor<double> o, lse, dq, dk, dv;
    seq::attention_causal_fwd(q, k, v, o, lse, 0.7);
    seq::attention_causal_bwd(q, k, v, o, lse, w, dq, dk, dv, 0.7);
    XSSM_CHECK_CLOSE(dq, test::numeric_grad(loss, q), 1e-8);
    XSSM_CHECK_CLOSE(dk, test::numeric_grad(loss, k), 1e-8);
    XSSM_CHECK_CLOSE(dv, test::numeric_grad(loss, v), 1e-8);
  }
}

TEST_CASE("attention_step repeated = forward; causal") {
  Rng rng(14);
  const Index B = 2, NH = 2, S = 5, DH = 4;
  auto q = test::randn<double>({B, NH, S, DH}, rng), k = test::randn<double>({B, NH, S, DH}, rng),
       v = test::randn<double>({B, NH, S, DH}, rng);
  Tensor<double> o, lse;
  seq::attention_causal_fwd(q, k, v, o, lse);
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
    auto ot = seq::attention_step(qt, kt, vt, kc, vc);
    CHECK(kc.dim(2) == t + 1);
    for (Index b = 0; b < B; ++b)
      for (Index h = 0; h < NH; ++h)
        for (Index d = 0; d < DH; ++d) os.at(b, h, t, d) = ot.at(b, h, d);
  }
  XSSM_CHECK_CLOSE(os, o, 1e-14);

  // Causality: changing q, k, v at t ≥ 3 leaves outputs before 3 unchanged (and changes t = 3).
  auto q2 = q, k2 = k, v2 = v;
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < NH; ++h)
      for (Index t = 3; t < S; ++t)
        for (Index d = 0; d < DH; ++d) q2.at(b, h, t, d) += 1, k2.at(b, h, t, d) -= 1, v2.at(b, h, t, d) += 2;
  Tensor<double> o2, lse2;
  seq::attention_causal_fwd(q2, k2, v2, o2, lse2);
  for (Index b = 0; b < B; ++b)
    for (Index h = 0; h < NH; ++h) {
      for (Index t = 0; t < 3; ++t)
        for (Index d = 0; d < DH; ++d) CHECK(o2.at(b, h, t, d) == o.at(b, h, t, d));
      CHECK(o2.at(b, h, 3, 0) != o.at(b, h, 3, 0));
    }
}

TEST_CASE("attention float32 agrees with float64") {
  Rng rng(15);
  auto q = test::randn<double>({2, 2, 9, 8}, rng), k = test::randn<double>({2, 2, 9, 8}, rng),
       v = test::randn<double>({2, 2, 9, 8}, rng), w = test::randn<double>({2, 2, 9, 8}, rng);
  Tensor<double> o, lse, dq, dk, dv;
  seq::attention_causal_fwd(q, k, v, o, lse);
  seq::attention_causal_bwd(q, k, v, o, lse, w, dq, dk, dv);
  Tensor<float> of, lsef, dqf, dkf, dvf;
  auto qf = q.cast<float>(), kf = k.cast<float>(), vf = v.cast<float>();
  seq::attention_causal_fwd(qf, kf, vf, of, lsef);
  seq::attention_causal_bwd(qf, kf, vf, of, lsef, w.cast<float>(), dqf, dkf, dvf);
  XSSM_CHECK_CLOSE(of, o, 1e-5);
  XSSM_CHECK_CLOSE(dqf, dq, 1e-4);
  XSSM_CHECK_CLOSE(dkf, dk, 1e-4);
  XSSM_CHECK_CLOSE(dvf, dv, 1e-4);
}

TEST_CASE("split_heads / merge_heads are inverse; bad shapes throw") {
  Rng rng(16);
  auto x = test::randn<double>({2, 3, 8}, rng);
  auto h = seq::split_heads(x, 2);
  CHECK(h.shape() == Shape{2, 2, 3, 4});
  CHECK(h.at(1, 1, 2, 3) == x.at(1, 2, 7));
  XSSM_CHECK_CLOSE(seq::merge_heads(h), x, 0.0);
  CHECK_THROWS_AS(seq::split_heads(x, 3), Error);
  Tensor<double> o, lse;
  CHECK_THROWS_AS(seq::attention_causal_fwd(test::randn<double>({1, 1, 4, 2}, rng), test::randn<double>({1, 1, 3, 2}, rng),
                                            test::randn<double>({1, 1, 3, 2}, rng), o, lse),
                  Error);
}
