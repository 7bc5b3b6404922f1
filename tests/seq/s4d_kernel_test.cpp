// S4D kernel: FD gradients of every parameter, the recurrence (discretise) reproduces K, init.
#include <catch2/catch.hpp>
#include <cmath>
#include <complex>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/s4d_kernel.hpp"

using namespace xssm;
using namespace xssm::test;

TEST_CASE("s4d_kernel: FD gradients of log_dt, C, log_A_real, A_imag", "[seq][s4d]") {
  Rng rng(21);
  seq::S4DKernel<double> k(3, 6);
  k.init(rng, 0.01, 0.5);
  for (auto* p : {&k.log_A_real.value, &k.A_imag.value, &k.C.value})
    for (auto& v : *p) v += 0.1 * rng.normal();
  const Index L = 9;
  const Tensor<double> g = randn({3, L}, rng);
  k.backward(g);
  auto loss = [&] { return dot(k.forward(L), g); };
  XSSM_CHECK_CLOSE(k.log_dt.grad, numeric_grad(loss, k.log_dt.value), 1e-7);
  XSSM_CHECK_CLOSE(k.C.grad, numeric_grad(loss, k.C.value), 1e-7);
  XSSM_CHECK_CLOSE(k.log_A_real.grad, numeric_grad(loss, k.log_A_real.value), 1e-7);
  XSSM_CHECK_CLOSE(k.A_imag.grad, numeric_grad(loss, k.A_imag.value), 1e-7);
}

TEST_CASE("s4d_kernel: the discretised recurrence reproduces K; init values", "[seq][s4d]") {
  Rng rng(22);
  seq::S4DKernel<double> k(2, 4);
  k.init(rng);
  CHECK(k.log_A_real.value.at(1, 1) == Approx(std::log(0.5)));
  CHECK(k.A_imag.value.at(0, 1) == Approx(3.14159265358979));
  for (double v : k.log_dt.value) CHECK((v >= std::log(0.001) && v <= std::log(0.1)));
  const Index L = 12;
  const Tensor<double> K = k.forward(L);
  Tensor<double> Ab, cB;
  k.discretise(Ab, cB);
  // impulse response of x_t = Ā x_{t−1} + c·B̄ u_t, y_t = 2 Re Σ x_t
  Tensor<double> Kr({2, L});
  for (Index h = 0; h < 2; ++h)
    for (Index n = 0; n < 2; ++n) {
      std::complex<double> a(Ab.at(h, n, 0), Ab.at(h, n, 1)), x(cB.at(h, n, 0), cB.at(h, n, 1));
      for (Index l = 0; l < L; ++l) {
        Kr.at(h, l) += 2 * x.real();
        x *= a;
      }
    }
  XSSM_CHECK_CLOSE(Kr, K, 1e-12);
  Tensor<float> Kf = [&] {
    seq::S4DKernel<float> kf(2, 4);
    kf.log_dt.value = k.log_dt.value.cast<float>();
    kf.C.value = k.C.value.cast<float>();
    kf.log_A_real.value = k.log_A_real.value.cast<float>();
    kf.A_imag.value = k.A_imag.value.cast<float>();
    return kf.forward(L);
  }();
  CHECK(rel_err(Kf, K) < 1e-5);
}
