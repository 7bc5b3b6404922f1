#include "xssm/train/trainer.hpp"

#include <chrono>
#include <cmath>

#include "xssm/core/log.hpp"
#include "xssm/core/progress.hpp"
#include "xssm/nn/cross_entropy.hpp"
#include "xssm/train/evaluate.hpp"

namespace xssm::train {

namespace {

/// Loss and gradient of one micro-batch: mean cross-entropy over its scored positions, scaled by
/// 1/accumulate so that the accumulated gradient is the mean over micro-batches.
struct MicroResult {
  double loss = 0;
  Index scored = 0, correct = 0, tokens = 0;
};

MicroResult micro_step(model::LanguageModel<float>& m, const Batch& b, Index accumulate) {
  const bool real = !b.inputs_real.empty();
  Tensor<float> logits = real ? m.forward_real(b.inputs_real) : m.forward(b.inputs);
  const Index V = logits.dim(-1), N = logits.size() / V;
  Tensor<float> dlogits;
  Index scored = 0, correct = 0;
  const Tensor<std::int32_t> tg = b.targets.reshaped({N});
  const float loss = nn::cross_entropy(logits.reshaped({N, V}), tg, &dlogits, &scored, &correct);
  if (accumulate > 1) dlogits.vec() *= 1.0f / float(accumulate);
  dlogits.reshape(logits.shape());
  m.backward(dlogits);
  return {double(loss), scored, correct, b.targets.size()};
}

std::string fmt(double v, int prec = 4) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", prec, v);
  return buf;
}

}  // namespace

TrainEnd train(TrainContext& ctx, const TrainerOptions& opt, AdamW& optimizer, TrainState& st) {
  model::LanguageModel<float>& m = *ctx.model;
  LrSchedule sched = opt.lr;
  sched.total_steps = opt.steps;
  sched.validate();
  if (opt.accumulate <= 0) throw UsageError(cat("--accumulate must be positive, got ", opt.accumulate));
  Batcher batcher(ctx.train, opt.batch_size, opt.seed, opt.bucket_pool);
  batcher.set_state(st.epoch, st.cursor);
  const bool to_stdout = ctx.out_path == "-";

  auto save = [&]() {
    st.epoch = batcher.epoch();
    st.cursor = batcher.cursor();
    save_checkpoint(ctx.out_path, m, &optimizer, st, ctx.config);
  };
  auto validate = [&]() -> double {
    if (!ctx.valid.targets) return -1;
    EvalOptions eo;
    eo.batch_size = std::max<Index>(opt.batch_size, 32);
    const EvalResult r = evaluate(m, ctx.valid, eo);
    st.log.valid_step.push_back(double(st.step));
    st.log.valid_loss.push_back(r.loss);
    st.log.valid_accuracy.push_back(r.accuracy);
    log::info("step ", st.step, ": validation loss ", fmt(r.loss), " accuracy ", fmt(r.accuracy));
    return r.accuracy;
  };

  Progress bar("train", opt.steps);
  auto t_last = std::chrono::steady_clock::now();
  Index tokens_since = 0;
  double loss_acc = 0, scored_acc = 0, correct_acc = 0;
  Index steps_acc = 0;
  TrainEnd end = TrainEnd::Done;

  while (st.step < opt.steps) {
    if (ctx.should_stop && ctx.should_stop()) {
      end = TrainEnd::Stopped;
      break;
    }
    const double lr = sched.at(st.step);
    m.params().zero_grad();
    double loss = 0;
    Index scored = 0, correct = 0;
    for (Index a = 0; a < opt.accumulate; ++a) {
      const Batch b = batcher.next();
      const MicroResult r = micro_step(m, b, opt.accumulate);
      loss += r.loss / double(opt.accumulate);
      scored += r.scored;
      correct += r.correct;
      tokens_since += r.tokens;
      st.tokens_seen += r.tokens;
    }
    if (!std::isfinite(loss))
      throw Error(cat("loss is ", loss, " at step ", st.step,
                      "; stopped without saving (the last checkpoint written is kept). Try a lower --lr"));
    if (!grads_finite(m.params()))
      throw Error(cat("non-finite gradient at step ", st.step,
                      "; stopped without saving (the last checkpoint written is kept). Try a lower --lr"));
    const double gn = grad_norm(m.params());
    if (opt.clip > 0 && gn > opt.clip) scale_grads(m.params(), float(opt.clip / gn));
    if (opt.lomo) {
      std::vector<std::pair<std::string, nn::Param<float>*>> all(m.params().items().begin(), m.params().items().end());
      sgd_update(all, lr, opt.adamw.weight_decay);
    } else {
      optimizer.step(lr);
    }
    ++st.step;
    loss_acc += loss;
    scored_acc += double(scored);
    correct_acc += double(correct);
    ++steps_acc;

    const bool last = st.step == opt.steps;
    if (st.step % std::max<Index>(1, opt.log_every) == 0 || last) {
      const auto now = std::chrono::steady_clock::now();
      const double secs = std::chrono::duration<double>(now - t_last).count();
      const double tps = secs > 0 ? double(tokens_since) / secs : 0;
      const double acc = scored_acc > 0 ? correct_acc / scored_acc : 0;
      st.log.step.push_back(double(st.step));
      st.log.loss.push_back(loss_acc / double(steps_acc));
      st.log.accuracy.push_back(acc);
      st.log.lr.push_back(lr);
      st.log.grad_norm.push_back(gn);
      st.log.tokens_per_s.push_back(tps);
      bar.update(st.step, cat("loss ", fmt(loss_acc / double(steps_acc)), " acc ", fmt(acc, 3), " lr ",
                              fmt(lr, 3), " ", Index(tps), " tok/s"));
      t_last = now;
      tokens_since = 0;
      loss_acc = scored_acc = correct_acc = 0;
      steps_acc = 0;
    }
    if (opt.valid_every > 0 && st.step % opt.valid_every == 0 && !last) {
      const double va = validate();
      if (opt.stop_accuracy > 0 && va >= opt.stop_accuracy) {
        log::info("validation accuracy ", fmt(va), " ≥ ", fmt(opt.stop_accuracy), ": stopping early");
        end = TrainEnd::EarlyStop;
        break;
      }
    }
    if (!to_stdout && opt.checkpoint_every > 0 && st.step % opt.checkpoint_every == 0 && !last) save();
  }
  bar.finish();
  if (end == TrainEnd::Done) validate();
  save();
  return end;
}

}  // namespace xssm::train
