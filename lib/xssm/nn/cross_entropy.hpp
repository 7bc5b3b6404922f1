// Mean cross-entropy of logits against integer targets (natural log), with the gradient.
//   loss = (1/n) Σ_{scored i} [logsumexp(logits[i, :]) − logits[i, targets[i]]]
//   dlogits[i, :] = (softmax(logits[i, :]) − onehot(targets[i])) / n   (0 for ignored rows)
// Targets of −1 are ignored; n = number of scored rows. Stable log-sum-exp (max subtracted).
#pragma once
#include <cstdint>

#include "xssm/core/tensor.hpp"

namespace xssm::nn {

/// logits (N, V) (or any (…, V) with targets (…)); targets in [0, V) or −1 (ignored).
/// dlogits, when non-null, is overwritten (resized to logits' shape). n_scored / n_correct, when
/// non-null, receive the number of scored rows and of scored rows whose (first) argmax is the
/// target. With nothing scored the loss is 0 and dlogits all zero. Throws xssm::Error for a target
/// outside [−1, V) or mismatched shapes.
template <class T>
T cross_entropy(const Tensor<T>& logits, const Tensor<std::int32_t>& targets, Tensor<T>* dlogits,
                Index* n_scored = nullptr, Index* n_correct = nullptr);

}  // namespace xssm::nn
