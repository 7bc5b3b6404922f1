#include "xssm/probe/schema.hpp"

#include "xssm/core/error.hpp"

namespace xssm::probe {

void write_probe_header(io::H5File& f, const json::Value& config, const json::Value& model,
                        const std::string& kind, std::int64_t checkpoint_step,
                        const std::vector<SourceSize>& sources) {
  io::write_header(f, kProbeFormat, config);
  // As in checkpoint/1: `model` = the spec string (legends), `model_config` = the full JSON.
  f.set_attr("/", "model", model.is_object() ? model.get_string("spec", "") : model.dump());
  f.set_attr("/", "model_config", model.dump());
  f.set_attr("/", "probe", kind);
  f.set_attr("/", "checkpoint_step", checkpoint_step);
  std::vector<std::string> names;
  Tensor<std::int64_t> numel(Shape{Index(sources.size())}), bytes(Shape{Index(sources.size())});
  std::int64_t total = 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    names.push_back(sources[i].name);
    numel[Index(i)] = sources[i].numel;
    bytes[Index(i)] = sources[i].numel * Index(sizeof(float));
    if (sources[i].is_state) total += sources[i].numel;
  }
  f.set_attr("/", "state_numel", total);
  f.set_attr("/", "state_bytes", total * std::int64_t(sizeof(float)));
  if (sources.empty()) return;
  f.write_strings("/state/names", names);
  f.write("/state/numel", numel);
  f.write("/state/bytes", bytes);
  for (const char* ds : {"/state/numel", "/state/bytes"}) {
    f.set_attr(ds, "x_label", "source (index into /state/names)");
    f.set_attr(ds, "y_label", std::string(ds) == "/state/numel" ? "state size per sequence" : "state memory per sequence");
    f.set_attr(ds, "units", std::string(ds) == "/state/numel" ? "numbers" : "bytes (float32)");
  }
}

void write_axis(io::H5File& f, const std::string& path, const std::vector<double>& x, const std::string& label,
                const std::string& units) {
  Tensor<double> t(Shape{Index(x.size())}, x);
  f.write(path, t);
  f.set_attr(path, "x_label", "index");
  f.set_attr(path, "y_label", label);
  f.set_attr(path, "units", units);
}

void write_curve(io::H5File& f, const std::string& path, const std::vector<double>& y, const std::string& x_path,
                 const std::string& y_label, const std::string& units) {
  const Shape xs = f.shape(x_path);
  if (xs.size() != 1 || xs[0] != Index(y.size()))
    throw Error(cat(f.display_name(), ": ", path, ": ", y.size(), " values for the axis ", x_path, " of shape ",
                    shape_str(xs)));
  Tensor<double> t(Shape{Index(y.size())}, y);
  f.write(path, t);
  f.set_attr(path, "x", x_path);
  f.set_attr(path, "x_label", f.attr_string(x_path, "y_label"));
  f.set_attr(path, "y_label", y_label);
  f.set_attr(path, "units", units);
}

}  // namespace xssm::probe
