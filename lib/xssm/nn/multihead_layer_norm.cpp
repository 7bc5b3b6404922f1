#include "xssm/nn/multihead_layer_norm.hpp"

#include "xssm/nn/norm_kernels.hpp"

namespace xssm::nn {

template <class T>
MultiHeadLayerNorm<T>::MultiHeadLayerNorm(Index NH, Index DH, bool b, double e)
    : has_bias(b), num_heads(NH), head_dim(DH), eps(T(e)) {
  if (NH <= 0 || DH <= 0) throw Error(cat("MultiHeadLayerNorm: sizes must be positive, got NH=", NH, " DH=", DH));
  weight.reset({NH * DH}, false);
  if (b) bias.reset({NH * DH}, false);
}

template <class T>
void MultiHeadLayerNorm<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
  if (has_bias) l.add(join(prefix, "bias"), bias);
}

namespace {
template <class T>
void expect_heads(const Tensor<T>& x, Index NH, Index DH, const char* what) {
  if (x.rank() < 2 || x.dim(-2) != NH || x.dim(-1) != DH)
    throw Error(cat(what, ": input has shape ", shape_str(x.shape()), ", expected (…,", NH, ",", DH, ")"));
}
template <class T>
Shape merged_shape(const Tensor<T>& x) {
  Shape s(x.shape().begin(), x.shape().end() - 1);
  s.back() *= x.shape().back();
  return s;
}
template <class T>
Tensor<T> one_plus(const Tensor<T>& w) {
  Tensor<T> s = w;
  for (auto& v : s) v += T(1);
  return s;
}
}  // namespace

template <class T>
Tensor<T> MultiHeadLayerNorm<T>::forward(const Tensor<T>& x) const {
  expect_heads(x, num_heads, head_dim, "MultiHeadLayerNorm");
  Tensor<T> y(merged_shape(x));
  const Tensor<T> s = one_plus(weight.value);
  const Index C = num_heads * head_dim;
  detail::norm_groups_fwd(x.data(), y.data(), x.size() / C, num_heads, head_dim, s.data(),
                          has_bias ? bias.value.data() : nullptr, eps, true);
  return y;
}

template <class T>
Tensor<T> MultiHeadLayerNorm<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  expect_heads(x, num_heads, head_dim, "MultiHeadLayerNorm::backward x");
  expect_shape(dy, merged_shape(x), "MultiHeadLayerNorm::backward dy");
  Tensor<T> dx(x.shape());
  const Tensor<T> s = one_plus(weight.value);
  const Index C = num_heads * head_dim;
  detail::norm_groups_bwd(x.data(), dy.data(), dx.data(), x.size() / C, num_heads, head_dim, s.data(),
                          weight.grad.data(), has_bias ? bias.grad.data() : nullptr, eps, true);
  return dx;
}

template struct MultiHeadLayerNorm<float>;
template struct MultiHeadLayerNorm<double>;

}  // namespace xssm::nn
