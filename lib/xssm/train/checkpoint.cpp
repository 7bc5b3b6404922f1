#include "xssm/train/checkpoint.hpp"

#include "xssm/model/load.hpp"

namespace xssm::train {

namespace {

struct Curve {
  const char* name;
  std::vector<double> TrainLog::*field;
  const char* x_label;
  const char* y_label;
  const char* units;
};
const Curve kCurves[] = {
    {"step", &TrainLog::step, "step", "step", "steps"},
    {"loss", &TrainLog::loss, "step", "training loss", "nats/token"},
    {"accuracy", &TrainLog::accuracy, "step", "training accuracy", "fraction"},
    {"lr", &TrainLog::lr, "step", "learning rate", ""},
    {"grad_norm", &TrainLog::grad_norm, "step", "gradient norm (before clipping)", ""},
    {"tokens_per_s", &TrainLog::tokens_per_s, "step", "throughput", "tokens/s"},
    {"valid_step", &TrainLog::valid_step, "step", "step", "steps"},
    {"valid_loss", &TrainLog::valid_loss, "valid_step", "validation loss", "nats/token"},
    {"valid_accuracy", &TrainLog::valid_accuracy, "valid_step", "validation accuracy", "fraction"},
};

Tensor<double> to_tensor(const std::vector<double>& v) { return Tensor<double>({Index(v.size())}, v); }

}  // namespace

void save_checkpoint(const std::string& path, model::LanguageModel<float>& m, AdamW* optimizer,
                     const TrainState& st, const json::Value& train_config) {
  io::H5File f = io::H5File::create(path);
  io::write_header(f, "checkpoint/1", train_config);
  f.set_attr("/", "model", m.config().spec);
  f.set_attr("/", "model_config", m.config().to_json().dump());
  f.set_attr("/", "step", std::int64_t(st.step));
  f.set_attr("/", "tokens_seen", std::int64_t(st.tokens_seen));
  model::write_params(f, m.params());
  if (optimizer) {
    f.create_group("/optimizer");
    f.set_attr("/optimizer", "steps", std::int64_t(optimizer->steps_taken()));
    for (auto& [name, p] : m.params().items()) {
      f.write("/optimizer/" + name + "/m", optimizer->m(name));
      f.write("/optimizer/" + name + "/v", optimizer->v(name));
    }
  }
  f.create_group("/sampler");
  f.set_attr("/sampler", "epoch", std::int64_t(st.epoch));
  f.set_attr("/sampler", "cursor", std::int64_t(st.cursor));
  f.create_group("/log");
  for (const Curve& c : kCurves) {
    const std::string ds = std::string("/log/") + c.name;
    f.write(ds, to_tensor(st.log.*(c.field)));
    f.set_attr(ds, "x_label", c.x_label);
    f.set_attr(ds, "y_label", c.y_label);
    f.set_attr(ds, "units", c.units);
  }
  f.commit();
}

void load_checkpoint(const io::H5File& f, model::LanguageModel<float>& m, AdamW* optimizer, TrainState& st) {
  io::expect_format(f, "checkpoint/1");
  model::read_params(f, m.params());
  st.step = f.attr_int("/", "step");
  st.tokens_seen = f.attr_int("/", "tokens_seen");
  if (optimizer) {
    if (!f.is_group("/optimizer"))
      throw Error(cat(f.display_name(), ": /optimizer is missing (cannot resume without the optimizer state)"));
    optimizer->set_steps_taken(f.attr_int("/optimizer", "steps"));
    for (auto& [name, p] : m.params().items()) {
      optimizer->m(name) = f.read<float>("/optimizer/" + name + "/m", p->value.shape());
      optimizer->v(name) = f.read<float>("/optimizer/" + name + "/v", p->value.shape());
    }
  }
  if (f.is_group("/sampler")) {
    st.epoch = f.attr_int("/sampler", "epoch");
    st.cursor = f.attr_int("/sampler", "cursor");
  }
  for (const Curve& c : kCurves) {
    const std::string ds = std::string("/log/") + c.name;
    if (!f.is_dataset(ds)) continue;
    const Tensor<double> t = f.read<double>(ds);
    st.log.*(c.field) = std::vector<double>(t.begin(), t.end());
  }
}

json::Value checkpoint_train_config(const io::H5File& f) { return io::read_config(f); }

}  // namespace xssm::train
