// The array forms (activations_array.hpp) against the scalar forms, element by element, over the
// whole range including the ends where the scalar sigmoid needs its overflow branch.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "xssm/nn/activations.hpp"
#include "xssm/nn/activations_array.hpp"

using namespace xssm;

namespace {
template <class T>
std::vector<T> points() {
  std::vector<T> x = {T(-1e4), T(-800), T(-100), T(-88.5), T(-30), T(-7.5), T(-2), T(-0.3), T(0), T(0.4),
                      T(1.7),  T(6),    T(19.5), T(25),    T(88.5), T(100), T(800), T(1e4)};
  for (int i = -60; i <= 60; ++i) x.push_back(T(i) * T(0.37));  // odd count: every SIMD tail length
  return x;
}

template <class T>
void check_against_scalar(double rel) {
  const std::vector<T> x = points<T>();
  const nn::CArrMap<T> X(x.data(), Index(x.size()));
  const Eigen::Array<T, Eigen::Dynamic, 1> s = nn::sigmoid_a(X), y = nn::silu_a(X), g = nn::silu_grad_a(X);
  for (size_t i = 0; i < x.size(); ++i) {
    INFO("x = " << x[i]);
    REQUIRE(std::isfinite(s[Index(i)]));
    REQUIRE(std::isfinite(y[Index(i)]));
    REQUIRE(std::isfinite(g[Index(i)]));
    CHECK(s[Index(i)] == Approx(nn::sigmoid(x[i])).epsilon(rel).margin(std::numeric_limits<T>::min()));
    CHECK(y[Index(i)] == Approx(nn::silu(x[i])).epsilon(rel).margin(std::numeric_limits<T>::min()));
    CHECK(g[Index(i)] == Approx(nn::silu_grad(x[i])).epsilon(rel).margin(rel));
  }
}
}  // namespace

TEST_CASE("activations_array: sigmoid, silu, silu' equal the scalar forms (float64)") {
  check_against_scalar<double>(1e-14);
}

TEST_CASE("activations_array: sigmoid, silu, silu' equal the scalar forms (float32)") {
  check_against_scalar<float>(1e-6);
}

TEST_CASE("activations_array: exact ends, no NaN from e^(−x) = inf") {
  const std::vector<double> x = {-1e308, -1e4, 1e4, 1e308};
  const nn::CArrMap<double> X(x.data(), 4);
  const Eigen::ArrayXd s = nn::sigmoid_a(X);
  CHECK(s[0] == 0.0);
  CHECK(s[1] == 0.0);
  CHECK(s[2] == 1.0);
  CHECK(s[3] == 1.0);
}
