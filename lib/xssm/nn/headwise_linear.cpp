#include "xssm/nn/headwise_linear.hpp"

#include "xssm/nn/last_axis.hpp"
#include "xssm/nn/linear.hpp"

namespace xssm::nn {

template <class T>
HeadwiseLinear<T>::HeadwiseLinear(Index in, Index NH, Index expand, bool b) : has_bias(b) {
  if (in <= 0 || NH <= 0 || expand <= 0 || in % NH != 0)
    throw Error(cat("HeadwiseLinear: in=", in, " must be a positive multiple of num_heads=", NH,
                    " (expand=", expand, ")"));
  const Index I = in / NH, O = expand * in / NH;
  weight.reset({NH, O, I}, true);
  if (b) bias.reset({NH * O}, false);
}

template <class T>
void HeadwiseLinear<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
  if (has_bias) l.add(join(prefix, "bias"), bias);
}

template <class T>
Tensor<T> HeadwiseLinear<T>::forward(const Tensor<T>& x) const {
  const Index NH = num_heads(), O = weight.value.dim(1), I = weight.value.dim(2);
  expect_last(x, NH * I, "HeadwiseLinear");
  const Index R = rows_of(x, NH * I);
  Tensor<T> y(with_last(x.shape(), NH * O));
  auto X = x.mat(R, NH * I);
  auto Y = y.mat(R, NH * O);
  for (Index n = 0; n < NH; ++n) {
    // y[:, head n] = x[:, head n] W[n]ᵀ
    CMatMap<T> Wn(weight.value.data() + n * O * I, O, I);
    Y.middleCols(n * O, O).noalias() = X.middleCols(n * I, I) * Wn.transpose();
  }
  if (has_bias) Y.rowwise() += bias.value.vec().transpose();
  return y;
}

template <class T>
Tensor<T> HeadwiseLinear<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  const Index NH = num_heads(), O = weight.value.dim(1), I = weight.value.dim(2);
  expect_last(x, NH * I, "HeadwiseLinear::backward x");
  expect_shape(dy, with_last(x.shape(), NH * O), "HeadwiseLinear::backward dy");
  const Index R = rows_of(x, NH * I);
  Tensor<T> dx(x.shape());
  auto X = x.mat(R, NH * I);
  auto dY = dy.mat(R, NH * O);
  auto dX = dx.mat(R, NH * I);
  for (Index n = 0; n < NH; ++n) {
    CMatMap<T> Wn(weight.value.data() + n * O * I, O, I);
    MatMap<T> dWn(weight.grad.data() + n * O * I, O, I);
    dX.middleCols(n * I, I).noalias() = dY.middleCols(n * O, O) * Wn;           // dx_n = dy_n W_n
    dWn.noalias() += dY.middleCols(n * O, O).transpose() * X.middleCols(n * I, I);  // dW_n += dy_nᵀ x_n
  }
  if (has_bias) bias.grad.vec() += dY.colwise().sum().transpose();
  return dx;
}

template <class T>
void HeadwiseLinear<T>::init_normal(Rng& rng, double std) {
  fill_normal(weight.value, rng, std);
  if (has_bias) bias.value.zero();
}

template struct HeadwiseLinear<float>;
template struct HeadwiseLinear<double>;

}  // namespace xssm::nn
