#include "xssm/train/evaluate.hpp"

#include <cmath>

namespace xssm::train {

namespace {

/// Scores one (B?,V) row block: adds −log softmax[target] and correctness per scored position.
struct Scorer {
  EvalResult& r;
  const std::vector<Index>& lengths;
  std::vector<char> seq_ok;
  double loss_sum = 0;
  void row(const float* logits, Index V, std::int32_t target, Index seq, Index t) {
    if (target < 0) return;
    if (target >= V) throw Error(cat("target ", target, " outside the model's vocabulary of ", V));
    float mx = logits[0];
    Index arg = 0;
    for (Index v = 1; v < V; ++v)
      if (logits[v] > mx) mx = logits[v], arg = v;
    double s = 0;
    for (Index v = 0; v < V; ++v) s += std::exp(double(logits[v]) - mx);
    loss_sum += std::log(s) + mx - double(logits[target]);
    const bool ok = arg == target;
    r.scored += 1;
    r.accuracy += ok;
    r.pos_correct[size_t(t)] += ok;
    r.pos_count[size_t(t)] += 1;
    r.len_correct[size_t(lengths[size_t(seq)])] += ok;
    r.len_count[size_t(lengths[size_t(seq)])] += 1;
    if (!ok) seq_ok[size_t(seq)] = 0;
  }
};

}  // namespace

EvalResult evaluate(model::LanguageModel<float>& m, const DataView& data, const EvalOptions& opt,
                    const LogitsHook& on_logits, const StepHook& on_step) {
  const Index N = data.size(), S = data.length(), V = m.vocab_size();
  EvalResult r;
  r.sequences = N;
  r.pos_correct.assign(size_t(S), 0);
  r.pos_count.assign(size_t(S), 0);
  r.len_correct.assign(size_t(S + 1), 0);
  r.len_count.assign(size_t(S + 1), 0);
  r.seq_len_correct.assign(size_t(S + 1), 0);
  r.seq_len_count.assign(size_t(S + 1), 0);
  const auto lengths = effective_lengths(*data.targets);
  Scorer sc{r, lengths, std::vector<char>(size_t(N), 1)};
  const bool real = data.inputs_real != nullptr;

  for (const auto& rows : eval_batches(*data.targets, opt.batch_size)) {
    Index L = 1;
    for (Index i : rows) L = std::max(L, lengths[size_t(i)]);
    const Batch b = make_batch(data, rows, L);
    const Index B = Index(rows.size());
    const bool step_mode = opt.force_step || (opt.max_parallel_len > 0 && L > opt.max_parallel_len);
    Tensor<float> logits;
    if (!step_mode) {
      logits = real ? m.forward_real(b.inputs_real) : m.forward(b.inputs);
      for (Index j = 0; j < B; ++j)
        for (Index t = 0; t < L; ++t) sc.row(logits.ptr(j, t), V, b.targets.at(j, t), rows[size_t(j)], t);
    } else {
      r.step_mode_sequences += B;
      auto state = m.initial_state(B);
      if (on_logits) logits = Tensor<float>({B, L, V});
      for (Index t = 0; t < L; ++t) {
        Tensor<float> lt;
        if (real) {
          const Index F = b.inputs_real.dim(2);
          Tensor<float> xt({B, F});
          for (Index j = 0; j < B; ++j) std::copy_n(b.inputs_real.ptr(j, t), F, xt.ptr(j));
          lt = m.step_real(xt, state);
        } else {
          Tensor<std::int32_t> it({B});
          for (Index j = 0; j < B; ++j) it[j] = b.inputs.at(j, t);
          lt = m.step(it, state);
        }
        for (Index j = 0; j < B; ++j) sc.row(lt.ptr(j), V, b.targets.at(j, t), rows[size_t(j)], t);
        if (on_logits)
          for (Index j = 0; j < B; ++j) std::copy_n(lt.ptr(j), V, logits.ptr(j, t));
        if (on_step) on_step(b, t, lt, state);
      }
    }
    if (on_logits) on_logits(b, logits);
  }
  // Per-length statistics from the per-sequence results.
  for (Index i = 0; i < N; ++i) {
    const Index len = lengths[size_t(i)];
    Index scored = 0;
    for (Index t = 0; t < S; ++t) scored += data.targets->at(i, t) >= 0;
    if (scored == 0) continue;
    r.seq_len_count[size_t(len)] += 1;
    r.seq_len_correct[size_t(len)] += sc.seq_ok[size_t(i)];
    r.seq_accuracy += sc.seq_ok[size_t(i)];
  }
  Index with_scores = 0;
  for (double c : r.seq_len_count) with_scores += Index(c);
  r.loss = r.scored ? sc.loss_sum / double(r.scored) : 0.0;
  r.accuracy = r.scored ? r.accuracy / double(r.scored) : 0.0;
  r.seq_accuracy = with_scores ? r.seq_accuracy / double(with_scores) : 0.0;
  return r;
}

}  // namespace xssm::train
