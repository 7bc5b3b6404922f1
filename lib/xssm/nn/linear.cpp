#include "xssm/nn/linear.hpp"

#include <cmath>

#include "xssm/core/parallel.hpp"
#include "xssm/nn/last_axis.hpp"

namespace xssm::nn {

namespace {
// Below this many multiply-adds a product runs on the calling thread.
constexpr Index kParallelWork = Index(1) << 18;
constexpr Index kRowBlock = 64;
}  // namespace

template <class T>
Linear<T>::Linear(Index in, Index out, bool b) : has_bias(b) {
  if (in <= 0 || out <= 0) throw Error(cat("Linear: sizes must be positive, got in=", in, " out=", out));
  weight.reset({out, in}, true);
  if (b) bias.reset({out}, false);
}

template <class T>
void Linear<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
  if (has_bias) l.add(join(prefix, "bias"), bias);
}

template <class T>
Tensor<T> Linear<T>::forward(const Tensor<T>& x) const {
  const Index I = in(), O = out();
  expect_last(x, I, "Linear");
  const Index R = rows_of(x, I);
  Tensor<T> y(with_last(x.shape(), O));
  auto W = weight.value.mat(O, I);
  auto X = x.mat(R, I);
  auto Y = y.mat(R, O);
  // y = x Wᵀ + b, in fixed row blocks (identical rounding for any thread count).
  auto block = [&](Index r0, Index r1) {
    Y.middleRows(r0, r1 - r0).noalias() = X.middleRows(r0, r1 - r0) * W.transpose();
    if (has_bias) Y.middleRows(r0, r1 - r0).rowwise() += bias.value.vec().transpose();
  };
  if (R * I * O < kParallelWork) block(0, R);
  else parallel_blocks(R, kRowBlock, block);
  return y;
}

template <class T>
Tensor<T> Linear<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  const Index I = in(), O = out();
  expect_last(x, I, "Linear::backward x");
  expect_shape(dy, with_last(x.shape(), O), "Linear::backward dy");
  const Index R = rows_of(x, I);
  Tensor<T> dx(x.shape());
  auto W = weight.value.mat(O, I);
  auto dW = weight.grad.mat(O, I);
  auto X = x.mat(R, I);
  auto dY = dy.mat(R, O);
  auto dX = dx.mat(R, I);
  const bool par = R * I * O >= kParallelWork;
  // dx = dy W
  auto bx = [&](Index r0, Index r1) { dX.middleRows(r0, r1 - r0).noalias() = dY.middleRows(r0, r1 - r0) * W; };
  // dW += dyᵀ x, split over output rows so each block is owned by one thread.
  auto bw = [&](Index o0, Index o1) {
    dW.middleRows(o0, o1 - o0).noalias() += dY.middleCols(o0, o1 - o0).transpose() * X;
  };
  if (par) {
    parallel_blocks(R, kRowBlock, bx);
    parallel_blocks(O, 16, bw);
  } else {
    bx(0, R);
    bw(0, O);
  }
  if (has_bias) bias.grad.vec() += dY.colwise().sum().transpose();
  return dx;
}

template <class T>
void Linear<T>::init_normal(Rng& rng, double std) {
  fill_normal(weight.value, rng, std);
  if (has_bias) bias.value.zero();
}

template <class T>
void Linear<T>::init_zeros() {
  weight.value.zero();
  if (has_bias) bias.value.zero();
}

template <class T>
void Linear<T>::init_torch_default(Rng& rng) {
  const double b = 1.0 / std::sqrt(double(in()));
  fill_uniform(weight.value, rng, -b, b);
  if (has_bias) fill_uniform(bias.value, rng, -b, b);
}

template <class T>
void fill_normal(Tensor<T>& t, Rng& rng, double std) {
  for (auto& v : t) v = T(rng.normal() * std);
}
template <class T>
void fill_uniform(Tensor<T>& t, Rng& rng, double lo, double hi) {
  for (auto& v : t) v = T(rng.uniform(lo, hi));
}

double small_init_std(Index D) { return std::sqrt(2.0 / (5.0 * double(D))); }
double wang_init_std(Index D, Index num_blocks) { return 2.0 / (double(num_blocks) * std::sqrt(double(D))); }

template struct Linear<float>;
template struct Linear<double>;
template void fill_normal(Tensor<float>&, Rng&, double);
template void fill_normal(Tensor<double>&, Rng&, double);
template void fill_uniform(Tensor<float>&, Rng&, double, double);
template void fill_uniform(Tensor<double>&, Rng&, double, double);

}  // namespace xssm::nn
