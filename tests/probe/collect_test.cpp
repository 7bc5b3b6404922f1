// The probe pipeline (collect → capacity, collect → recall) driven by small linear systems in
// place of a language model, so the theory can be checked exactly.
#include <catch2/catch.hpp>
#include <Eigen/QR>

#include "xssm/core/parallel.hpp"
#include "xssm/core/rng.hpp"
#include "xssm/probe/capacity.hpp"
#include "xssm/probe/collect.hpp"
#include "xssm/probe/recall.hpp"

using namespace xssm;
using namespace xssm::probe;
using Mat = MatR<double>;

namespace {

// One block: x_t = A x_{t−1} + E[:, token] (state "x" (B,N)); output = x.
struct LinearStepper : Steppable {
  Mat A, E;
  model::ModelState<float> initial_state(Index B) override {
    model::ModelState<float> s;
    s.blocks.resize(1);
    s.blocks[0].set("x", Tensor<float>(Shape{B, A.rows()}));
    return s;
  }
  void step(const Tensor<std::int32_t>& ids, model::ModelState<float>& st, std::vector<Tensor<float>>& outs) override {
    Tensor<float>& x = st.blocks[0]["x"];
    const Index B = ids.dim(0), N = A.rows();
    Tensor<float> nx(Shape{B, N});
    for (Index b = 0; b < B; ++b) {
      VecX<double> v = A * x.mat().row(b).transpose().cast<double>() + E.col(ids[b]);
      for (Index i = 0; i < N; ++i) nx.at(b, i) = float(v[i]);
    }
    x = nx;
    outs.assign(1, nx);
  }
  void step_real(const Tensor<float>&, model::ModelState<float>&, std::vector<Tensor<float>>&) override {
    throw Error("no real inputs");
  }
};

// Outer-product memory: on a value token after a key, C += e_v k_keyᵀ; output = C k_token.
// States "C" (B,d,d) and "prev" (B,1); block output (B,d).
struct OuterProductStepper : Steppable {
  Mat K, Vv;  // (d, V) key and value embeddings
  std::int32_t V = 16;
  model::ModelState<float> initial_state(Index B) override {
    const Index d = K.rows();
    model::ModelState<float> s;
    s.blocks.resize(1);
    s.blocks[0].set("C", Tensor<float>(Shape{B, d, d}));
    s.blocks[0].set("prev", Tensor<float>(Shape{B, 1}));
    return s;
  }
  void step(const Tensor<std::int32_t>& ids, model::ModelState<float>& st, std::vector<Tensor<float>>& outs) override {
    Tensor<float>& C = st.blocks[0]["C"];
    Tensor<float>& prev = st.blocks[0]["prev"];
    const Index B = ids.dim(0), d = K.rows();
    Tensor<float> out(Shape{B, d});
    for (Index b = 0; b < B; ++b) {
      const std::int32_t tok = ids[b], p = std::int32_t(prev[b]);
      auto Cb = MatMap<float>(C.ptr(b), d, d);
      if (tok >= V / 2 && p >= 1 && p < V / 2) Cb += (Vv.col(tok) * K.col(p).transpose()).cast<float>();
      const VecX<float> r = Cb * K.col(tok).cast<float>();
      for (Index i = 0; i < d; ++i) out.at(b, i) = r[i];
      prev[b] = float(tok);
    }
    outs.assign(1, out);
  }
  void step_real(const Tensor<float>&, model::ModelState<float>&, std::vector<Tensor<float>>&) override {
    throw Error("no real inputs");
  }
};

Mat randn(Index r, Index c, Rng& rng) {
  Mat m(r, c);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  return m;
}

}  // namespace

TEST_CASE("collect: block outputs and named states at chosen positions") {
  Rng rng(71);
  LinearStepper m;
  m.A = 0.5 * Mat::Identity(3, 3);
  m.E = randn(3, 4, rng);
  Tensor<std::int32_t> ids(Shape{5, 6});
  for (Index i = 0; i < ids.size(); ++i) ids[i] = std::int32_t(rng.below(4));
  CollectOptions opt;
  opt.positions = {1, 4};
  opt.batch = 2;  // ragged last batch
  const Collected c = collect(m, ids, opt);
  REQUIRE(c.sources.size() == 2);
  CHECK(c.sources[0].name == "blocks/0/output");
  CHECK(!c.sources[0].is_state);
  CHECK(c.sources[1].name == "blocks/0/x");
  CHECK(c.sources[1].numel == 3);
  REQUIRE(c.features[1].shape() == Shape{5, 2, 3});
  // Sequence 4, position 4, by hand.
  VecX<double> x = VecX<double>::Zero(3);
  for (Index t = 0; t <= 4; ++t) x = m.A * x + m.E.col(ids.at(4, t));
  for (Index i = 0; i < 3; ++i) CHECK(c.features[1].at(4, 1, i) == Approx(x[i]).epsilon(1e-5));
}

TEST_CASE("collect + capacity: token memory of a linear state stays within its dimension") {
  const Index N = 5, V = 4;
  Rng rng(81);
  LinearStepper m;
  Eigen::HouseholderQR<Mat> qr(randn(N, N, rng));
  m.A = 0.8 * Mat(qr.householderQ());
  m.E = randn(N, V, rng);
  Tensor<std::int32_t> ids(Shape{40, 150});
  for (Index i = 0; i < ids.size(); ++i) ids[i] = std::int32_t(rng.below(V));
  const Collected c = collect(m, ids, CollectOptions{});
  CapacityOptions opt;
  opt.max_delay = 40;
  opt.washout = 20;
  const auto u = token_channels(ids, V);
  set_threads(1);
  const auto res = memory_capacity(c.features[1], u, opt);
  INFO("MC = " << res.mc);
  CHECK(res.mc <= double(N) + 0.2);
  CHECK(res.mc > double(N) - 1.0);
  set_threads(2);
  CHECK(memory_capacity(c.features[1], u, opt).r2 == res.r2);
}

TEST_CASE("recall: an outer-product memory recalls bindings, less well as pairs pile up") {
  const std::int32_t V = 16;  // keys 1..7, values 8..15
  const Index P = 7, S = 4 * P, N = 300, d = 6;
  Rng rng(91);
  OuterProductStepper m;
  m.V = V;
  m.K = randn(d, V, rng);
  m.K.colwise().normalize();
  m.Vv = randn(d, V, rng);
  Tensor<std::int32_t> ids(Shape{N, S}), targets(Shape{N, S}, -1);
  for (Index n = 0; n < N; ++n) {
    auto keys = rng.sample_without_replacement(V / 2 - 1, P);
    auto vals = rng.sample_without_replacement(V / 2, P);
    for (Index j = 0; j < P; ++j) {
      ids.at(n, 2 * j) = std::int32_t(1 + keys[size_t(j)]);
      ids.at(n, 2 * j + 1) = std::int32_t(V / 2 + vals[size_t(j)]);
      ids.at(n, 2 * P + 2 * j) = ids.at(n, 2 * j);  // queries in order, filler after
      targets.at(n, 2 * P + 2 * j) = ids.at(n, 2 * j + 1);
    }
  }
  const MqarLayout L = mqar_layout(ids, targets);
  CHECK(L.max_pairs == P);
  RecallOptions opt;
  opt.pair_counts = {1, 2, 4, 7};
  const RecallResult r = recall_probe(m, ids, L, opt);
  REQUIRE(r.sources.size() == 3);
  CHECK(r.sources[0].name == "blocks/0/output");
  const auto& acc = r.accuracy[0];
  INFO("accuracy " << acc[0] << " " << acc[1] << " " << acc[2] << " " << acc[3]);
  CHECK(acc[0] > 0.95);
  CHECK(acc[3] < acc[0] - 0.1);
  for (double c : r.chance) CHECK(c < 0.3);
  // A wrong binding in the queries is refused.
  targets.at(0, 2 * P) = targets.at(0, 2 * P) == V - 1 ? V - 2 : V - 1;
  if (targets.at(0, 2 * P) != ids.at(0, 1)) CHECK_THROWS_AS(mqar_layout(ids, targets), Error);
}
