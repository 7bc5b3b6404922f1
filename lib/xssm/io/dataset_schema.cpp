#include "xssm/io/dataset_schema.hpp"

#include <algorithm>

#include "xssm/core/error.hpp"
#include "xssm/io/h5file.hpp"

namespace xssm::io {

namespace {

const char* const kReserved[] = {"xssm_format", "xssm_version", "created_by", "config", "task", "vocab_size", "seed"};
bool reserved(const std::string& a) {
  return std::find(std::begin(kReserved), std::end(kReserved), a) != std::end(kReserved);
}

// Every element of `t` in [lo, hi): else "<where>: <what>[i,j] = v is outside [lo, hi) (<why>)".
void check_range(const Tensor<std::int32_t>& t, std::int64_t lo, std::int64_t hi, const std::string& where,
                 const std::string& what, const std::string& why) {
  const std::int32_t* p = t.data();
  for (Index i = 0; i < t.size(); ++i) {
    if (p[i] < lo || p[i] >= hi) {
      const Index s = t.dim(1);
      throw Error(cat(where, ": ", what, "[", i / s, ",", i % s, "] = ", p[i], " is outside [", lo, ", ", hi,
                      ") (", why, ")"));
    }
  }
}

void need_int32(const H5File& f, const std::string& ds, const std::string& expect) {
  const DType t = f.dtype(ds);
  if (t != DType::Int32) f.fail(cat(ds, " has type ", dtype_name(t), ", expected int32 ", expect));
}

}  // namespace

std::string Dataset::attr(const std::string& name) const {
  for (const auto& a : attrs)
    if (a.first == name) return a.second;
  return "";
}

void Dataset::check_vocab(const std::string& where, Index vocab) const {
  for (Index i = 0; i < n(); ++i)
    for (Index t = 0; t < seq_len(); ++t) {
      if (!has_real() && inputs.at(i, t) >= vocab)
        throw Error(cat(where, ": /inputs[", i, ",", t, "] = ", inputs.at(i, t),
                        " is outside the model's vocabulary of ", vocab));
      if (targets.at(i, t) >= vocab)
        throw Error(cat(where, ": /targets[", i, ",", t, "] = ", targets.at(i, t),
                        " is outside the model's vocabulary of ", vocab));
    }
}

void Dataset::validate(const std::string& where) const {
  if (task.empty()) throw Error(cat(where, ": task attribute is empty, expected a task name"));
  if (vocab_size <= 0 || vocab_size > (std::int64_t(1) << 31))
    throw Error(cat(where, ": vocab_size = ", vocab_size, ", expected a positive int32 count"));
  if (inputs.rank() != 2)
    throw Error(cat(where, ": /inputs has shape ", shape_str(inputs.shape()), ", expected (N,S)"));
  if (targets.shape() != inputs.shape())
    throw Error(cat(where, ": /targets has shape ", shape_str(targets.shape()), ", expected ",
                    shape_str(inputs.shape()), " like /inputs"));
  const Index N = inputs.dim(0), S = inputs.dim(1);
  check_range(inputs, 0, vocab_size, where, "/inputs", cat("tokens must be in [0, vocab_size=", vocab_size, ")"));
  check_range(targets, -1, vocab_size, where, "/targets", "targets must be -1 or a token id");
  if (!inputs_real.empty() || inputs_real.rank() != 0) {
    if (inputs_real.rank() != 3 || inputs_real.dim(0) != N || inputs_real.dim(1) != S)
      throw Error(cat(where, ": /inputs_real has shape ", shape_str(inputs_real.shape()), ", expected (", N, ",",
                      S, ",F)"));
  }
  for (const auto& [name, t] : labels.items()) {
    if (name.empty() || name.find('/') != std::string::npos)
      throw Error(cat(where, ": label name '", name, "' must be non-empty without '/'"));
    if ((t.rank() != 2 && t.rank() != 3) || t.dim(0) != N || t.dim(1) != S)
      throw Error(cat(where, ": /labels/", name, " has shape ", shape_str(t.shape()), ", expected (", N, ",", S,
                      ") or (", N, ",", S, ",K)"));
  }
  for (const auto& [name, t] : meta.items())
    if (name.empty() || name.find('/') != std::string::npos)
      throw Error(cat(where, ": meta name '", name, "' must be non-empty without '/'"));
  for (const auto& a : attrs)
    if (reserved(a.first)) throw Error(cat(where, ": extra attribute '", a.first, "' is a reserved name"));
}

void write_dataset(H5File& f, const Dataset& ds, const std::string& created_by, const json::Value& config) {
  ds.validate(f.display_name());
  f.set_attr("/", "xssm_format", kDatasetFormat);
  f.set_attr("/", "xssm_version", std::string(XSSM_VERSION_STRING));
  f.set_attr("/", "created_by", created_by);
  f.set_attr("/", "config", config.dump());
  f.set_attr("/", "task", ds.task);
  f.set_attr("/", "vocab_size", ds.vocab_size);
  f.set_attr("/", "seed", std::int64_t(ds.seed));
  for (const auto& [k, v] : ds.attrs) f.set_attr("/", k, v);
  f.write("/inputs", ds.inputs);
  f.write("/targets", ds.targets);
  if (ds.has_real()) f.write("/inputs_real", ds.inputs_real);
  for (const auto& [name, t] : ds.labels.items()) f.write("/labels/" + name, t);
  for (const auto& [name, t] : ds.meta.items()) f.write("/meta/" + name, t);
}

void write_dataset(const std::string& path_or_dash, const Dataset& ds, const std::string& created_by,
                   const json::Value& config) {
  H5File f = H5File::create(path_or_dash);
  write_dataset(f, ds, created_by, config);
  f.commit();
}

Dataset read_dataset(const H5File& f) {
  if (!f.has_attr("/", "xssm_format"))
    f.fail(cat("expected xssm_format ", kDatasetFormat, ", got no xssm_format attribute (not an xssm file)"));
  const std::string fmt = f.attr_string("/", "xssm_format");
  if (fmt != kDatasetFormat) f.fail(cat("expected xssm_format ", kDatasetFormat, ", got '", fmt, "'"));
  Dataset ds;
  for (const char* a : {"task", "vocab_size", "seed"})
    if (!f.has_attr("/", a)) f.fail(cat("attribute '", a, "' not found, expected it in a ", kDatasetFormat, " file"));
  ds.task = f.attr_string("/", "task");
  ds.vocab_size = f.attr_int("/", "vocab_size");
  ds.seed = std::uint64_t(f.attr_int("/", "seed"));
  for (const std::string& a : f.attr_names("/"))
    if (!reserved(a)) {
      try {
        ds.attrs.emplace_back(a, f.attr_string("/", a));
      } catch (const Error&) {  // a non-string extra attribute is not part of dataset/1: ignore it
      }
    }

  need_int32(f, "/inputs", "(N,S) token ids");
  ds.inputs = f.read<std::int32_t>("/inputs", {-1, -1});
  const Index N = ds.inputs.dim(0), S = ds.inputs.dim(1);
  need_int32(f, "/targets", "(N,S) token ids or -1");
  ds.targets = f.read<std::int32_t>("/targets", {N, S});
  if (f.exists("/inputs_real")) {
    const DType t = f.dtype("/inputs_real");
    if (t != DType::Float32) f.fail(cat("/inputs_real has type ", dtype_name(t), ", expected float32 (N,S,F)"));
    ds.inputs_real = f.read<float>("/inputs_real", {N, S, -1});
  }
  if (f.exists("/labels")) {
    for (const std::string& name : f.list("/labels")) {
      const std::string p = "/labels/" + name;
      need_int32(f, p, "(N,S) or (N,S,K)");
      const Shape s = f.shape(p);
      if ((s.size() != 2 && s.size() != 3) || s[0] != N || s[1] != S)
        f.fail(cat(p, " has shape ", shape_str(s), ", expected (", N, ",", S, ") or (", N, ",", S, ",K)"));
      ds.labels.set(name, f.read<std::int32_t>(p));
    }
  }
  if (f.exists("/meta")) {
    for (const std::string& name : f.list("/meta")) {
      const std::string p = "/meta/" + name;
      need_int32(f, p, "table");
      ds.meta.set(name, f.read<std::int32_t>(p));
    }
  }
  ds.validate(f.display_name());
  return ds;
}

Dataset read_dataset(const std::string& path_or_dash) { return read_dataset(H5File::open(path_or_dash)); }

}  // namespace xssm::io
