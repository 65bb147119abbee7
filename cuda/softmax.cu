// CUDA log_softmax: see softmax.hpp.
#include "softmax.hpp"

#include <cmath>

#include "reduce.cuh"
#include "validate.hpp"
#include "zengen/core/shape.hpp"

namespace zengen::cuda {

namespace {

/// Threads per row block: a warp for short rows, up to 256 for long ones
/// (block_sum / block_max take any multiple of 32).
unsigned row_threads(std::int64_t n) { return n <= 64 ? 32u : n <= 512 ? 128u : 256u; }

// ---- a row per block (inner == 1) ----

template <typename T>
__global__ void log_softmax_rows(std::int64_t n, const T* x, T* y) {
  const T* xr = x + blockIdx.x * n;
  T* yr = y + blockIdx.x * n;
  const SoftmaxRow<T> stats = block_softmax_row(xr, n);
  // (x - max) - log(sum), as the CPU: x - (max + log(sum)) would round
  // log(sum) to max's precision.
  for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) yr[j] = (xr[j] - stats.max) - stats.log_sum;
}

template <typename T>
__global__ void log_softmax_backward_rows(std::int64_t n, const T* g, const T* y, T* gx) {
  const std::int64_t base = blockIdx.x * n;
  __shared__ T row_sum;
  double sum = 0.0;
  for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += static_cast<double>(g[base + j]);
  sum = block_sum(sum);
  if (threadIdx.x == 0) row_sum = static_cast<T>(sum);
  __syncthreads();
  const T s = row_sum;
  for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) gx[base + j] = g[base + j] - exp(y[base + j]) * s;
}

// ---- a column per thread (inner > 1) ----

template <typename T>
__global__ void log_softmax_columns(DimSplit e, const T* x, T* y) {
  const std::int64_t columns = e.outer * e.inner;
  for (std::int64_t c = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; c < columns;
       c += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t o = c / e.inner, i = c - o * e.inner;
    const T* xc = x + o * e.size * e.inner + i;
    T* yc = y + o * e.size * e.inner + i;
    T m = -INFINITY;
    for (std::int64_t j = 0; j < e.size; ++j) {
      const T v = xc[j * e.inner];
      m = (v != v || v > m) ? v : m;
    }
    double sum = 0.0;
    for (std::int64_t j = 0; j < e.size; ++j) sum += static_cast<double>(exp(xc[j * e.inner] - m));
    const T log_sum = static_cast<T>(log(sum));
    for (std::int64_t j = 0; j < e.size; ++j) yc[j * e.inner] = (xc[j * e.inner] - m) - log_sum;
  }
}

template <typename T>
__global__ void log_softmax_backward_columns(DimSplit e, const T* g, const T* y, T* gx) {
  const std::int64_t columns = e.outer * e.inner;
  for (std::int64_t c = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; c < columns;
       c += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t o = c / e.inner, i = c - o * e.inner;
    const std::int64_t base = o * e.size * e.inner + i;
    double sum = 0.0;
    for (std::int64_t j = 0; j < e.size; ++j) sum += static_cast<double>(g[base + j * e.inner]);
    const T s = static_cast<T>(sum);
    for (std::int64_t j = 0; j < e.size; ++j) {
      const std::int64_t k = base + j * e.inner;
      gx[k] = g[k] - exp(y[k]) * s;
    }
  }
}

/// The checks both directions share: `out` and `in` alike (contiguous, same
/// shape, dtype and device), floating, dim in range. Returns the split at dim.
DimSplit check(const char* op, const TensorRef& out, const TensorRef& in, std::int64_t dim) {
  validate::operand(op, "input", in);
  validate::floating(op, "input", in);
  validate::contiguous(op, "input", in);
  validate::like(op, "output", out, in);
  const std::int64_t rank = in.ndim == 0 ? 1 : in.ndim;
  ZENGEN_CHECK(dim >= 0 && dim < rank, ValueError, "cuda ", op, ": dim ", dim, " is out of range for shape ",
               in.shape_str());
  const DimSplit e = split_at_dim(in.sizes, in.ndim, dim);  // 0-d: [1, 1, 1]
  ZENGEN_CHECK(e.inner != 1 || e.outer < (std::int64_t{1} << 31), ShapeError, "cuda ", op, ": ", e.outer,
               " rows is too many for one launch");
  return e;
}

}  // namespace

void log_softmax(const TensorRef& y, const TensorRef& x, std::int64_t dim) {
  const char* op = "log_softmax";
  const DimSplit e = check(op, y, x, dim);
  if (x.numel() == 0) return;
  DeviceScope scope(x.device);
  cudaStream_t st = stream(x.device);
  dispatch_float(x.dtype, op, [&]<typename T>() {
    const auto* in = static_cast<const T*>(x.data);
    auto* out = static_cast<T*>(y.data);
    if (e.inner == 1)
      log_softmax_rows<T><<<static_cast<unsigned>(e.outer), row_threads(e.size), 0, st>>>(e.size, in, out);
    else
      log_softmax_columns<T><<<blocks_for(e.outer * e.inner), kBlockThreads, 0, st>>>(e, in, out);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

void log_softmax_backward(const TensorRef& grad_x, const TensorRef& grad_y, const TensorRef& y, std::int64_t dim) {
  const char* op = "log_softmax_backward";
  const DimSplit e = check(op, grad_x, y, dim);
  validate::like(op, "grad_y", grad_y, y);
  if (y.numel() == 0) return;
  DeviceScope scope(y.device);
  cudaStream_t st = stream(y.device);
  dispatch_float(y.dtype, op, [&]<typename T>() {
    const auto* g = static_cast<const T*>(grad_y.data);
    const auto* saved = static_cast<const T*>(y.data);
    auto* out = static_cast<T*>(grad_x.data);
    if (e.inner == 1)
      log_softmax_backward_rows<T><<<static_cast<unsigned>(e.outer), row_threads(e.size), 0, st>>>(e.size, g, saved, out);
    else
      log_softmax_backward_columns<T><<<blocks_for(e.outer * e.inner), kBlockThreads, 0, st>>>(e, g, saved, out);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace zengen::cuda
