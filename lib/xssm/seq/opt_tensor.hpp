// OptTensor<T>: an optional tensor argument (nullptr = absent). Written as a non-deduced
// context so that callers can pass a plain nullptr to function templates over T.
#pragma once
#include "xssm/core/tensor.hpp"

namespace xssm::seq {
namespace detail {
template <class U>
struct Identity {
  using type = U;
};
}  // namespace detail
template <class T>
using OptTensor = const typename detail::Identity<Tensor<T>>::type*;
}  // namespace xssm::seq
