#include "xssm/model/lm.hpp"

#include <cmath>

#include "xssm/model/block.hpp"
#include "xssm/model/norm.hpp"
#include "xssm/model/registry.hpp"
#include "xssm/nn/embedding.hpp"
#include "xssm/nn/linear.hpp"

namespace xssm::model {

template <class T>
struct LanguageModel<T>::Impl {
  nn::Embedding<T> embedding;  // token inputs
  nn::Linear<T> input_proj;    // real-valued inputs (input_dim > 0)
  std::vector<Block<T>> blocks;
  Norm<T> post_norm;
  nn::Linear<T> head;  // unused when tied to the embedding
  bool tied = false, real = false;
  // Kept by forward for backward.
  Tensor<std::int32_t> ids;
  Tensor<T> x_real, pre_norm, h;

  Impl(const ModelConfig& c)
      : embedding(c.input_dim > 0 ? 1 : c.vocab_size, c.d_model),
        input_proj(c.input_dim > 0 ? c.input_dim : 1, c.d_model, true),
        post_norm(final_norm_kind(c), c.d_model),
        head(c.d_model, c.vocab_size, false),
        tied(c.tie_embeddings && c.input_dim == 0),
        real(c.input_dim > 0) {}

  /// logits = h Wᵀ with W the head (or the tied embedding) (V,D).
  const Tensor<T>& head_weight() const { return tied ? embedding.weight.value : head.weight.value; }
  Tensor<T> logits(const Tensor<T>& hidden) const {
    if (!tied) return head.forward(hidden);
    const Index D = hidden.dim(-1), N = hidden.size() / D, V = embedding.weight.value.dim(0);
    Shape s = hidden.shape();
    s.back() = V;
    Tensor<T> out(s);
    out.mat(N, V).noalias() = hidden.mat(N, D) * embedding.weight.value.mat().transpose();
    return out;
  }
  /// Blocks then final norm: (B,S,D) → hidden (B,S,D).
  Tensor<T> trunk(Tensor<T> x) {
    for (auto& b : blocks) x = b.forward(x);
    pre_norm = x;
    h = post_norm.forward(x);
    return h;
  }
  Tensor<T> step_trunk(Tensor<T> x, ModelState<T>& st, std::vector<Tensor<T>>* outs) {
    XSSM_ASSERT(st.blocks.size() == blocks.size(), "model state has ", st.blocks.size(),
                " blocks, model has ", blocks.size());
    if (outs) outs->clear();
    for (size_t i = 0; i < blocks.size(); ++i) {
      x = blocks[i].step(x, st.blocks[i]);
      if (outs) outs->push_back(x);
    }
    return logits(post_norm.forward(x));
  }
};

template <class T>
LanguageModel<T>::LanguageModel(ModelConfig cfg) : cfg_(std::move(cfg)) {
  cfg_.resolve();
  if (cfg_.input_dim == 0 && cfg_.vocab_size <= 0)
    throw UsageError("model needs a vocabulary size (or input_dim for real-valued inputs)");
  if (cfg_.vocab_size <= 0) throw UsageError("model needs an output vocabulary size");
  impl_ = std::make_unique<Impl>(cfg_);
  for (Index i = 0; i < cfg_.num_blocks; ++i) impl_->blocks.push_back(make_block<T>(cfg_, i));
  if (impl_->real)
    impl_->input_proj.collect("input_proj", params_);
  else
    impl_->embedding.collect("token_embedding", params_);
  for (Index i = 0; i < cfg_.num_blocks; ++i) impl_->blocks[size_t(i)].collect(cat("blocks/", i), params_);
  impl_->post_norm.collect("post_blocks_norm", params_);
  if (!impl_->tied) impl_->head.collect("lm_head", params_);
}

template <class T>
LanguageModel<T>::~LanguageModel() = default;
template <class T>
LanguageModel<T>::LanguageModel(LanguageModel&&) noexcept = default;

template <class T>
Index LanguageModel<T>::num_blocks() const {
  return Index(impl_->blocks.size());
}
template <class T>
Block<T>& LanguageModel<T>::block(Index i) {
  return impl_->blocks.at(size_t(i));
}

template <class T>
void LanguageModel<T>::init(Rng& rng) {
  const Index D = cfg_.d_model, n = num_blocks();
  // xLSTM family: small_init N(0, sqrt(2/(5D))) for embedding and head; Mamba/Llama: N(0, 0.02).
  const bool xlstm_like = final_norm_kind(cfg_) == NormKind::LayerNormOffset;
  const double std_in = xlstm_like ? std::sqrt(2.0 / (5.0 * double(D))) : 0.02;
  impl_->embedding.weight.value.zero();
  for (T& w : impl_->embedding.weight.value) w = T(rng.normal() * std_in);
  impl_->input_proj.init_normal(rng, 1.0 / std::sqrt(double(std::max<Index>(cfg_.input_dim, 1))));
  for (Index i = 0; i < n; ++i) impl_->blocks[size_t(i)].init(rng, n, i);
  impl_->post_norm.init();
  impl_->head.init_normal(rng, std_in);
}

template <class T>
Tensor<T> LanguageModel<T>::forward(const Tensor<std::int32_t>& ids) {
  if (impl_->real) throw UsageError("this model takes real-valued inputs (input_dim > 0), not tokens");
  impl_->ids = ids;
  return impl_->logits(impl_->trunk(impl_->embedding.forward(ids)));
}

template <class T>
Tensor<T> LanguageModel<T>::forward_real(const Tensor<T>& x) {
  if (!impl_->real) throw UsageError("this model takes tokens, not real-valued inputs");
  impl_->x_real = x;
  return impl_->logits(impl_->trunk(impl_->input_proj.forward(x)));
}

template <class T>
void LanguageModel<T>::backward(const Tensor<T>& dlogits) {
  Impl& m = *impl_;
  const Index D = cfg_.d_model, N = m.h.size() / D, V = dlogits.dim(-1);
  Tensor<T> dh;
  if (m.tied) {
    // logits = h Eᵀ: dE += dlogitsᵀ h, dh = dlogits E.
    m.embedding.weight.grad.mat().noalias() += dlogits.mat(N, V).transpose() * m.h.mat(N, D);
    dh = Tensor<T>(m.h.shape());
    dh.mat(N, D).noalias() = dlogits.mat(N, V) * m.embedding.weight.value.mat();
  } else {
    dh = m.head.backward(m.h, dlogits);
  }
  Tensor<T> dx = m.post_norm.backward(m.pre_norm, dh);
  for (auto it = m.blocks.rbegin(); it != m.blocks.rend(); ++it) dx = it->backward(dx);
  if (m.real)
    m.input_proj.backward(m.x_real, dx);
  else
    m.embedding.backward(m.ids, dx);
}

template <class T>
ModelState<T> LanguageModel<T>::initial_state(Index batch) const {
  ModelState<T> s;
  for (auto& b : impl_->blocks) s.blocks.push_back(b.initial_state(batch));
  return s;
}

template <class T>
Tensor<T> LanguageModel<T>::step(const Tensor<std::int32_t>& ids_t, ModelState<T>& state,
                                 std::vector<Tensor<T>>* block_outputs) {
  if (impl_->real) throw UsageError("this model takes real-valued inputs (input_dim > 0), not tokens");
  return impl_->step_trunk(impl_->embedding.forward(ids_t), state, block_outputs);
}

template <class T>
Tensor<T> LanguageModel<T>::step_real(const Tensor<T>& x_t, ModelState<T>& state,
                                      std::vector<Tensor<T>>* block_outputs) {
  if (!impl_->real) throw UsageError("this model takes tokens, not real-valued inputs");
  return impl_->step_trunk(impl_->input_proj.forward(x_t), state, block_outputs);
}

template <class T>
bool LanguageModel<T>::constant_state() const {
  for (auto& b : impl_->blocks)
    if (!const_cast<Block<T>&>(b).mixer().constant_state()) return false;
  return true;
}

template class LanguageModel<float>;
template class LanguageModel<double>;

}  // namespace xssm::model
