#include <catch2/catch.hpp>

#include "nn/grad_check.hpp"
#include "xssm/nn/embedding.hpp"

using namespace xssm;

TEST_CASE("embedding: lookup, accumulated gradient with repeated ids, FD check, errors") {
  Rng rng(1);
  nn::Embedding<double> emb(5, 3);
  nn::ParamList<double> pl;
  emb.collect("token_embedding", pl);
  CHECK(pl.find("token_embedding/weight") == &emb.weight);
  emb.init_normal(rng, 1.0);
  Tensor<std::int32_t> ids(Shape{2, 3}, std::vector<std::int32_t>{0, 4, 2, 2, 2, 1});
  Tensor<double> y = emb.forward(ids);
  REQUIRE(y.shape() == Shape{2, 3, 3});
  for (Index i = 0; i < 6; ++i)
    for (Index d = 0; d < 3; ++d) CHECK(y[i * 3 + d] == emb.weight.value.at(ids[i], d));
  Tensor<double> w = test::randn({2, 3, 3}, rng);
  auto loss = [&] { return test::dot(emb.forward(ids), w); };
  pl.zero_grad();
  emb.backward(ids, w);
  test::check_param_grads(loss, pl);
  for (Index d = 0; d < 3; ++d) CHECK(emb.weight.grad.at(3, d) == 0.0);  // unused row
  Tensor<std::int32_t> bad(Shape{2}, std::vector<std::int32_t>{1, 5});
  CHECK_THROWS_WITH(emb.forward(bad), Catch::Contains("token id 5") && Catch::Contains("[0, 5)"));
  bad[1] = -1;
  CHECK_THROWS_AS(emb.forward(bad), Error);

  nn::Embedding<float> ef(5, 3);
  ef.weight.value = emb.weight.value.cast<float>();
  const Tensor<float> yf = ef.forward(ids);
  XSSM_CHECK_CLOSE(yf, y, 1e-7);
}
