// CUDA index_select / index_add: see index.hpp.
#include "index.hpp"

#include "loops.cuh"
#include "validate.hpp"
#include "zengen/core/shape.hpp"

namespace zengen::cuda {

namespace {

template <typename T>
__global__ void select_rows(std::int64_t total, DimSplit s, std::int64_t n, const std::int64_t* index, const T* x,
                            T* out) {
  for (std::int64_t e = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; e < total;
       e += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t j = e % s.inner, row = e / s.inner, i = row % n, o = row / n;
    out[e] = x[(o * s.size + index[i]) * s.inner + j];
  }
}

template <typename T>
__global__ void add_rows(std::int64_t lanes, DimSplit s, std::int64_t n, const std::int64_t* index, const T* source,
                         T* out) {
  for (std::int64_t lane = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; lane < lanes;
       lane += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t j = lane % s.inner, o = lane / s.inner;
    for (std::int64_t i = 0; i < n; ++i) out[(o * s.size + index[i]) * s.inner + j] += source[(o * n + i) * s.inner + j];
  }
}

/// The index: defined, 1-d int64, contiguous, on `on`'s device.
void check_index(const char* op, const TensorRef& index, const TensorRef& on) {
  validate::operand(op, "index", index);
  validate::same_device(op, on, index, "index");
  validate::dtype_is(op, "index", index, DType::Int64);
  validate::contiguous(op, "index", index);
  ZENGEN_CHECK(index.ndim == 1, ShapeError, "cuda ", op, ": index must be 1-d, got shape ", index.shape_str());
}

/// The index, a dim of `full` in range, and `rows` = `full` with that dim
/// as long as the index; returns the index's length.
std::int64_t check_indexing(const char* op, const char* name, const TensorRef& rows, const TensorRef& full, int dim,
                            const TensorRef& index) {
  check_index(op, index, full);
  ZENGEN_CHECK(dim >= 0 && dim < full.ndim, ValueError, "cuda ", op, ": dim ", dim, " out of range for shape ",
               full.shape_str());
  const std::int64_t n = index.sizes[0];
  bool ok = rows.ndim == full.ndim;
  for (int d = 0; ok && d < full.ndim; ++d) ok = rows.sizes[d] == (d == dim ? n : full.sizes[d]);
  ZENGEN_CHECK(ok, ShapeError, "cuda ", op, ": ", name, " has shape ", rows.shape_str(), ", expected ",
               full.shape_str(), " with dim ", dim, " of size ", n);
  return n;
}

}  // namespace

void index_select(const TensorRef& out, const TensorRef& x, int dim, const TensorRef& index) {
  const char* op = "index_select";
  validate::operand(op, "input", x);
  validate::contiguous(op, "input", x);
  validate::companion(op, "output", out, x);
  const std::int64_t n = check_indexing(op, "output", out, x, dim, index);
  const std::int64_t total = out.numel();
  if (total == 0) return;
  const DimSplit s = split_at_dim(x.sizes, x.ndim, dim);
  DeviceScope scope(x.device);
  dispatch_any(x.dtype, [&]<typename T>() {
    select_rows<T><<<blocks_for(total), kBlockThreads, 0, stream(x.device)>>>(
        total, s, n, static_cast<const std::int64_t*>(index.data), static_cast<const T*>(x.data),
        static_cast<T*>(out.data));
  });
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

void index_add_(const TensorRef& out, int dim, const TensorRef& index, const TensorRef& source) {
  const char* op = "index_add";
  validate::operand(op, "output", out);
  validate::floating(op, "output", out);
  validate::contiguous(op, "output", out);
  validate::companion(op, "source", source, out);
  const std::int64_t n = check_indexing(op, "source", source, out, dim, index);
  const DimSplit s = split_at_dim(out.sizes, out.ndim, dim);
  const std::int64_t lanes = s.outer * s.inner;
  if (lanes == 0 || n == 0) return;
  DeviceScope scope(out.device);
  dispatch_float(out.dtype, op, [&]<typename T>() {
    add_rows<T><<<blocks_for(lanes), kBlockThreads, 0, stream(out.device)>>>(
        lanes, s, n, static_cast<const std::int64_t*>(index.data), static_cast<const T*>(source.data),
        static_cast<T*>(out.data));
  });
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace zengen::cuda
