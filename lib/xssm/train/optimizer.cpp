#include "xssm/train/optimizer.hpp"

#include <cmath>

#include "xssm/core/parallel.hpp"

namespace xssm::train {

AdamW::AdamW(nn::ParamList<float>& params, AdamWConfig cfg) : params_(params), cfg_(cfg) {
  for (auto& it : params_.items()) {
    m_.emplace_back(it.second->value.shape());
    v_.emplace_back(it.second->value.shape());
  }
}

Tensor<float>& AdamW::m(const std::string& name) {
  for (size_t i = 0; i < params_.items().size(); ++i)
    if (params_.items()[i].first == name) return m_[i];
  throw Error(cat("optimizer: no parameter named '", name, "'"));
}
Tensor<float>& AdamW::v(const std::string& name) {
  for (size_t i = 0; i < params_.items().size(); ++i)
    if (params_.items()[i].first == name) return v_[i];
  throw Error(cat("optimizer: no parameter named '", name, "'"));
}

void AdamW::step(double lr) {
  ++t_;
  const double b1 = cfg_.beta1, b2 = cfg_.beta2;
  const double c1 = 1.0 / (1.0 - std::pow(b1, double(t_)));
  const double c2 = 1.0 / (1.0 - std::pow(b2, double(t_)));
  auto& items = params_.items();
  parallel_for(Index(items.size()), [&](Index pi) {
    nn::Param<float>& p = *items[size_t(pi)].second;
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* m = m_[size_t(pi)].data();
    float* v = v_[size_t(pi)].data();
    const float decay = p.decay ? float(1.0 - lr * cfg_.weight_decay) : 1.0f;
    const float fb1 = float(b1), fb2 = float(b2), flr = float(lr), fc1 = float(c1), fc2 = float(c2),
                feps = float(cfg_.eps);
    for (Index i = 0, n = p.value.size(); i < n; ++i) {
      m[i] = fb1 * m[i] + (1 - fb1) * g[i];
      v[i] = fb2 * v[i] + (1 - fb2) * g[i] * g[i];
      w[i] = w[i] * decay - flr * (m[i] * fc1) / (std::sqrt(v[i] * fc2) + feps);
    }
  });
}

void sgd_update(const std::vector<std::pair<std::string, nn::Param<float>*>>& params, double lr,
                double weight_decay) {
  for (auto& it : params) {
    nn::Param<float>& p = *it.second;
    const float decay = p.decay ? float(1.0 - lr * weight_decay) : 1.0f;
    for (Index i = 0; i < p.value.size(); ++i) p.value[i] = p.value[i] * decay - float(lr) * p.grad[i];
  }
}

double grad_norm(const nn::ParamList<float>& params) {
  double s = 0;
  for (auto& it : params.items())
    for (float g : it.second->grad) s += double(g) * double(g);
  return std::sqrt(s);
}

void scale_grads(nn::ParamList<float>& params, float s) {
  for (auto& it : params.items())
    for (float& g : it.second->grad) g *= s;
}

bool grads_finite(const nn::ParamList<float>& params) {
  for (auto& it : params.items())
    for (float g : it.second->grad)
      if (!std::isfinite(g)) return false;
  return true;
}

}  // namespace xssm::train
