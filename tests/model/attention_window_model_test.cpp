// attention_window in the model: JSON round trip of the config (checkpoints rebuild the window),
// transformer and infty LMs with a window: step() over a sequence = forward(), and the window
// changes the output only when it is shorter than the sequence.
#include <catch2/catch.hpp>

#include "support/compare.hpp"
#include "support/fd_check.hpp"
#include "xssm/model/lm.hpp"

using namespace xssm;

namespace {

model::ModelConfig tiny(const std::string& spec, Index window) {
  model::ModelConfig c;
  c.spec = spec;
  c.vocab_size = 11;
  c.d_model = 8;
  c.num_heads = 2;
  c.ltm_basis = 6;
  c.attention_window = window;
  return c;
}

Tensor<std::int32_t> tokens(Index B, Index S, Index V, Rng& rng) {
  Tensor<std::int32_t> t({B, S});
  for (auto& x : t) x = std::int32_t(rng.below(std::uint64_t(V)));
  return t;
}

}  // namespace

TEST_CASE("attention_window: config JSON round trip, default 0, negative rejected") {
  model::ModelConfig c = tiny("infty", 32);
  c.resolve();
  const model::ModelConfig d = model::ModelConfig::from_json(json::parse(c.to_json().dump()));
  CHECK(d.attention_window == 32);
  CHECK(d.to_json().dump() == c.to_json().dump());
  // Older checkpoints without the field load as unlimited attention.
  json::Value v = c.to_json();
  json::Value w = json::Value::object();
  for (const auto& key : {"spec", "vocab_size", "d_model", "num_heads"}) w[key] = v.at(key);
  CHECK(model::ModelConfig::from_json(w).attention_window == 0);
  c.attention_window = -1;
  CHECK_THROWS_AS(c.resolve(), UsageError);
}

TEST_CASE("windowed transformer / infty LM: step over a sequence equals forward") {
  for (const char* spec : {"transformer", "infty"}) {
    SECTION(spec) {
      const Index B = 2, S = 40, V = 11;  // S > the ∞-former's memory segment (32): the LTM is used
      Rng rng(5);
      model::LanguageModel<double> m(tiny(spec, 3)), u(tiny(spec, 0));
      m.init(rng);
      for (auto& [name, p] : m.params().items())
        for (auto& x : p->value) x += 0.1 * rng.normal();
      for (auto& [name, p] : u.params().items()) p->value = m.params()[name].value;
      const auto ids = tokens(B, S, V, rng);
      const Tensor<double> full = m.forward(ids);
      auto st = m.initial_state(B);
      Tensor<double> stepped(full.shape());
      for (Index t = 0; t < S; ++t) {
        Tensor<std::int32_t> it({B});
        for (Index b = 0; b < B; ++b) it[b] = ids.at(b, t);
        const Tensor<double> lt = m.step(it, st);
        for (Index b = 0; b < B; ++b) std::copy_n(lt.ptr(b), V, stepped.ptr(b, t));
        for (const auto& blk : st.blocks)
          for (const auto& [name, x] : blk)
            if (name == "k" || name == "v") CHECK(x.dim(2) <= 3);
      }
      XSSM_CHECK_CLOSE(stepped, full, 1e-10);
      // Unlimited attention gives a different output (the window is shorter than S) ...
      CHECK(test::rel_err(u.forward(ids), full) > 1e-6);
      // ... and the same one for a window ≥ S.
      model::LanguageModel<double> l(tiny(spec, S));
      for (auto& [name, p] : l.params().items()) p->value = m.params()[name].value;
      XSSM_CHECK_CLOSE(l.forward(ids), u.forward(ids), 1e-12);
    }
  }
}
