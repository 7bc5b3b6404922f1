// Two mixers reading the same input, outputs added: y = a(x) + b(x). The ∞-former block uses it
// to attach the continuous long-term memory to the Transformer's attention (Martins et al. 2022:
// the LTM attention output is added to the short-term attention output).
// Parameters: a's under the prefix, b's under prefix/<b_name>; state tensors: a's names, then
// b's names prefixed "<b_name>/".
#pragma once
#include <memory>
#include <string>

#include "xssm/seq/mixer.hpp"

namespace xssm::model {

template <class T>
class SumMixer : public seq::Mixer<T> {
 public:
  SumMixer(std::unique_ptr<seq::Mixer<T>> a, std::unique_ptr<seq::Mixer<T>> b, std::string b_name)
      : a_(std::move(a)), b_(std::move(b)), b_name_(std::move(b_name)) {
    XSSM_ASSERT(a_->dim() == b_->dim(), "SumMixer: widths differ");
  }
  std::string kind() const override { return a_->kind() + "+" + b_->kind(); }
  Index dim() const override { return a_->dim(); }
  void collect(const std::string& prefix, nn::ParamList<T>& out) override {
    a_->collect(prefix, out);
    b_->collect(nn::join(prefix, b_name_), out);
  }
  void init(Rng& rng, Index num_blocks, Index block_index) override {
    a_->init(rng, num_blocks, block_index);
    b_->init(rng, num_blocks, block_index);
  }
  Tensor<T> forward(const Tensor<T>& x) override {
    Tensor<T> y = a_->forward(x);
    y.vec() += b_->forward(x).vec();
    return y;
  }
  Tensor<T> backward(const Tensor<T>& dy) override {
    Tensor<T> dx = a_->backward(dy);
    dx.vec() += b_->backward(dy).vec();
    return dx;
  }
  NamedTensors<T> initial_state(Index batch) const override {
    NamedTensors<T> s = a_->initial_state(batch);
    for (auto& [name, t] : b_->initial_state(batch)) s.set(b_name_ + "/" + name, t);
    return s;
  }
  Tensor<T> step(const Tensor<T>& x_t, NamedTensors<T>& state) override {
    // Split the state by owner, step both, and put the parts back.
    NamedTensors<T> sa, sb;
    const std::string pre = b_name_ + "/";
    for (auto& [name, t] : state) {
      if (name.compare(0, pre.size(), pre) == 0)
        sb.set(name.substr(pre.size()), std::move(t));
      else
        sa.set(name, std::move(t));
    }
    Tensor<T> y = a_->step(x_t, sa);
    y.vec() += b_->step(x_t, sb).vec();
    NamedTensors<T> merged;
    for (auto& [name, t] : sa) merged.set(name, std::move(t));
    for (auto& [name, t] : sb) merged.set(pre + name, std::move(t));
    state = std::move(merged);
    return y;
  }
  bool constant_state() const override { return a_->constant_state() && b_->constant_state(); }

 private:
  std::unique_ptr<seq::Mixer<T>> a_, b_;
  std::string b_name_;
};

}  // namespace xssm::model
