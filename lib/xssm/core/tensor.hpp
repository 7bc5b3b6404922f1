// Tensor<T>: contiguous row-major storage plus a shape; Eigen maps for the maths.
// No views with strides and no hidden copies: slicing is done with raw pointers and Eigen::Map,
// the way the ops in seq/ index (B, NH, S, DH) blocks.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "xssm/core/error.hpp"

namespace xssm {

using Index = std::int64_t;
using Shape = std::vector<Index>;

/// "(2,3,4)"; "()" for a scalar.
std::string shape_str(const Shape& s);
/// Product of the extents (1 for a scalar).
Index shape_numel(const Shape& s);

template <class T>
using MatR = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<MatR<T>>;
template <class T>
using CMatMap = Eigen::Map<const MatR<T>>;
template <class T>
using VecX = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using VecMap = Eigen::Map<VecX<T>>;
template <class T>
using CVecMap = Eigen::Map<const VecX<T>>;

template <class T>
class Tensor {
 public:
  Tensor() = default;
  /// Zero-filled tensor of this shape.
  explicit Tensor(Shape shape) : shape_(std::move(shape)), data_(check_numel(shape_), T(0)) {}
  Tensor(Shape shape, T fill) : shape_(std::move(shape)), data_(check_numel(shape_), fill) {}
  Tensor(Shape shape, std::vector<T> data) : shape_(std::move(shape)), data_(std::move(data)) {
    XSSM_ASSERT(Index(data_.size()) == shape_numel(shape_), "data size ", data_.size(),
                " does not match shape ", shape_str(shape_));
  }
  Tensor(std::initializer_list<Index> shape) : Tensor(Shape(shape)) {}

  const Shape& shape() const { return shape_; }
  int rank() const { return int(shape_.size()); }
  /// Extent of an axis; negative axes count from the end.
  Index dim(int axis) const {
    int a = axis < 0 ? axis + rank() : axis;
    XSSM_ASSERT(a >= 0 && a < rank(), "axis ", axis, " of shape ", shape_str(shape_));
    return shape_[a];
  }
  Index size() const { return Index(data_.size()); }
  bool empty() const { return data_.empty(); }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  T* begin() { return data_.data(); }
  T* end() { return data_.data() + data_.size(); }
  const T* begin() const { return data_.data(); }
  const T* end() const { return data_.data() + data_.size(); }
  std::vector<T>& storage() { return data_; }
  const std::vector<T>& storage() const { return data_; }

  T& operator[](Index i) {
    XSSM_DEBUG_ASSERT(i >= 0 && i < size());
    return data_[size_t(i)];
  }
  const T& operator[](Index i) const {
    XSSM_DEBUG_ASSERT(i >= 0 && i < size());
    return data_[size_t(i)];
  }

  /// Row-major flat offset of a multi-index (checked in debug builds).
  template <class... I>
  Index offset(I... idx) const {
    const Index ix[] = {Index(idx)...};
    XSSM_DEBUG_ASSERT(int(sizeof...(I)) == rank(), "index rank vs shape ", shape_str(shape_));
    Index o = 0;
    for (int a = 0; a < int(sizeof...(I)); ++a) {
      XSSM_DEBUG_ASSERT(ix[a] >= 0 && ix[a] < shape_[a], "index out of range");
      o = o * shape_[a] + ix[a];
    }
    return o;
  }
  template <class... I>
  T& at(I... idx) { return data_[size_t(offset(idx...))]; }
  template <class... I>
  const T& at(I... idx) const { return data_[size_t(offset(idx...))]; }

  /// Pointer to the start of a sub-block given the leading indices: ptr(b, h) of (B,NH,S,DH).
  template <class... I>
  T* ptr(I... lead) { return data_.data() + lead_offset(lead...); }
  template <class... I>
  const T* ptr(I... lead) const { return data_.data() + lead_offset(lead...); }

  /// Same data, new shape of equal size.
  void reshape(Shape s) {
    XSSM_ASSERT(shape_numel(s) == size(), "cannot reshape ", shape_str(shape_), " to ", shape_str(s));
    shape_ = std::move(s);
  }
  Tensor reshaped(Shape s) const& { Tensor t = *this; t.reshape(std::move(s)); return t; }
  Tensor reshaped(Shape s) && { reshape(std::move(s)); return std::move(*this); }
  /// New shape and zero contents; reuses the allocation when it is large enough.
  void resize(Shape s) {
    shape_ = std::move(s);
    data_.assign(size_t(check_numel(shape_)), T(0));
  }
  void fill(T v) { std::fill(data_.begin(), data_.end(), v); }
  void zero() { fill(T(0)); }

  /// The tensor as a (rows, cols) matrix: cols = last extent (a scalar or 1-D tensor is one row).
  MatMap<T> mat() { return MatMap<T>(data(), rows_(), cols_()); }
  CMatMap<T> mat() const { return CMatMap<T>(data(), rows_(), cols_()); }
  MatMap<T> mat(Index rows, Index cols) {
    XSSM_ASSERT(rows * cols == size(), "mat(", rows, ",", cols, ") of ", shape_str(shape_));
    return MatMap<T>(data(), rows, cols);
  }
  CMatMap<T> mat(Index rows, Index cols) const {
    XSSM_ASSERT(rows * cols == size(), "mat(", rows, ",", cols, ") of ", shape_str(shape_));
    return CMatMap<T>(data(), rows, cols);
  }
  VecMap<T> vec() { return VecMap<T>(data(), size()); }
  CVecMap<T> vec() const { return CVecMap<T>(data(), size()); }

  template <class U>
  Tensor<U> cast() const {
    std::vector<U> out(data_.begin(), data_.end());
    return Tensor<U>(shape_, std::move(out));
  }

 private:
  static Index check_numel(const Shape& s) {
    for (Index e : s) XSSM_ASSERT(e >= 0, "negative extent in shape ", shape_str(s));
    return shape_numel(s);
  }
  template <class... I>
  Index lead_offset(I... lead) const {
    const Index ix[] = {Index(lead)..., 0};
    constexpr int n = int(sizeof...(I));
    XSSM_DEBUG_ASSERT(n <= rank());
    Index o = 0;
    for (int a = 0; a < n; ++a) {
      XSSM_DEBUG_ASSERT(ix[a] >= 0 && ix[a] < shape_[a], "index out of range");
      o = o * shape_[a] + ix[a];
    }
    for (int a = n; a < rank(); ++a) o *= shape_[a];
    return o;
  }
  Index cols_() const { return rank() == 0 ? 1 : shape_.back(); }
  Index rows_() const { Index c = cols_(); return c == 0 ? 0 : size() / c; }

  Shape shape_;
  std::vector<T> data_;
};

/// Throws xssm::Error "<what> has shape (..), expected (..)" when shapes differ.
template <class T>
void expect_shape(const Tensor<T>& t, const Shape& want, const std::string& what) {
  if (t.shape() != want)
    throw Error(cat(what, " has shape ", shape_str(t.shape()), ", expected ", shape_str(want)));
}

}  // namespace xssm
