// An ordered list of named tensors: a mixer's recurrent state (mLSTM: C, n, m; sLSTM: c, n, m, h;
// Mamba: conv, ssm; attention: k, v), read by name in probe/ and written to HDF5 by eval --dump.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm {

template <class T>
class NamedTensors {
 public:
  using Item = std::pair<std::string, Tensor<T>>;

  /// Add (or replace) a tensor under this name; returns a reference to it.
  Tensor<T>& set(const std::string& name, Tensor<T> t) {
    for (auto& it : items_)
      if (it.first == name) return it.second = std::move(t);
    items_.emplace_back(name, std::move(t));
    return items_.back().second;
  }
  bool has(const std::string& name) const { return find(name) != nullptr; }
  Tensor<T>* find(const std::string& name) {
    for (auto& it : items_)
      if (it.first == name) return &it.second;
    return nullptr;
  }
  const Tensor<T>* find(const std::string& name) const {
    for (auto& it : items_)
      if (it.first == name) return &it.second;
    return nullptr;
  }
  Tensor<T>& operator[](const std::string& name) {
    Tensor<T>* t = find(name);
    if (!t) throw Error(cat("no state tensor named '", name, "' (have: ", names_str(), ")"));
    return *t;
  }
  const Tensor<T>& operator[](const std::string& name) const {
    const Tensor<T>* t = find(name);
    if (!t) throw Error(cat("no state tensor named '", name, "' (have: ", names_str(), ")"));
    return *t;
  }
  std::vector<Item>& items() { return items_; }
  const std::vector<Item>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() { return items_.begin(); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  /// Total number of scalars held.
  Index numel() const {
    Index n = 0;
    for (auto& it : items_) n += it.second.size();
    return n;
  }
  std::string names_str() const {
    std::string s;
    for (auto& it : items_) s += (s.empty() ? "" : ", ") + it.first;
    return s;
  }

 private:
  std::vector<Item> items_;
};

}  // namespace xssm
