// Generic checks for a seq::Mixer (used by the SSM mixer tests): FD gradients of the input and
// every registered parameter, step() repeated = forward(), float32 vs float64, constant step
// memory, long-sequence stability.
#pragma once
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <memory>

#include "seq/ssm_test_util.hpp"
#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/nn/param.hpp"
#include "xssm/seq/mixer.hpp"

namespace xssm::test {

/// Every parameter moved off its (often degenerate) init by σ·N(0,1).
template <class T>
void perturb_params(seq::Mixer<T>& m, Rng& rng, double sigma = 0.2) {
  nn::ParamList<T> l;
  m.collect("", l);
  for (auto& it : l.items())
    for (auto& v : it.second->value) v += T(sigma * rng.normal());
}

template <class T>
void zero_grads(seq::Mixer<T>& m) {
  nn::ParamList<T> l;
  m.collect("", l);
  for (auto& it : l.items()) it.second->grad = Tensor<T>(it.second->value.shape());
}

/// FD check of dL/dx and dL/dθ for L = Σ y ⊙ g (every parameter element, so keep sizes tiny).
inline void check_mixer_fd(seq::Mixer<double>& m, Tensor<double> x, Rng& rng, double tol = 1e-7) {
  zero_grads(m);
  const Tensor<double> y = m.forward(x);
  const Tensor<double> g = randn(y.shape(), rng);
  const Tensor<double> dx = m.backward(g);
  auto loss = [&] { return dot(m.forward(x), g); };
  XSSM_CHECK_CLOSE(dx, numeric_grad(loss, x), tol);
  nn::ParamList<double> l;
  m.collect("", l);
  for (auto& it : l.items()) {
    INFO("parameter " << it.first);
    XSSM_CHECK_CLOSE(it.second->grad, numeric_grad(loss, it.second->value), tol);
  }
}

/// Runs step() over the sequence; returns the stacked outputs. Checks that every state tensor
/// keeps its shape (constant memory).
template <class T>
Tensor<T> run_steps(seq::Mixer<T>& m, const Tensor<T>& x, NamedTensors<T>* final_state = nullptr) {
  auto st = m.initial_state(x.dim(0));
  std::vector<Shape> shapes;
  for (auto& it : st) shapes.push_back(it.second.shape());
  Tensor<T> y(x.shape());
  for (Index t = 0; t < x.dim(1); ++t) set_time(y, t, m.step(at_time(x, t), st));
  size_t i = 0;
  for (auto& it : st) CHECK(it.second.shape() == shapes[i++]);
  if (final_state) *final_state = st;
  return y;
}

/// Copies every parameter value of a float64 mixer into a float32 one of the same config.
inline void copy_params(seq::Mixer<double>& from, seq::Mixer<float>& to) {
  nn::ParamList<double> a;
  nn::ParamList<float> b;
  from.collect("", a);
  to.collect("", b);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a.items()[i].first == b.items()[i].first);
    b.items()[i].second->value = a.items()[i].second->value.cast<float>();
  }
}

inline void check_float32(seq::Mixer<double>& m, seq::Mixer<float>& mf, const Tensor<double>& x, Rng& rng) {
  copy_params(m, mf);
  zero_grads(m);
  zero_grads(mf);
  const Tensor<double> y = m.forward(x);
  const Tensor<float> yf = mf.forward(x.cast<float>());
  CHECK(rel_err(yf, y) < 1e-5);
  const Tensor<double> g = randn(y.shape(), rng);
  const Tensor<double> dx = m.backward(g);
  const Tensor<float> dxf = mf.backward(g.cast<float>());
  CHECK(rel_err(dxf, dx) < 1e-4);
  CHECK(rel_err(run_steps(mf, x.cast<float>()), y) < 1e-5);
}

}  // namespace xssm::test

namespace xssm::test {

/// forward(x[0:s], state) then forward(x[s:L], state) = forward(x), and the final state equals
/// the one step() leaves. M has the stateful overload forward(x, NamedTensors&).
template <class M>
void check_state_passing(M& m, const Tensor<double>& x, Index s) {
  const Tensor<double> full = m.forward(x);
  NamedTensors<double> st_steps;
  run_steps(m, x, &st_steps);
  auto st = m.initial_state(x.dim(0));
  const Tensor<double> y1 = m.forward(slice_time(x, 0, s), st);
  const Tensor<double> y2 = m.forward(slice_time(x, s, x.dim(1)), st);
  XSSM_CHECK_CLOSE(cat_time(y1, y2), full, 1e-11);
  for (auto& it : st) {
    INFO("state " << it.first);
    XSSM_CHECK_CLOSE(it.second, st_steps[it.first], 1e-11);
  }
}

/// FD gradients of x and every parameter for a forward that starts from a non-zero state
/// (obtained by stepping over `prefix`).
template <class M>
void check_stateful_fd(M& m, const Tensor<double>& prefix, Tensor<double> x, Rng& rng, double tol = 1e-7) {
  NamedTensors<double> st0;
  run_steps(m, prefix, &st0);
  zero_grads(m);
  auto st = st0;
  const Tensor<double> y = m.forward(x, st);
  const Tensor<double> g = randn(y.shape(), rng);
  const Tensor<double> dx = m.backward(g);
  auto loss = [&] {
    auto s = st0;
    return dot(m.forward(x, s), g);
  };
  XSSM_CHECK_CLOSE(dx, numeric_grad(loss, x), tol);
  nn::ParamList<double> l;
  m.collect("", l);
  for (auto& it : l.items()) {
    INFO("parameter " << it.first);
    XSSM_CHECK_CLOSE(it.second->grad, numeric_grad(loss, it.second->value), tol);
  }
}

}  // namespace xssm::test
