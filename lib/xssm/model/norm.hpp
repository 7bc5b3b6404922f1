// The two normalisations a stack uses, behind one small interface (blocks and the final norm).
#pragma once
#include <string>

#include "xssm/model/block.hpp"
#include "xssm/nn/layer_norm.hpp"
#include "xssm/nn/rms_norm.hpp"

namespace xssm::model {

template <class T>
class Norm {
 public:
  Norm(NormKind kind, Index dim) : kind_(kind), ln_(dim, false, true, 1e-5), rms_(dim, 1e-5) {}
  void collect(const std::string& prefix, nn::ParamList<T>& out) {
    if (kind_ == NormKind::RmsNorm)
      rms_.collect(prefix, out);
    else
      ln_.collect(prefix, out);
  }
  /// Official inits: xLSTM's offset weight starts at 0 (scale 1); RMSNorm's weight at 1.
  void init() {
    if (kind_ == NormKind::RmsNorm)
      rms_.weight.value.fill(T(1));
    else
      ln_.weight.value.zero();
  }
  Tensor<T> forward(const Tensor<T>& x) const {
    return kind_ == NormKind::RmsNorm ? rms_.forward(x) : ln_.forward(x);
  }
  Tensor<T> backward(const Tensor<T>& x, const Tensor<T>& dy) {
    return kind_ == NormKind::RmsNorm ? rms_.backward(x, dy) : ln_.backward(x, dy);
  }

 private:
  NormKind kind_;
  nn::LayerNorm<T> ln_;
  nn::RmsNorm<T> rms_;
};

}  // namespace xssm::model
