#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "xssm/nn/activations.hpp"

using namespace xssm;

namespace {
// 4-point central difference of a scalar function.
double fd(const std::function<double(double)>& f, double x, double h = 1e-4) {
  return (8 * (f(x + h) - f(x - h)) - (f(x + 2 * h) - f(x - 2 * h))) / (12 * h);
}
const double kPoints[] = {-30.0, -7.5, -2.0, -0.3, 0.0, 0.4, 1.7, 6.0, 19.5, 25.0};
}  // namespace

TEST_CASE("activations: derivatives match finite differences (float64)") {
  for (double x : kPoints) {
    INFO("x = " << x);
    CHECK(nn::silu_grad(x) == Approx(fd(nn::silu<double>, x)).margin(1e-9));
    CHECK(nn::gelu_grad(x) == Approx(fd(nn::gelu<double>, x)).margin(1e-9));
    CHECK(nn::gelu_tanh_grad(x) == Approx(fd(nn::gelu_tanh<double>, x)).margin(1e-9));
    CHECK(nn::logsigmoid_grad(x) == Approx(fd(nn::logsigmoid<double>, x)).margin(1e-9));
    if (std::fabs(x - 20) > 1e-2) CHECK(nn::softplus_grad(x) == Approx(fd(nn::softplus<double>, x)).margin(1e-9));
  }
}

TEST_CASE("activations: reference values and PyTorch conventions") {
  CHECK(nn::sigmoid(0.0) == 0.5);
  CHECK(nn::sigmoid(-800.0) == 0.0);  // no overflow
  CHECK(nn::sigmoid(800.0) == 1.0);
  CHECK(nn::silu(1.0) == Approx(0.7310585786300049));
  CHECK(nn::gelu(1.0) == Approx(0.8413447460685429).epsilon(1e-14));
  CHECK(nn::gelu_tanh(1.0) == Approx(0.8411919906082768).epsilon(1e-14));
  CHECK(nn::softplus(1.0) == Approx(1.3132616875182228).epsilon(1e-14));
  // torch: softplus(x) = x for x > 20 (differs from log1p(exp(x)) by ~2e-9), gradient exactly 1.
  CHECK(nn::softplus(20.5) == 20.5);
  CHECK(nn::softplus_grad(20.5) == 1.0);
  CHECK(nn::softplus(20.0) == std::log1p(std::exp(20.0)));
  CHECK(nn::logsigmoid(-800.0) == -800.0);  // stable for large negative x
  CHECK(nn::logsigmoid(2.0) == Approx(-0.12692801104297263).epsilon(1e-14));
  CHECK(std::isfinite(nn::logsigmoid(800.0)));
}

TEST_CASE("activations: float agrees with double") {
  for (double x : kPoints) {
    const float xf = float(x);
    CHECK(nn::silu(xf) == Approx(nn::silu(double(xf))).epsilon(1e-6).margin(1e-6));
    CHECK(nn::gelu(xf) == Approx(nn::gelu(double(xf))).epsilon(1e-6).margin(1e-6));
    CHECK(nn::softplus(xf) == Approx(nn::softplus(double(xf))).epsilon(1e-6).margin(1e-6));
    CHECK(nn::logsigmoid(xf) == Approx(nn::logsigmoid(double(xf))).epsilon(1e-6).margin(1e-6));
  }
}
