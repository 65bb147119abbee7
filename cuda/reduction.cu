// CUDA reductions: sum (cuda/reduce.cuh's row reduction over a strided view)
// and max/argmax (one block per output row, a warp-shuffle reduction of
// (value, index) pairs). See reduction.hpp.
#include "reduction.hpp"

#include "reduce.cuh"
#include "validate.hpp"

namespace zengen::cuda {

namespace {

/// Sizes and strides of one part (kept or reduced dims) of x; an index into
/// the part becomes an element offset.
struct Part {
  int ndim = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[kMaxDims] = {};

  void push(std::int64_t size, std::int64_t stride) {
    if (size == 1) return;
    if (ndim > 0 && strides[ndim - 1] == stride * size) {  // merge with the previous dim
      sizes[ndim - 1] *= size;
      strides[ndim - 1] = stride;
      return;
    }
    sizes[ndim] = size;
    strides[ndim] = stride;
    ++ndim;
  }
  __device__ std::int64_t offset(std::int64_t i) const {
    std::int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      off += (i % sizes[d]) * strides[d];
      i /= sizes[d];
    }
    return off;
  }
};

template <typename T>
struct StridedTerm {
  const T* x;
  Part kept, reduced;
  __device__ T operator()(std::int64_t m, std::int64_t r) const { return x[kept.offset(m) + reduced.offset(r)]; }
};

template <typename T>
struct ArgMax {
  T value;
  std::int64_t index;
};

/// The winner of two candidates: NaN first, then the larger, then the
/// smaller index (so the result does not depend on the combining order).
template <typename T>
__device__ __forceinline__ ArgMax<T> better(ArgMax<T> a, ArgMax<T> b) {
  const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
  if (a_nan != b_nan) return a_nan ? a : b;
  if (!a_nan && a.value != b.value) return a.value > b.value ? a : b;
  return a.index <= b.index ? a : b;
}

template <typename T>
__global__ void max_rows(std::int64_t rows, std::int64_t R, const T* x, Part kept, std::int64_t reduced_stride,
                         T* values, std::int64_t* indices) {
  __shared__ T warp_values[32];
  __shared__ std::int64_t warp_indices[32];
  for (std::int64_t m = blockIdx.x; m < rows; m += gridDim.x) {
    const T* row = x + kept.offset(m);
    ArgMax<T> best{row[0], 0};
    for (std::int64_t r = threadIdx.x; r < R; r += blockDim.x) best = better(best, ArgMax<T>{row[r * reduced_stride], r});
    for (int offset = 16; offset > 0; offset >>= 1) {
      const ArgMax<T> other{__shfl_down_sync(0xffffffffu, best.value, offset),
                            __shfl_down_sync(0xffffffffu, best.index, offset)};
      best = better(best, other);
    }
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) {
      warp_values[warp] = best.value;
      warp_indices[warp] = best.index;
    }
    __syncthreads();
    if (warp == 0) {
      best = threadIdx.x < blockDim.x / 32 ? ArgMax<T>{warp_values[lane], warp_indices[lane]}
                                            : ArgMax<T>{warp_values[0], warp_indices[0]};
      for (int offset = 16; offset > 0; offset >>= 1) {
        const ArgMax<T> other{__shfl_down_sync(0xffffffffu, best.value, offset),
                              __shfl_down_sync(0xffffffffu, best.index, offset)};
        best = better(best, other);
      }
      if (threadIdx.x == 0) {
        values[m] = best.value;
        indices[m] = best.index;
      }
    }
    __syncthreads();
  }
}

}  // namespace

void sum(const TensorRef& out, const TensorRef& x, const bool* reduce) {
  validate::operand("sum", "input", x);
  validate::operand("sum", "output", out);
  validate::same_device("sum", out, x, "input");
  validate::floating("sum", "input", x);
  validate::dtype_is("sum", "output", out, x.dtype);
  validate::contiguous("sum", "output", out);
  Part kept, reduced;
  std::int64_t rows = 1, R = 1;
  for (int d = 0; d < x.ndim; ++d) {
    (reduce[d] ? reduced : kept).push(x.sizes[d], x.strides[d]);
    (reduce[d] ? R : rows) *= x.sizes[d];
  }
  ZENGEN_CHECK(out.numel() == rows, ShapeError, "cuda sum: output of shape ", out.shape_str(), " for ", rows,
               " kept positions of input ", x.shape_str());
  dispatch_float(x.dtype, "sum", [&]<typename T>() {
    launch_reduce_rows(x.device, rows, R, StridedTerm<T>{static_cast<const T*>(x.data), kept, reduced},
                       static_cast<T*>(out.data), 1.0);
  });
}

void max(const TensorRef& values, const TensorRef& indices, const TensorRef& x, int dim) {
  validate::operand("max", "input", x);
  validate::operand("max", "values", values);
  validate::operand("max", "indices", indices);
  validate::same_device("max", values, x, "input");
  validate::same_device("max", values, indices, "indices");
  validate::floating("max", "input", x);
  validate::dtype_is("max", "values", values, x.dtype);
  validate::dtype_is("max", "indices", indices, DType::Int64);
  validate::contiguous("max", "values", values);
  validate::contiguous("max", "indices", indices);
  ZENGEN_CHECK(x.ndim == 0 || (dim >= 0 && dim < x.ndim), ValueError, "cuda max: dim ", dim,
               " out of range for shape ", x.shape_str());
  Part kept;
  std::int64_t rows = 1, R = 1, reduced_stride = 0;
  for (int d = 0; d < x.ndim; ++d) {
    if (d == dim) {
      R = x.sizes[d];
      reduced_stride = x.strides[d];
    } else {
      kept.push(x.sizes[d], x.strides[d]);
      rows *= x.sizes[d];
    }
  }
  ZENGEN_CHECK(R > 0, ValueError, "cuda max: dim ", dim, " of shape ", x.shape_str(), " is empty");
  ZENGEN_CHECK(values.numel() == rows && indices.numel() == rows, ShapeError, "cuda max: outputs of shape ",
               values.shape_str(), " and ", indices.shape_str(), " for ", rows, " rows of ", x.shape_str());
  if (rows == 0) return;
  DeviceScope scope(x.device);
  dispatch_float(x.dtype, "max", [&]<typename T>() {
    max_rows<<<static_cast<unsigned>(std::min<std::int64_t>(rows, kMaxBlocks)), kBlockThreads, 0,
               stream(x.device)>>>(rows, R, static_cast<const T*>(x.data), kept, reduced_stride,
                                   static_cast<T*>(values.data), static_cast<std::int64_t*>(indices.data));
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace zengen::cuda
