// The launchers' input checks, in plain C++ (header-only) so the CPU tests
// check them without a GPU. Launchers validate, kernels trust: every launcher
// calls these before touching the device, and each failure is a zengen error
// naming the launcher, the operand and what was expected.
#pragma once

#include <initializer_list>

#include "tensor_ref.hpp"

namespace zengen::cuda::validate {

/// Defined (a pointer, unless empty), at most kMaxDims dims, no negative size.
inline void operand(const char* op, const char* name, const TensorRef& t) {
  ZENGEN_CHECK(t.ndim >= 0 && t.ndim <= kMaxDims, ShapeError, "cuda ", op, ": ", name, " has ", t.ndim,
               " dims; the CUDA kernels take at most ", kMaxDims);
  for (int d = 0; d < t.ndim; ++d)
    ZENGEN_CHECK(t.sizes[d] >= 0, ShapeError, "cuda ", op, ": ", name, " has a negative size in shape ",
                 t.shape_str());
  ZENGEN_CHECK(t.data != nullptr || t.numel() == 0, ValueError, "cuda ", op, ": ", name,
               " has no data pointer (shape ", t.shape_str(), ")");
  ZENGEN_CHECK(t.device >= 0, DeviceError, "cuda ", op, ": ", name, " is on cuda:", t.device);
}

inline void same_device(const char* op, const TensorRef& a, const TensorRef& b, const char* name_b) {
  ZENGEN_CHECK(a.device == b.device, DeviceError, "cuda ", op, ": ", name_b, " is on cuda:", b.device,
               " but the output is on cuda:", a.device);
}

inline void dtype_is(const char* op, const char* name, const TensorRef& t, DType expected) {
  ZENGEN_CHECK(t.dtype == expected, DTypeError, "cuda ", op, ": ", name, " has dtype ", t.dtype, ", expected ",
               expected);
}

inline void floating(const char* op, const char* name, const TensorRef& t) {
  ZENGEN_CHECK(is_floating(t.dtype), DTypeError, "cuda ", op, ": ", name, " has dtype ", t.dtype,
               ", expected float32 or float64");
}

/// `from` broadcasts to exactly `to`'s shape (NumPy's rules, one way).
inline void broadcasts_to(const char* op, const char* name, const TensorRef& from, const TensorRef& to) {
  bool ok = from.ndim <= to.ndim;
  for (int i = 0; ok && i < from.ndim; ++i) {
    const std::int64_t f = from.sizes[from.ndim - 1 - i], t = to.sizes[to.ndim - 1 - i];
    ok = f == t || f == 1;
  }
  ZENGEN_CHECK(ok, ShapeError, "cuda ", op, ": ", name, " of shape ", from.shape_str(),
               " cannot be broadcast to the output's shape ", to.shape_str());
}

inline void same_shape(const char* op, const char* name, const TensorRef& a, const TensorRef& b) {
  bool ok = a.ndim == b.ndim;
  for (int d = 0; ok && d < a.ndim; ++d) ok = a.sizes[d] == b.sizes[d];
  ZENGEN_CHECK(ok, ShapeError, "cuda ", op, ": ", name, " has shape ", a.shape_str(), ", expected ", b.shape_str());
}

inline void contiguous(const char* op, const char* name, const TensorRef& t) {
  ZENGEN_CHECK(t.contiguous(), ValueError, "cuda ", op, ": ", name, " of shape ", t.shape_str(),
               " must be contiguous");
}

/// An operand that goes with x: defined, on x's device, of x's dtype.
inline void same_kind(const char* op, const char* name, const TensorRef& t, const TensorRef& x) {
  operand(op, name, t);
  same_device(op, x, t, name);
  dtype_is(op, name, t, x.dtype);
}

/// The same, contiguous (its shape checked by the caller: a per-row or
/// per-channel vector, an indexed result).
inline void companion(const char* op, const char* name, const TensorRef& t, const TensorRef& x) {
  same_kind(op, name, t, x);
  contiguous(op, name, t);
}

/// A companion of x's shape (a target, a gradient, an optimizer state).
inline void like(const char* op, const char* name, const TensorRef& t, const TensorRef& x) {
  same_kind(op, name, t, x);
  same_shape(op, name, t, x);
  contiguous(op, name, t);
}

/// The usual element-wise output: defined, floating or `dtype`, and every
/// input on its device and broadcastable to it.
inline void elementwise(const char* op, const TensorRef& out, std::initializer_list<const TensorRef*> inputs) {
  operand(op, "output", out);
  int i = 0;
  for (const TensorRef* in : inputs) {
    static const char* names[] = {"input 0", "input 1", "input 2", "input 3"};
    const char* name = names[i < 4 ? i : 3];
    operand(op, name, *in);
    same_device(op, out, *in, name);
    broadcasts_to(op, name, *in, out);
    ++i;
  }
}

}  // namespace zengen::cuda::validate
