// Internal: argument checks and small helpers shared by the ops.
#pragma once

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/autograd/node.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::ops_detail {

inline void check_defined(const Tensor& x, const char* op) {
  ZENGEN_CHECK(x.defined(), ValueError, op, ": got an undefined tensor");
}

inline void check_floating(const Tensor& x, const char* op) {
  check_defined(x, op);
  ZENGEN_CHECK(is_floating(x.dtype()), DTypeError, op, ": expected a floating tensor (float32 or float64), got ",
               x.dtype(), " of shape ", x.shape());
}

/// Both floating, same dtype, same device (any device: the kernels run on
/// the CPU and on CUDA, through src/ops/kernels.hpp).
inline void check_same(const Tensor& a, const Tensor& b, const char* op) {
  check_floating(a, op);
  check_floating(b, op);
  ZENGEN_CHECK(a.dtype() == b.dtype(), DTypeError, op, ": dtypes differ (", a.dtype(), " and ", b.dtype(),
               "); convert one with .to(dtype)");
  ZENGEN_CHECK(a.device() == b.device(), DeviceError, op, ": tensors are on different devices (", a.device(),
               " and ", b.device(), ")");
}

/// A new contiguous tensor of `shape` with x's dtype and device.
inline Tensor empty_as(const Tensor& x, const Shape& shape) {
  return Tensor::empty(shape, {.dtype = x.dtype(), .device = x.device()});
}

/// x itself when contiguous, else a contiguous copy (not recorded): what the
/// fused kernels read. An undefined tensor stays undefined.
inline Tensor dense(const Tensor& x) {
  if (!x.defined() || x.is_contiguous()) return x;
  NoGradGuard no_grad;
  return x.contiguous();
}

/// When create_graph is on (grad mode enabled inside backward), formulas must
/// recompute values from the inputs so the graph reaches them; otherwise the
/// saved output is reused.
inline bool recording() { return autograd::GradMode::is_enabled(); }

using Grads = std::vector<Tensor>;

}  // namespace zengen::ops_detail
