#include "xssm/nn/layer_norm.hpp"

#include "xssm/nn/last_axis.hpp"
#include "xssm/nn/norm_kernels.hpp"

namespace xssm::nn {

template <class T>
LayerNorm<T>::LayerNorm(Index D, bool b, bool offset, double e) : has_bias(b), weight_offset(offset), eps(T(e)) {
  if (D <= 0) throw Error(cat("LayerNorm: size must be positive, got ", D));
  weight.reset({D}, false);
  if (b) bias.reset({D}, false);
  init_identity();
}

template <class T>
void LayerNorm<T>::init_identity() {
  weight.value.fill(weight_offset ? T(0) : T(1));
  if (has_bias) bias.value.zero();
}

template <class T>
void LayerNorm<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
  if (has_bias) l.add(join(prefix, "bias"), bias);
}

namespace {
template <class T>
Tensor<T> effective_scale(const Tensor<T>& w, bool offset) {
  Tensor<T> s = w;
  if (offset)
    for (auto& v : s) v += T(1);
  return s;
}
}  // namespace

template <class T>
Tensor<T> LayerNorm<T>::forward(const Tensor<T>& x) const {
  const Index D = dim();
  expect_last(x, D, "LayerNorm");
  Tensor<T> y(x.shape());
  const Tensor<T> s = effective_scale(weight.value, weight_offset);
  detail::norm_groups_fwd(x.data(), y.data(), rows_of(x, D), Index(1), D, s.data(),
                          has_bias ? bias.value.data() : nullptr, eps, true);
  return y;
}

template <class T>
Tensor<T> LayerNorm<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  const Index D = dim();
  expect_last(x, D, "LayerNorm::backward x");
  expect_shape(dy, x.shape(), "LayerNorm::backward dy");
  Tensor<T> dx(x.shape());
  const Tensor<T> s = effective_scale(weight.value, weight_offset);
  // d(1 + w)/dw = 1: the offset and plain forms share the scale gradient.
  detail::norm_groups_bwd(x.data(), dy.data(), dx.data(), rows_of(x, D), Index(1), D, s.data(), weight.grad.data(),
                          has_bias ? bias.grad.data() : nullptr, eps, true);
  return dx;
}

template struct LayerNorm<float>;
template struct LayerNorm<double>;

}  // namespace xssm::nn
