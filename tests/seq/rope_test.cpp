// RoPE: rotate-half formula, bwd = transpose (FD), relative-position property, offset = step mode.
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/rope.hpp"

using namespace xssm;

TEST_CASE("rope_fwd follows the rotate-half formula") {
  Rng rng(21);
  auto x = test::randn<double>({1, 2, 3, 6}, rng);
  auto y = seq::rope_fwd(x, 4, 100.0);
  for (Index h = 0; h < 2; ++h)
    for (Index s = 0; s < 3; ++s)
      for (Index i = 0; i < 3; ++i) {
        const double a = double(4 + s) * std::pow(100.0, -2.0 * i / 6.0);
        CHECK(y.at(0, h, s, i) == Approx(x.at(0, h, s, i) * std::cos(a) - x.at(0, h, s, i + 3) * std::sin(a)).epsilon(1e-14));
        CHECK(y.at(0, h, s, i + 3) == Approx(x.at(0, h, s, i + 3) * std::cos(a) + x.at(0, h, s, i) * std::sin(a)).epsilon(1e-14));
      }
  // Position 0 is the identity.
  auto x0 = test::randn<double>({1, 1, 1, 4}, rng);
  XSSM_CHECK_CLOSE(seq::rope_fwd(x0), x0, 0.0);
}

TEST_CASE("rope_bwd is the transpose (FD) and inverse of rope_fwd") {
  Rng rng(22);
  auto x = test::randn<double>({2, 2, 5, 4}, rng), w = test::randn<double>({2, 2, 5, 4}, rng);
  auto loss = [&] { return test::dot(seq::rope_fwd(x, 3), w); };
  XSSM_CHECK_CLOSE(seq::rope_bwd(w, 3), test::numeric_grad(loss, x), 1e-9);
  XSSM_CHECK_CLOSE(seq::rope_bwd(seq::rope_fwd(x, 3), 3), x, 1e-14);
}

TEST_CASE("rope makes q·k depend on the relative position only; offsets compose") {
  Rng rng(23);
  auto q = test::randn<double>({1, 1, 1, 8}, rng), k = test::randn<double>({1, 1, 1, 8}, rng);
  auto dotp = [](const Tensor<double>& a, const Tensor<double>& b) { return test::dot(a, b); };
  const double d1 = dotp(seq::rope_fwd(q, 7), seq::rope_fwd(k, 3));
  const double d2 = dotp(seq::rope_fwd(q, 104), seq::rope_fwd(k, 100));
  CHECK(d1 == Approx(d2).epsilon(1e-12));
  CHECK(d1 != Approx(dotp(seq::rope_fwd(q, 8), seq::rope_fwd(k, 3))).epsilon(1e-6));
  // Row s of a sequence with offset 0 = a single row with offset s (step mode).
  auto x = test::randn<double>({1, 1, 6, 4}, rng);
  auto y = seq::rope_fwd(x);
  Tensor<double> row({1, 1, 1, 4});
  for (Index d = 0; d < 4; ++d) row[d] = x.at(0, 0, 5, d);
  auto yr = seq::rope_fwd(row, 5);
  for (Index d = 0; d < 4; ++d) CHECK(yr[d] == Approx(y.at(0, 0, 5, d)).epsilon(1e-15));
  CHECK_THROWS_AS(seq::rope_fwd(test::randn<double>({1, 1, 2, 3}, rng)), Error);
  // float32 agrees with float64.
  XSSM_CHECK_CLOSE(seq::rope_fwd(x.cast<float>(), 1000), seq::rope_fwd(x, 1000), 1e-6);
}
