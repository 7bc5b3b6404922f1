#include "xssm/nn/embedding.hpp"

#include <algorithm>

#include "xssm/nn/linear.hpp"

namespace xssm::nn {

template <class T>
Embedding<T>::Embedding(Index V, Index D) {
  if (V <= 0 || D <= 0) throw Error(cat("Embedding: sizes must be positive, got V=", V, " D=", D));
  weight.reset({V, D}, true);
}

template <class T>
void Embedding<T>::collect(const std::string& prefix, ParamList<T>& l) {
  l.add(join(prefix, "weight"), weight);
}

namespace {
void check_ids(const Tensor<std::int32_t>& ids, Index V) {
  for (Index i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= V)
      throw Error(cat("Embedding: token id ", ids[i], " at position ", i, " is outside [0, ", V, ")"));
}
}  // namespace

template <class T>
Tensor<T> Embedding<T>::forward(const Tensor<std::int32_t>& ids) const {
  const Index V = vocab(), D = dim();
  check_ids(ids, V);
  Shape s = ids.shape();
  s.push_back(D);
  Tensor<T> y(s);
  for (Index i = 0; i < ids.size(); ++i) {
    const T* row = weight.value.data() + Index(ids[i]) * D;
    std::copy(row, row + D, y.data() + i * D);
  }
  return y;
}

template <class T>
void Embedding<T>::backward(const Tensor<std::int32_t>& ids, const Tensor<T>& dy) {
  const Index V = vocab(), D = dim();
  check_ids(ids, V);
  Shape s = ids.shape();
  s.push_back(D);
  expect_shape(dy, s, "Embedding::backward dy");
  // Serial in position order: repeated ids add up deterministically.
  for (Index i = 0; i < ids.size(); ++i) {
    T* g = weight.grad.data() + Index(ids[i]) * D;
    const T* d = dy.data() + i * D;
    for (Index k = 0; k < D; ++k) g[k] += d[k];
  }
}

template <class T>
void Embedding<T>::init_normal(Rng& rng, double std) {
  fill_normal(weight.value, rng, std);
}

template struct Embedding<float>;
template struct Embedding<double>;

}  // namespace xssm::nn
