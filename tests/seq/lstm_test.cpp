// LSTM (torch.nn.LSTM semantics): finite-difference gradients (inputs, params, h0, c0),
// step = forward, state passing, float32 vs float64, stability, the Mixer wrapper.
#include <catch2/catch.hpp>
#include <cmath>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/seq/lstm.hpp"

using namespace xssm;
using namespace xssm::seq;

namespace {

template <class T>
Tensor<T> slice_t(const Tensor<T>& x, Index t0, Index t1) {
  Tensor<T> out({x.dim(0), t1 - t0, x.dim(2)});
  for (Index b = 0; b < x.dim(0); ++b)
    for (Index t = t0; t < t1; ++t) std::copy(x.ptr(b, t), x.ptr(b, t) + x.dim(2), out.ptr(b, t - t0));
  return out;
}

template <class T>
bool all_finite(const Tensor<T>& t) {
  for (T v : t)
    if (!std::isfinite(v)) return false;
  return true;
}

LstmStack<double> make_net(Index I, Index H, Index L, bool bias, Rng& rng) {
  LstmStack<double> net(I, H, L, bias);
  net.init(rng);
  for (Index l = 0; l < L; ++l)  // larger than torch's init, to exercise the nonlinearities
    for (auto& v : net.weight_hh[l].value) v *= 3;
  return net;
}

}  // namespace

TEST_CASE("lstm: finite-difference gradients (x, params, h0, c0)", "[lstm]") {
  for (Index L : {1, 2}) {
    for (bool bias : {true, false}) {
      Rng rng(100 + L + 10 * bias);
      const Index B = 2, S = 4, I = 3, H = 3;
      LstmStack<double> net = make_net(I, H, L, bias, rng);
      Tensor<double> x = test::randn({B, S, I}, rng), h0 = test::randn({L, B, H}, rng), c0 = test::randn({L, B, H}, rng);
      const Tensor<double> wo = test::randn({B, S, H}, rng), wh = test::randn({L, B, H}, rng), wc = test::randn({L, B, H}, rng);
      auto loss = [&]() {
        Tensor<double> hn, cn;
        Tensor<double> o = net.forward(x, &h0, &c0, &hn, &cn, nullptr);
        return test::dot(o, wo) + test::dot(hn, wh) + test::dot(cn, wc);
      };
      LstmCache<double> cache;
      net.forward(x, &h0, &c0, nullptr, nullptr, &cache);
      nn::ParamList<double> pl;
      net.collect("", pl);
      pl.zero_grad();
      Tensor<double> dh0, dc0;
      const Tensor<double> dx = net.backward(cache, wo, &wh, &wc, &dh0, &dc0);
      XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, x), 1e-7);
      XSSM_CHECK_CLOSE(dh0, test::numeric_grad(loss, h0), 1e-7);
      XSSM_CHECK_CLOSE(dc0, test::numeric_grad(loss, c0), 1e-7);
      CHECK(pl.size() == size_t(bias ? 4 * L : 2 * L));
      for (auto& it : pl.items()) {
        INFO(it.first);
        XSSM_CHECK_CLOSE(it.second->grad, test::numeric_grad(loss, it.second->value), 1e-7);
      }
    }
  }
}

TEST_CASE("lstm: step repeated equals forward; state passing", "[lstm]") {
  Rng rng(200);
  const Index B = 3, S = 7, I = 5, H = 4, L = 2;
  LstmStack<double> net = make_net(I, H, L, true, rng);
  const Tensor<double> x = test::randn({B, S, I}, rng), h0 = test::randn({L, B, H}, rng), c0 = test::randn({L, B, H}, rng);
  Tensor<double> hn, cn;
  const Tensor<double> y = net.forward(x, &h0, &c0, &hn, &cn, nullptr);
  Tensor<double> h = h0, c = c0;
  Tensor<double> ys({B, S, H});
  for (Index t = 0; t < S; ++t) {
    const Tensor<double> yt = net.step(slice_t(x, t, t + 1).reshaped({B, I}), h, c);
    for (Index b = 0; b < B; ++b) std::copy(yt.ptr(b), yt.ptr(b) + H, ys.ptr(b, t));
  }
  XSSM_CHECK_CLOSE(ys, y, 1e-13);
  XSSM_CHECK_CLOSE(h, hn, 1e-13);
  XSSM_CHECK_CLOSE(c, cn, 1e-13);
  for (Index split : {1, 3, 6}) {
    Tensor<double> h1, c1, h2, c2;
    const Tensor<double> y1 = net.forward(slice_t(x, 0, split), &h0, &c0, &h1, &c1, nullptr);
    const Tensor<double> y2 = net.forward(slice_t(x, split, S), &h1, &c1, &h2, &c2, nullptr);
    XSSM_CHECK_CLOSE(y1, slice_t(y, 0, split), 1e-14);
    XSSM_CHECK_CLOSE(y2, slice_t(y, split, S), 1e-14);
    XSSM_CHECK_CLOSE(h2, hn, 1e-14);
    XSSM_CHECK_CLOSE(c2, cn, 1e-14);
  }
}

TEST_CASE("lstm: float32 agrees with float64; stability; tiny sizes", "[lstm]") {
  Rng rng(300);
  const Index B = 2, S = 12, I = 4, H = 6;
  LstmStack<double> net = make_net(I, H, 2, true, rng);
  LstmStack<float> net32(I, H, 2, true);
  nn::ParamList<double> p64;
  nn::ParamList<float> p32;
  net.collect("", p64);
  net32.collect("", p32);
  for (size_t k = 0; k < p64.size(); ++k) p32.items()[k].second->value = p64.items()[k].second->value.cast<float>();
  const Tensor<double> x = test::randn({B, S, I}, rng);
  LstmCache<double> c64;
  LstmCache<float> c32;
  const Tensor<double> y64 = net.forward(x, nullptr, nullptr, nullptr, nullptr, &c64);
  const Tensor<float> y32 = net32.forward(x.cast<float>(), nullptr, nullptr, nullptr, nullptr, &c32);
  XSSM_CHECK_CLOSE(y32, y64, 1e-5);
  const Tensor<double> dy = test::randn({B, S, H}, rng);
  const Tensor<double> dx64 = net.backward(c64, dy, nullptr, nullptr, nullptr, nullptr);
  const Tensor<float> dx32 = net32.backward(c32, dy.cast<float>(), nullptr, nullptr, nullptr, nullptr);
  XSSM_CHECK_CLOSE(dx32, dx64, 1e-4);

  // ±50 pre-activations over 4096 steps.
  Tensor<double> xl({1, 4096, I});
  for (auto& v : xl) v = rng.bernoulli(0.5) ? 50.0 : -50.0;
  LstmCache<double> cl;
  const Tensor<double> yl = net.forward(xl, nullptr, nullptr, nullptr, nullptr, &cl);
  CHECK(all_finite(yl));
  CHECK(all_finite(net.backward(cl, test::randn({1, 4096, H}, rng), nullptr, nullptr, nullptr, nullptr)));

  // B = 1, S = 1, H = 1.
  LstmStack<double> tiny = make_net(1, 1, 1, true, rng);
  Tensor<double> xt = test::randn({1, 1, 1}, rng);
  auto loss = [&]() { return tiny.forward(xt, nullptr, nullptr, nullptr, nullptr, nullptr)[0]; };
  LstmCache<double> ct;
  tiny.forward(xt, nullptr, nullptr, nullptr, nullptr, &ct);
  XSSM_CHECK_CLOSE(tiny.backward(ct, Tensor<double>({1, 1, 1}, 1.0), nullptr, nullptr, nullptr, nullptr),
                   test::numeric_grad(loss, xt), 1e-8);
}

TEST_CASE("lstm mixer: names, forward = step, constant state, backward", "[lstm]") {
  Rng rng(400);
  const Index B = 2, S = 5, D = 4;
  Lstm<double> mix(D, 2);
  mix.init(rng, 1, 0);
  CHECK(mix.kind() == "lstm");
  CHECK(mix.dim() == D);
  nn::ParamList<double> pl;
  mix.collect("blocks/0/lstm", pl);
  CHECK(pl.find("blocks/0/lstm/weight_ih_l0") != nullptr);
  CHECK(pl.find("blocks/0/lstm/bias_hh_l1") != nullptr);
  Tensor<double> x = test::randn({B, S, D}, rng);
  const Tensor<double> y = mix.forward(x);
  NamedTensors<double> st = mix.initial_state(B);
  CHECK(st["h"].shape() == Shape{B, 2, D});
  const Index n0 = st.numel();
  Tensor<double> ys({B, S, D});
  for (Index t = 0; t < S; ++t) {
    const Tensor<double> yt = mix.step(slice_t(x, t, t + 1).reshaped({B, D}), st);
    CHECK(st.numel() == n0);
    for (Index b = 0; b < B; ++b) std::copy(yt.ptr(b), yt.ptr(b) + D, ys.ptr(b, t));
  }
  XSSM_CHECK_CLOSE(ys, y, 1e-13);
  CHECK(mix.constant_state());
  const Tensor<double> w = test::randn({B, S, D}, rng);
  mix.forward(x);
  pl.zero_grad();
  const Tensor<double> dx = mix.backward(w);
  auto loss = [&]() { return test::dot(mix.forward(x), w); };
  XSSM_CHECK_CLOSE(dx, test::numeric_grad(loss, x), 1e-7);
}
