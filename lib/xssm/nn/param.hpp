// Parameters: a value tensor and its gradient, registered under stable slash-separated names
// ("blocks/3/mlstm/q_proj/weight") that are also their HDF5 paths in a checkpoint (/params/...).
// Local names follow the official state_dict names with '.' → '/', so importing an official
// checkpoint is a rename.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::nn {

template <class T>
struct Param {
  Tensor<T> value;
  Tensor<T> grad;
  /// AdamW applies weight decay (off for norm weights, biases and gate biases).
  bool decay = true;

  Param() = default;
  explicit Param(Shape s, bool decay_ = true) : value(s), grad(s), decay(decay_) {}
  void reset(Shape s, bool decay_ = true) {
    value = Tensor<T>(s);
    grad = Tensor<T>(s);
    decay = decay_;
  }
  void zero_grad() { grad.zero(); }
};

/// Ordered (name, parameter) list built by each module's collect(prefix, list).
template <class T>
class ParamList {
 public:
  using Item = std::pair<std::string, Param<T>*>;
  void add(const std::string& name, Param<T>& p) { items_.emplace_back(name, &p); }
  std::vector<Item>& items() { return items_; }
  const std::vector<Item>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  Param<T>* find(const std::string& name) const {
    for (auto& it : items_)
      if (it.first == name) return it.second;
    return nullptr;
  }
  Param<T>& operator[](const std::string& name) const {
    Param<T>* p = find(name);
    if (!p) throw Error(cat("no parameter named '", name, "'"));
    return *p;
  }
  void zero_grad() {
    for (auto& it : items_) it.second->zero_grad();
  }
  Index numel() const {
    Index n = 0;
    for (auto& it : items_) n += it.second->value.size();
    return n;
  }

 private:
  std::vector<Item> items_;
};

/// "prefix/name" (just "name" when the prefix is empty).
inline std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

}  // namespace xssm::nn
