#include "xssm/train/batcher.hpp"

#include <algorithm>
#include <numeric>

#include "xssm/core/rng.hpp"

namespace xssm::train {

Index Batch::scored() const {
  Index n = 0;
  for (std::int32_t t : targets) n += t >= 0;
  return n;
}

std::vector<Index> effective_lengths(const Tensor<std::int32_t>& targets) {
  const Index N = targets.dim(0), S = targets.dim(1);
  std::vector<Index> len(size_t(N), 1);
  for (Index i = 0; i < N; ++i)
    for (Index t = S - 1; t >= 0; --t)
      if (targets.at(i, t) >= 0) {
        len[size_t(i)] = t + 1;
        break;
      }
  return len;
}

Batch make_batch(const DataView& d, const std::vector<Index>& rows, Index length) {
  Batch b;
  b.rows = rows;
  b.length = length;
  const Index B = Index(rows.size()), S = d.length();
  b.targets = Tensor<std::int32_t>({B, length});
  const bool real = d.inputs_real != nullptr;
  const Index F = real ? d.inputs_real->dim(2) : 0;
  if (real)
    b.inputs_real = Tensor<float>({B, length, F});
  else
    b.inputs = Tensor<std::int32_t>({B, length});
  for (Index r = 0; r < B; ++r) {
    const Index i = rows[size_t(r)];
    std::copy_n(d.targets->data() + i * S, length, b.targets.data() + r * length);
    if (real)
      std::copy_n(d.inputs_real->data() + i * S * F, length * F, b.inputs_real.data() + r * length * F);
    else
      std::copy_n(d.inputs->data() + i * S, length, b.inputs.data() + r * length);
  }
  return b;
}

Batcher::Batcher(DataView data, Index batch_size, std::uint64_t seed, Index bucket_pool)
    : data_(data), batch_size_(batch_size), pool_(std::max<Index>(1, bucket_pool)), seed_(seed) {
  if (batch_size_ <= 0) throw UsageError(cat("--batch-size must be positive, got ", batch_size_));
  lengths_ = effective_lengths(*data_.targets);
  plan_epoch();
}

void Batcher::plan_epoch() {
  const Index N = data_.size();
  std::vector<Index> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), Index(0));
  Rng rng = Rng(seed_).fork(std::uint64_t(epoch_));
  rng.shuffle(order);
  plan_.clear();
  const Index pool_rows = batch_size_ * pool_;
  for (Index p = 0; p < N; p += pool_rows) {
    auto first = order.begin() + p, last = order.begin() + std::min(N, p + pool_rows);
    std::stable_sort(first, last, [&](Index a, Index b) { return lengths_[size_t(a)] < lengths_[size_t(b)]; });
    for (auto it = first; it < last; it += std::min<Index>(batch_size_, last - it))
      plan_.emplace_back(it, it + std::min<Index>(batch_size_, last - it));
  }
  rng.shuffle(plan_);
}

Batch Batcher::next() {
  if (cursor_ >= Index(plan_.size())) {
    ++epoch_;
    cursor_ = 0;
    plan_epoch();
  }
  const auto& rows = plan_[size_t(cursor_++)];
  Index len = 1;
  for (Index i : rows) len = std::max(len, lengths_[size_t(i)]);
  return make_batch(data_, rows, len);
}

void Batcher::set_state(Index epoch, Index cursor) {
  epoch_ = epoch;
  plan_epoch();
  if (cursor < 0 || cursor > Index(plan_.size()))
    throw Error(cat("sampler cursor ", cursor, " outside epoch of ", plan_.size(), " batches"));
  cursor_ = cursor;
}

std::vector<std::vector<Index>> eval_batches(const Tensor<std::int32_t>& targets, Index batch_size) {
  const auto len = effective_lengths(targets);
  std::vector<Index> order(len.size());
  std::iota(order.begin(), order.end(), Index(0));
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return len[size_t(a)] < len[size_t(b)]; });
  std::vector<std::vector<Index>> out;
  for (size_t p = 0; p < order.size(); p += size_t(batch_size))
    out.emplace_back(order.begin() + p, order.begin() + std::min(order.size(), p + size_t(batch_size)));
  return out;
}

}  // namespace xssm::train
