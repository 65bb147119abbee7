// Tensor: a cheap, shared handle to an N-d strided array on one device, with
// the autograd state (requires_grad, grad, the node that produced it).
//
// Copies of a Tensor share everything; views (reshape, permute, narrow, ...)
// share storage. Like a shared pointer, a const Tensor handle still allows
// changing the values and autograd state it points to (in-place methods). Operations live in zengen/ops/ as free functions; the member
// functions below are the common ones, for fluent code (x.sum().backward()).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zengen/core/device.hpp"
#include "zengen/core/dtype.hpp"
#include "zengen/core/error.hpp"
#include "zengen/core/shape.hpp"
#include "zengen/core/storage.hpp"

namespace zengen {

namespace autograd {
class Node;
}

/// The state behind a Tensor handle. Users go through Tensor.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;            // in elements
  std::int64_t offset = 0;  // in elements, into storage
  DType dtype = DType::Float32;

  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;               // accumulated by backward()
  std::shared_ptr<autograd::Node> grad_fn;        // null for leaves
  bool retains_grad = false;                      // non-leaf keeps its grad

  TensorImpl() = default;
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  ~TensorImpl();  // releases grad_fn without recursion (long graphs)
};

/// Options for factories: dtype, device, and whether the new tensor is a
/// leaf that requires grad.
struct TensorOptions {
  DType dtype = DType::Float32;
  Device device = Device::cpu();
  bool requires_grad = false;
};

/// An N-d strided array on a device, with autograd: a cheap handle, so copies share data (see the file's summary).
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// A fresh tensor with uninitialised, contiguous memory.
  static Tensor empty(const Shape& shape, TensorOptions options = {});

  bool defined() const { return static_cast<bool>(impl_); }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// Whether both handles refer to the same tensor (not element equality).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- geometry ----
  const Shape& shape() const { return checked().shape; }
  const Shape& strides() const { return checked().strides; }
  std::int64_t dim() const { return shape().ndim(); }
  /// Size of one dimension; negative dims count from the end.
  std::int64_t size(std::int64_t d) const;
  std::int64_t stride(std::int64_t d) const;
  std::int64_t numel() const { return shape().numel(); }
  std::int64_t offset() const { return checked().offset; }
  DType dtype() const { return checked().dtype; }
  Device device() const;
  bool is_contiguous() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * element_size(dtype()); }

  /// Pointer to the first element (at offset). Raw access, for kernels.
  void* data_ptr() const;
  /// Typed pointer to the first element; throws DTypeError if T does not
  /// match the dtype.
  template <typename T>
  T* data() const {
    ZENGEN_CHECK(dtype_of<T> == dtype(), DTypeError, "data<", dtype_name(dtype_of<T>),
                 ">: tensor has dtype ", dtype());
    return static_cast<T*>(data_ptr());
  }
  const std::shared_ptr<Storage>& storage() const { return checked().storage; }

  // ---- element access (CPU; for tests, printing and small programs) ----
  /// The single value of a one-element tensor, converted to T.
  template <typename T = double>
  T item() const;
  /// The element at a full index, converted to T; negative indices wrap.
  template <typename T = double>
  T at(std::initializer_list<std::int64_t> index) const;
  /// All elements in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- copies and conversions ----
  Tensor clone() const;
  /// This tensor if already contiguous, else a contiguous copy.
  Tensor contiguous() const;
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  /// Copies src (broadcast to this shape, any dtype) into this tensor in place.
  /// Not recorded by autograd; meant for initialisation and optimizers.
  const Tensor& copy_(const Tensor& src) const;
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const { return fill_(0.0); }
  /// Fills in place from N(mean, std^2) / U[low, high) using the global generator.
  const Tensor& normal_(double mean = 0.0, double std = 1.0) const;
  const Tensor& uniform_(double low = 0.0, double high = 1.0) const;

  // ---- autograd ----
  bool requires_grad() const { return checked().requires_grad; }
  /// Marks a leaf as requiring grad (throws for non-leaves, as they follow
  /// their inputs); returns *this.
  const Tensor& requires_grad_(bool value = true) const;
  /// The accumulated gradient, or an undefined Tensor before any backward.
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  /// Drops the accumulated gradient.
  void zero_grad() const;
  bool is_leaf() const { return !checked().grad_fn; }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return checked().grad_fn; }
  /// Keep the gradient of this non-leaf tensor in grad() after backward.
  const Tensor& retain_grad() const;
  /// A tensor sharing this one's storage, cut off from the graph.
  Tensor detach() const;
  /// Makes this leaf refer to source's data (storage, shape, dtype), keeping
  /// its identity and requires_grad and dropping its gradient: how modules
  /// move or convert their parameters in place.
  void set_data(const Tensor& source) const;
  /// Reverse-mode differentiation from this tensor. `gradient` may be
  /// omitted only for a one-element tensor (it is then 1). The graph is freed
  /// unless retain_graph; create_graph records the backward pass itself so
  /// gradients can be differentiated again.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;

  // ---- common operations as members (see zengen/ops/ for the full list) ----
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor permute(const std::vector<std::int64_t>& dims) const;
  Tensor transpose(std::int64_t d0, std::int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor unsqueeze(std::int64_t d) const;
  Tensor squeeze(std::optional<std::int64_t> d = std::nullopt) const;
  Tensor expand(const Shape& shape) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;
  Tensor sum() const;
  Tensor sum(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor pow(double exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor abs() const;
  Tensor sqrt() const;

  /// Compact, PyTorch-like text: tensor([[1.0000, 2.0000]], dtype=float64).
  std::string str() const;

 private:
  const TensorImpl& checked() const {
    ZENGEN_CHECK(impl_, ValueError, "use of an undefined Tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace zengen
