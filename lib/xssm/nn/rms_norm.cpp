#include "xssm/nn/rms_norm.hpp"

#include "xssm/nn/activations.hpp"
#include "xssm/nn/activations_array.hpp"
#include "xssm/nn/last_axis.hpp"
#include "xssm/nn/norm_kernels.hpp"

namespace xssm::nn {

template <class T>
RmsNorm<T>::RmsNorm(Index D, double e) : eps(T(e)) {
  if (D <= 0) throw Error(cat("RmsNorm: size must be positive, got ", D));
  weight.reset({D}, false);
  weight.value.fill(T(1));
}

template <class T>
void RmsNorm<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
}

template <class T>
Tensor<T> RmsNorm<T>::forward(const Tensor<T>& x) const {
  const Index D = dim();
  expect_last(x, D, "RmsNorm");
  Tensor<T> y(x.shape());
  detail::norm_groups_fwd(x.data(), y.data(), rows_of(x, D), Index(1), D, weight.value.data(), (const T*)nullptr, eps,
                          false);
  return y;
}

template <class T>
Tensor<T> RmsNorm<T>::backward(const Tensor<T>& x, const Tensor<T>& dy) {
  const Index D = dim();
  expect_last(x, D, "RmsNorm::backward x");
  expect_shape(dy, x.shape(), "RmsNorm::backward dy");
  Tensor<T> dx(x.shape());
  detail::norm_groups_bwd(x.data(), dy.data(), dx.data(), rows_of(x, D), Index(1), D, weight.value.data(),
                          weight.grad.data(), (T*)nullptr, eps, false);
  return dx;
}

template <class T>
GatedRmsNorm<T>::GatedRmsNorm(Index D, Index gs, double e) : group_size(gs == 0 ? D : gs), eps(T(e)) {
  if (D <= 0 || group_size <= 0 || D % group_size != 0)
    throw Error(cat("GatedRmsNorm: group_size=", gs, " must divide the size D=", D));
  weight.reset({D}, false);
  weight.value.fill(T(1));
}

template <class T>
void GatedRmsNorm<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
}

template <class T>
Tensor<T> GatedRmsNorm<T>::forward(const Tensor<T>& x, const Tensor<T>& z) const {
  const Index D = dim();
  expect_last(x, D, "GatedRmsNorm x");
  expect_shape(z, x.shape(), "GatedRmsNorm z");
  Tensor<T> v(x.shape());
  v.vec().array() = x.vec().array() * silu_a(z.vec().array());  // gate before the norm
  Tensor<T> y(x.shape());
  detail::norm_groups_fwd(v.data(), y.data(), rows_of(x, D), D / group_size, group_size, weight.value.data(),
                          (const T*)nullptr, eps, false);
  return y;
}

template <class T>
void GatedRmsNorm<T>::backward(const Tensor<T>& x, const Tensor<T>& z, const Tensor<T>& dy, Tensor<T>& dx,
                               Tensor<T>& dz) {
  const Index D = dim();
  expect_last(x, D, "GatedRmsNorm::backward x");
  expect_shape(z, x.shape(), "GatedRmsNorm::backward z");
  expect_shape(dy, x.shape(), "GatedRmsNorm::backward dy");
  Tensor<T> v(x.shape()), dv(x.shape());
  v.vec().array() = x.vec().array() * silu_a(z.vec().array());
  detail::norm_groups_bwd(v.data(), dy.data(), dv.data(), rows_of(x, D), D / group_size, group_size,
                          weight.value.data(), weight.grad.data(), (T*)nullptr, eps, false);
  dx.resize(x.shape());
  dz.resize(x.shape());
  dx.vec().array() = dv.vec().array() * silu_a(z.vec().array());  // v = x ⊙ silu(z)
  dz.vec().array() = dv.vec().array() * x.vec().array() * silu_grad_a(z.vec().array());
}

template struct RmsNorm<float>;
template struct RmsNorm<double>;
template struct GatedRmsNorm<float>;
template struct GatedRmsNorm<double>;

}  // namespace xssm::nn
