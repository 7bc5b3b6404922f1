#include <catch2/catch.hpp>
#include <cmath>

#include "nn/grad_check.hpp"
#include "xssm/nn/cross_entropy.hpp"

using namespace xssm;

TEST_CASE("cross_entropy: value against the definition, counts, FD gradient with ignored rows") {
  Rng rng(1);
  const Index N = 5, V = 7;
  Tensor<double> logits = test::randn({N, V}, rng, 2.0);
  Tensor<std::int32_t> tg(Shape{N}, std::vector<std::int32_t>{3, -1, 0, 6, 3});
  Tensor<double> dl;
  Index ns = -1, nc = -1;
  const double L = nn::cross_entropy(logits, tg, &dl, &ns, &nc);
  CHECK(ns == 4);
  double want = 0;
  Index correct = 0;
  for (Index i = 0; i < N; ++i) {
    if (tg[i] < 0) continue;
    double s = 0;
    Index am = 0;
    for (Index v = 0; v < V; ++v) {
      s += std::exp(logits.at(i, v));
      if (logits.at(i, v) > logits.at(i, am)) am = v;
    }
    want += std::log(s) - logits.at(i, tg[i]);
    correct += am == tg[i];
  }
  CHECK(L == Approx(want / 4).epsilon(1e-14));
  CHECK(nc == correct);
  for (Index v = 0; v < V; ++v) CHECK(dl.at(1, v) == 0.0);  // ignored row
  auto loss = [&] { return nn::cross_entropy(logits, tg, (Tensor<double>*)nullptr); };
  test::check_input_grad(loss, logits, dl, "logits");
}

TEST_CASE("cross_entropy: stable for huge logits; nothing scored; errors; float") {
  Tensor<double> logits(Shape{2, 3}, std::vector<double>{1000, 0, -1000, 5, 5, 5});
  Tensor<std::int32_t> tg(Shape{2}, std::vector<std::int32_t>{1, 2});
  Tensor<double> dl;
  const double L = nn::cross_entropy(logits, tg, &dl);
  CHECK(std::isfinite(L));
  CHECK(L == Approx((1000.0 + std::log(3.0)) / 2));
  Tensor<std::int32_t> none(Shape{2}, std::vector<std::int32_t>{-1, -1});
  Index ns = 7;
  CHECK(nn::cross_entropy(logits, none, &dl, &ns) == 0.0);
  CHECK(ns == 0);
  for (double v : dl) CHECK(v == 0.0);
  Tensor<std::int32_t> bad(Shape{2}, std::vector<std::int32_t>{1, 3});
  CHECK_THROWS_AS(nn::cross_entropy(logits, bad, &dl), Error);
  Tensor<std::int32_t> short_t(Shape{1}, std::vector<std::int32_t>{1});
  CHECK_THROWS_AS(nn::cross_entropy(logits, short_t, &dl), Error);

  Rng rng(2);
  Tensor<double> lg = test::randn({300, 150}, rng, 3.0);  // large: parallel rows
  Tensor<std::int32_t> t(Shape{300});
  for (Index i = 0; i < 300; ++i) t[i] = i % 7 == 0 ? -1 : std::int32_t(rng.below(150));
  Tensor<double> d;
  Tensor<float> df;
  const double Ld = nn::cross_entropy(lg, t, &d);
  const float Lf = nn::cross_entropy(lg.cast<float>(), t, &df);
  CHECK(Lf == Approx(Ld).epsilon(1e-5));
  XSSM_CHECK_CLOSE(df, d, 1e-5);
}
