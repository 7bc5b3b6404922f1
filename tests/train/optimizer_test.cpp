#include <catch2/catch.hpp>
#include <cmath>

#include "xssm/train/lr_schedule.hpp"
#include "xssm/train/optimizer.hpp"

using namespace xssm;

TEST_CASE("adamw: matches torch.optim.AdamW (decoupled decay, bias correction, no decay group)") {
  // Reference numbers from PyTorch 1.13 torch.optim.AdamW(lr=0.01, betas=(0.9, 0.99), eps=1e-8),
  // weight_decay 0.1 on p and 0 on q, three steps with the gradients below.
  nn::Param<float> p(Shape{3}, true), q(Shape{2}, false);
  p.value = Tensor<float>(Shape{3}, {0.5f, -1.0f, 2.0f});
  q.value = Tensor<float>(Shape{2}, {0.3f, 0.7f});
  nn::ParamList<float> list;
  list.add("p", p);
  list.add("q", q);
  train::AdamW opt(list, {0.9, 0.99, 1e-8, 0.1});
  const float gp[3][3] = {{0.1f, -0.2f, 0.3f}, {0.05f, 0.4f, -0.1f}, {-0.3f, 0.2f, 0.0f}};
  const float gq[3][2] = {{1.0f, -1.0f}, {0.5f, 0.5f}, {0.0f, 2.0f}};
  for (int s = 0; s < 3; ++s) {
    for (int i = 0; i < 3; ++i) p.grad[i] = gp[s][i];
    for (int i = 0; i < 2; ++i) q.grad[i] = gq[s][i];
    opt.step(0.01);
  }
  const double want_p[3] = {0.4826563660897709, -0.9958678616915317, 1.9769141755309578};
  const double want_q[2] = {0.27343352143227656, 0.7081054811755478};
  for (int i = 0; i < 3; ++i) CHECK(std::fabs(p.value[i] - want_p[i]) < 2e-6);
  for (int i = 0; i < 2; ++i) CHECK(std::fabs(q.value[i] - want_q[i]) < 2e-6);
  CHECK(opt.steps_taken() == 3);
}

TEST_CASE("gradient norm, scaling and finiteness") {
  nn::Param<float> p(Shape{2});
  p.grad = Tensor<float>(Shape{2}, {3.0f, 4.0f});
  nn::ParamList<float> list;
  list.add("p", p);
  CHECK(train::grad_norm(list) == Approx(5.0));
  train::scale_grads(list, 0.5f);
  CHECK(train::grad_norm(list) == Approx(2.5));
  CHECK(train::grads_finite(list));
  p.grad[1] = NAN;
  CHECK_FALSE(train::grads_finite(list));
}

TEST_CASE("lr schedule: warm-up then cosine / linear / constant") {
  train::LrSchedule s;
  s.lr = 1.0;
  s.min_lr = 0.1;
  s.warmup_steps = 10;
  s.total_steps = 110;
  CHECK(s.at(0) == Approx(0.1));
  CHECK(s.at(9) == Approx(1.0));
  CHECK(s.at(10) == Approx(1.0));
  CHECK(s.at(60) == Approx(0.55));
  CHECK(s.at(110) == Approx(0.1));
  CHECK(s.at(500) == Approx(0.1));
  s.decay = "linear";
  CHECK(s.at(60) == Approx(0.55));
  CHECK(s.at(35) == Approx(0.1 + 0.9 * 0.75));
  s.decay = "constant";
  CHECK(s.at(100) == Approx(1.0));
  s.decay = "exp";
  CHECK_THROWS_AS(s.validate(), UsageError);
}
