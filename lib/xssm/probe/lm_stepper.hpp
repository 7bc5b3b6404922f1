// The language model as a probe::Steppable. Header-only on purpose: libxssm's probe code does
// not depend on the model's implementation, only the tool (and tests) that probe a real model.
#pragma once
#include "xssm/model/lm.hpp"
#include "xssm/probe/collect.hpp"

namespace xssm::probe {

class LmStepper final : public Steppable {
 public:
  explicit LmStepper(model::LanguageModel<float>& m) : m_(m) {}
  model::ModelState<float> initial_state(Index batch) override { return m_.initial_state(batch); }
  void step(const Tensor<std::int32_t>& ids_t, model::ModelState<float>& st, std::vector<Tensor<float>>& outs) override {
    m_.step(ids_t, st, &outs);
  }
  void step_real(const Tensor<float>& x_t, model::ModelState<float>& st, std::vector<Tensor<float>>& outs) override {
    m_.step_real(x_t, st, &outs);
  }

 private:
  model::LanguageModel<float>& m_;
};

}  // namespace xssm::probe
