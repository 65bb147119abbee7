// Shape: the sizes of a tensor's dimensions (also used for strides).
// Prints as [2, 3, 4], which is how every error message names shapes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace zengen {

/// A tensor's sizes, one int64 per dimension (a small vector with shape arithmetic and printing).
class Shape {
 public:
  using value_type = std::int64_t;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}
  template <typename It>
  Shape(It first, It last) : dims_(first, last) {}

  std::int64_t ndim() const { return static_cast<std::int64_t>(dims_.size()); }
  std::size_t size() const { return dims_.size(); }
  bool empty() const { return dims_.empty(); }
  /// Product of the sizes (1 for a scalar shape []).
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (auto d : dims_) n *= d;
    return n;
  }

  std::int64_t& operator[](std::size_t i) { return dims_[i]; }
  std::int64_t operator[](std::size_t i) const { return dims_[i]; }
  std::int64_t back() const { return dims_.back(); }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }
  auto begin() { return dims_.begin(); }
  auto end() { return dims_.end(); }
  void push_back(std::int64_t d) { dims_.push_back(d); }
  void insert(std::size_t pos, std::int64_t d) { dims_.insert(dims_.begin() + static_cast<std::ptrdiff_t>(pos), d); }
  void erase(std::size_t pos) { dims_.erase(dims_.begin() + static_cast<std::ptrdiff_t>(pos)); }
  const std::vector<std::int64_t>& vec() const { return dims_; }

  bool operator==(const Shape&) const = default;

  std::string str() const {
    std::string s = "[";
    for (std::size_t i = 0; i < dims_.size(); ++i) {
      if (i) s += ", ";
      s += std::to_string(dims_[i]);
    }
    return s + "]";
  }

 private:
  std::vector<std::int64_t> dims_;
};

inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

/// Row-major (C-contiguous) strides of a shape, in elements.
inline Shape contiguous_strides(const Shape& shape) {
  Shape strides(std::vector<std::int64_t>(shape.size(), 1));
  for (std::int64_t i = shape.ndim() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * (shape[i + 1] > 0 ? shape[i + 1] : 1);
  return strides;
}

/// A shape seen around one of its dims as [outer, size, inner]: outer is the
/// product of the sizes before `dim`, size the size at `dim`, inner the
/// product of those after it; how a per-dim kernel (softmax, index_select,
/// a per-channel bias) walks a contiguous tensor. A 0-d shape is [1, 1, 1].
struct DimSplit {
  std::int64_t outer = 1, size = 1, inner = 1;
};
/// `sizes[0, ndim)` split at `dim` (any indexable: a Shape, a launcher's
/// size array).
template <typename Sizes>
DimSplit split_at_dim(const Sizes& sizes, std::int64_t ndim, std::int64_t dim) {
  DimSplit s;
  for (std::int64_t d = 0; d < ndim; ++d) {
    if (d < dim)
      s.outer *= sizes[d];
    else if (d == dim)
      s.size = sizes[d];
    else
      s.inner *= sizes[d];
  }
  return s;
}
inline DimSplit split_at_dim(const Shape& shape, std::int64_t dim) { return split_at_dim(shape, shape.ndim(), dim); }

/// The shape two shapes broadcast to under NumPy's rules; throws ShapeError
/// naming `op` and both shapes when they cannot broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Turns a possibly negative dim into [0, ndim); throws ValueError naming op.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t ndim, const char* op);

}  // namespace zengen
