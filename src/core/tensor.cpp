// Tensor's core: construction, shape and strides, the autograd state it
// carries. The members that move or compute data (copies, conversions,
// fills, samplers, element access, the ones forwarding to ops) are the ops
// layer's, in src/ops/tensor.cpp; the ones that walk the graph (backward,
// retain_grad, releasing grad_fn) the autograd engine's, in
// src/autograd/tensor.cpp. Core knows nothing above it.
#include "zengen/core/tensor.hpp"

namespace zengen {

Tensor Tensor::empty(const Shape& shape, TensorOptions options) {
  for (auto d : shape)
    ZENGEN_CHECK(d >= 0, ShapeError, "empty: negative size in shape ", shape);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(shape.numel()) * element_size(options.dtype),
                                            options.device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = options.dtype;
  Tensor t(std::move(impl));
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
std::int64_t Tensor::stride(std::int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }
Device Tensor::device() const { return checked().storage->device(); }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = checked();
  if (t.shape.numel() == 0) return true;  // no element to be out of place
  std::int64_t expected = 1;
  for (std::int64_t i = t.shape.ndim() - 1; i >= 0; --i) {
    if (t.shape[i] == 1) continue;
    if (t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

void* Tensor::data_ptr() const {
  const TensorImpl& t = checked();
  return static_cast<char*>(t.storage->data()) + t.offset * static_cast<std::int64_t>(element_size(t.dtype));
}

// ---- autograd state ----

const Tensor& Tensor::requires_grad_(bool value) const {
  TensorImpl& t = *impl_;
  ZENGEN_CHECK(is_leaf() || value, ValueError,
               "requires_grad_: cannot turn off requires_grad on a non-leaf tensor (use detach())");
  ZENGEN_CHECK(!value || is_floating(t.dtype), DTypeError, "requires_grad_: only floating tensors can require "
               "grad, got ", t.dtype);
  t.requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const { return checked().grad ? Tensor(checked().grad) : Tensor(); }

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined())
    ZENGEN_CHECK(g.shape() == shape(), ShapeError, "set_grad: gradient of shape ", g.shape(),
                 " for a tensor of shape ", shape());
  impl_->grad = g.defined() ? g.impl_ptr() : nullptr;
}

void Tensor::zero_grad() const { checked(); impl_->grad.reset(); }

Tensor Tensor::detach() const {
  const TensorImpl& t = checked();
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = t.storage;
  impl->shape = t.shape;
  impl->strides = t.strides;
  impl->offset = t.offset;
  impl->dtype = t.dtype;
  return Tensor(std::move(impl));
}

void Tensor::set_data(const Tensor& source) const {
  ZENGEN_CHECK(is_leaf(), ValueError, "set_data: only leaf tensors can have their data replaced");
  ZENGEN_CHECK(source.defined(), ValueError, "set_data: source is undefined");
  TensorImpl& t = *impl_;
  const TensorImpl& s = *source.impl();
  t.storage = s.storage;
  t.shape = s.shape;
  t.strides = s.strides;
  t.offset = s.offset;
  t.dtype = s.dtype;
  t.grad.reset();
  if (!is_floating(t.dtype)) t.requires_grad = false;
}

}  // namespace zengen
