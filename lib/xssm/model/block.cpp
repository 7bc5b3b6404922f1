#include "xssm/model/block.hpp"

#include "xssm/model/norm.hpp"
#include "xssm/nn/gated_ffn.hpp"
#include "xssm/nn/linear.hpp"

namespace xssm::model {

template <class T>
struct Block<T>::Impl {
  Norm<T> norm, ffn_norm;
  nn::GatedFfn<T> gated;
  nn::SwiGlu<T> swiglu;
  // Kept by forward for backward.
  Tensor<T> x, x1;
  Impl(const BlockLayout& l, Index D)
      : norm(l.norm, D),
        ffn_norm(l.norm, D),
        gated(l.ffn == FfnKind::GatedGelu ? D : 1, l.ffn == FfnKind::GatedGelu ? l.ffn_hidden : 1),
        swiglu(l.ffn == FfnKind::SwiGlu ? D : 1, l.ffn == FfnKind::SwiGlu ? l.ffn_hidden : 1) {}
};

template <class T>
Block<T>::Block(BlockKind kind, BlockLayout layout, std::unique_ptr<seq::Mixer<T>> mixer)
    : kind_(kind), layout_(std::move(layout)), mixer_(std::move(mixer)) {
  XSSM_ASSERT(mixer_, "block without a mixer");
  if (layout_.ffn != FfnKind::None && layout_.ffn_hidden <= 0)
    throw Error(cat("block feed-forward needs a positive hidden size, got ", layout_.ffn_hidden));
  impl_ = std::make_unique<Impl>(layout_, mixer_->dim());
}

template <class T>
Block<T>::~Block() = default;
template <class T>
Block<T>::Block(Block&&) noexcept = default;

template <class T>
void Block<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  impl_->norm.collect(nn::join(prefix, layout_.norm_name), out);
  mixer_->collect(nn::join(prefix, layout_.mixer_name), out);
  if (layout_.ffn == FfnKind::None) return;
  impl_->ffn_norm.collect(nn::join(prefix, layout_.ffn_norm_name), out);
  if (layout_.ffn == FfnKind::GatedGelu)
    impl_->gated.collect(nn::join(prefix, layout_.ffn_name), out);
  else
    impl_->swiglu.collect(nn::join(prefix, layout_.ffn_name), out);
}

template <class T>
void Block<T>::init(Rng& rng, Index num_blocks, Index block_index) {
  impl_->norm.init();
  impl_->ffn_norm.init();
  mixer_->init(rng, num_blocks, block_index);
  const Index D = dim();
  if (layout_.ffn == FfnKind::GatedGelu) {
    // xLSTM: proj_up small_init N(0, sqrt(2/(5D))), proj_down wang_init N(0, 2/(num_blocks·sqrt(D))).
    impl_->gated.proj_up.init_normal(rng, nn::small_init_std(D));
    impl_->gated.proj_down.init_normal(rng, nn::wang_init_std(D, num_blocks));
  } else if (layout_.ffn == FfnKind::SwiGlu) {
    // Llama-style: N(0, 0.02), output projection scaled by 1/sqrt(2·num_blocks) (GPT-2).
    impl_->swiglu.w1.init_normal(rng, 0.02);
    impl_->swiglu.w3.init_normal(rng, 0.02);
    impl_->swiglu.w2.init_normal(rng, 0.02 / std::sqrt(2.0 * double(num_blocks)));
  }
}

template <class T>
Tensor<T> Block<T>::forward(const Tensor<T>& x) {
  Impl& m = *impl_;
  m.x = x;
  // x₁ = x + mixer(norm(x))
  Tensor<T> x1 = mixer_->forward(m.norm.forward(x));
  x1.vec() += x.vec();
  if (layout_.ffn == FfnKind::None) return x1;
  // y = x₁ + ffn(ffn_norm(x₁))
  m.x1 = x1;
  const Tensor<T> u = m.ffn_norm.forward(x1);
  Tensor<T> y = layout_.ffn == FfnKind::GatedGelu ? m.gated.forward(u) : m.swiglu.forward(u);
  y.vec() += x1.vec();
  return y;
}

template <class T>
Tensor<T> Block<T>::backward(const Tensor<T>& dy) {
  Impl& m = *impl_;
  Tensor<T> dx1 = dy;
  if (layout_.ffn != FfnKind::None) {
    // Recompute the FFN input (cheaper to store? one (B,S,D) tensor; recomputing keeps memory flat).
    const Tensor<T> u = m.ffn_norm.forward(m.x1);
    const Tensor<T> du = layout_.ffn == FfnKind::GatedGelu ? m.gated.backward(u, dy) : m.swiglu.backward(u, dy);
    dx1.vec() += m.ffn_norm.backward(m.x1, du).vec();
  }
  Tensor<T> dx = m.norm.backward(m.x, mixer_->backward(dx1));
  dx.vec() += dx1.vec();
  return dx;
}

template <class T>
Tensor<T> Block<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  Impl& m = *impl_;
  Tensor<T> x1 = mixer_->step(m.norm.forward(x_t), state);
  x1.vec() += x_t.vec();
  if (layout_.ffn == FfnKind::None) return x1;
  const Tensor<T> u = m.ffn_norm.forward(x1);
  Tensor<T> y = layout_.ffn == FfnKind::GatedGelu ? m.gated.forward(u) : m.swiglu.forward(u);
  y.vec() += x1.vec();
  return y;
}

template class Block<float>;
template class Block<double>;

}  // namespace xssm::model
