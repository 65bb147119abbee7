// What a CUDA launcher sees of a tensor: a device pointer to its first
// element, dtype, device and geometry (sizes and strides in elements, up to
// kMaxDims dims). Plain C++, no CUDA header: src/ops builds these from
// Tensors (src/ops/kernels.cpp) and the CPU tests build them by hand
// to check the launchers' validation without a GPU.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "zengen/core/dtype.hpp"
#include "zengen/core/error.hpp"

namespace zengen::cuda {

inline constexpr int kMaxDims = 8;

struct TensorRef {
  void* data = nullptr;
  DType dtype = DType::Float32;
  int device = 0;
  int ndim = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[kMaxDims] = {};

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
  bool defined() const { return data != nullptr || numel() == 0; }
  /// Row-major contiguous (size-1 dims may have any stride; an empty
  /// tensor is contiguous, as Tensor::is_contiguous says).
  bool contiguous() const {
    if (numel() == 0) return true;
    std::int64_t expected = 1;
    for (int d = ndim - 1; d >= 0; --d) {
      if (sizes[d] == 1) continue;
      if (strides[d] != expected) return false;
      expected *= sizes[d];
    }
    return true;
  }
  std::string shape_str() const {
    std::string s = "[";
    for (int d = 0; d < ndim; ++d) s += (d ? ", " : "") + std::to_string(sizes[d]);
    return s + "]";
  }
};

/// A contiguous ref (for tests and for the launchers' own temporaries).
inline TensorRef contiguous_ref(void* data, DType dtype, std::initializer_list<std::int64_t> sizes, int device = 0) {
  TensorRef r;
  r.data = data;
  r.dtype = dtype;
  r.device = device;
  ZENGEN_CHECK(sizes.size() <= static_cast<std::size_t>(kMaxDims), ShapeError, "contiguous_ref: more than ",
               kMaxDims, " dims");
  for (std::int64_t s : sizes) r.sizes[r.ndim++] = s;
  std::int64_t stride = 1;
  for (int d = r.ndim - 1; d >= 0; --d) {
    r.strides[d] = stride;
    stride *= r.sizes[d];
  }
  return r;
}

}  // namespace zengen::cuda
