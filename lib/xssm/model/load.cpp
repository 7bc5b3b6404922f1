#include "xssm/model/load.hpp"

#include <set>

namespace xssm::model {

ModelConfig read_model_config(const io::H5File& f) {
  io::expect_format(f, "checkpoint/1");
  if (!f.has_attr("/", "model_config"))
    throw Error(cat(f.display_name(), ": attribute model_config is missing (expected the model's JSON)"));
  try {
    return ModelConfig::from_json(json::parse(f.attr_string("/", "model_config")));
  } catch (const std::exception& e) {
    throw Error(cat(f.display_name(), ": attribute model_config: ", e.what()));
  }
}

template <class T>
void write_params(io::H5File& f, const nn::ParamList<T>& params) {
  for (auto& [name, p] : params.items()) f.write("/params/" + name, p->value.template cast<float>());
}

template <class T>
void read_params(const io::H5File& f, nn::ParamList<T>& params) {
  std::set<std::string> want;
  for (auto& [name, p] : params.items()) {
    const std::string ds = "/params/" + name;
    if (!f.is_dataset(ds))
      throw Error(cat(f.display_name(), ": ", ds, " is missing (the model ", "needs every parameter)"));
    p->value = f.read<T>(ds, p->value.shape());
    want.insert(name);
  }
  for (const std::string& ds : f.list_datasets("/params"))
    if (!want.count(ds.substr(8)))
      throw Error(cat(f.display_name(), ": ", ds, " is not a parameter of this model"));
}

template <class T>
LanguageModel<T> load_model(const io::H5File& f) {
  LanguageModel<T> m(read_model_config(f));
  read_params(f, m.params());
  return m;
}

template void write_params(io::H5File&, const nn::ParamList<float>&);
template void write_params(io::H5File&, const nn::ParamList<double>&);
template void read_params(const io::H5File&, nn::ParamList<float>&);
template void read_params(const io::H5File&, nn::ParamList<double>&);
template LanguageModel<float> load_model(const io::H5File&);
template LanguageModel<double> load_model(const io::H5File&);

}  // namespace xssm::model
