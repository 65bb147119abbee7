// Inside the CUDA backend: deterministic row reductions, shared by the
// reduction launchers (sum, max) and the fused losses.
//
// A reduction is seen as a matrix [M, R]: M output rows, each the sum of R
// terms, where term(m, r) is a functor (a strided element, a loss term, ...).
// Each row is split into `chunks` of at most kChunk terms; one 256-thread
// block sums one (row, chunk): each thread accumulates a strided slice in
// double, then the block combines the 256 values with warp shuffles
// (__shfl_down_sync, 5 steps per warp) and one shared-memory step across
// the 8 warps. With one chunk the block writes the row's result; otherwise
// the chunks' partial sums go to a scratch buffer and a second kernel adds
// them in chunk order. No atomics, and the split depends only on R, so a
// result is the same bit for bit on every run and every GPU (the
// deterministic order is the only order).
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "loops.cuh"
#include "runtime.hpp"

namespace zengen::cuda {

/// Most terms one block sums.
inline constexpr std::int64_t kChunk = 16384;

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

/// The sum of v over the block (blockDim.x a multiple of 32, at most 1024);
/// valid in thread 0.
template <typename T>
__device__ __forceinline__ T block_sum(T v) {
  __shared__ T warp_sums[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? warp_sums[lane] : T(0);
  if (warp == 0) v = warp_sum(v);
  __syncthreads();  // warp_sums may be reused by a next call
  return v;
}

/// The largest v over the block, as block_sum (valid in thread 0); NaN
/// wins, so a NaN row gives a NaN result as on the CPU.
template <typename T>
__device__ __forceinline__ T block_max(T v) {
  __shared__ T warp_max[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  auto larger = [](T a, T b) { return (a != a || a > b) ? a : b; };
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v = larger(v, __shfl_down_sync(0xffffffffu, v, offset));
  if (lane == 0) warp_max[warp] = v;
  __syncthreads();
  v = threadIdx.x < blockDim.x / 32 ? warp_max[lane] : warp_max[0];
  if (warp == 0) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v = larger(v, __shfl_down_sync(0xffffffffu, v, offset));
  }
  __syncthreads();
  return v;
}

/// A softmax row's statistics, computed by the whole block and valid in
/// every thread: the row's max (NaN wins) and log(sum(exp(v - max))), the
/// sum taken in double (log_sum_wide: its log before rounding to T).
template <typename T>
struct SoftmaxRow {
  T max;
  T log_sum;
  double log_sum_wide;
};
template <typename T>
__device__ __forceinline__ SoftmaxRow<T> block_softmax_row(const T* row, std::int64_t n) {
  __shared__ T row_max;
  __shared__ double row_log_sum;
  T m = -INFINITY;
  for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) m = (row[j] != row[j] || row[j] > m) ? row[j] : m;
  m = block_max(m);
  if (threadIdx.x == 0) row_max = m;
  __syncthreads();
  m = row_max;
  double sum = 0.0;
  for (std::int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += static_cast<double>(exp(row[j] - m));
  sum = block_sum(sum);
  if (threadIdx.x == 0) row_log_sum = log(sum);
  __syncthreads();
  return {m, static_cast<T>(row_log_sum), row_log_sum};
}

namespace kernels {

/// Block (row m, chunk c) of the grid; writes out[m] (one chunk) or
/// partial[m * chunks + c].
template <typename Out, typename Term>
__global__ void reduce_rows(std::int64_t rows, std::int64_t R, std::int64_t chunks, Term term, Out* out,
                            double* partial, double scale) {
  const std::int64_t block = blockIdx.x;
  const std::int64_t m = block / chunks, c = block % chunks;
  const std::int64_t begin = c * kChunk;
  const std::int64_t end = begin + kChunk < R ? begin + kChunk : R;
  double acc = 0.0;
  for (std::int64_t r = begin + threadIdx.x; r < end; r += blockDim.x) acc += static_cast<double>(term(m, r));
  acc = block_sum(acc);
  if (threadIdx.x == 0) {
    if (chunks == 1)
      out[m] = static_cast<Out>(acc * scale);
    else
      partial[m * chunks + c] = acc;
  }
}

/// One thread per row adds its chunks' partial sums in order.
template <typename Out>
__global__ void finish_rows(std::int64_t rows, std::int64_t chunks, const double* partial, Out* out, double scale) {
  for (std::int64_t m = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; m < rows;
       m += std::int64_t{gridDim.x} * blockDim.x) {
    double acc = 0.0;
    for (std::int64_t c = 0; c < chunks; ++c) acc += partial[m * chunks + c];
    out[m] = static_cast<Out>(acc * scale);
  }
}

}  // namespace kernels

/// out[m] = scale * sum_r term(m, r) for m < rows (out contiguous on
/// `device`). Issued on the device's stream; no host synchronisation.
template <typename Out, typename Term>
void launch_reduce_rows(int device, std::int64_t rows, std::int64_t R, Term term, Out* out, double scale) {
  if (rows == 0) return;
  DeviceScope scope(device);
  cudaStream_t st = stream(device);
  const std::int64_t chunks = R <= kChunk ? 1 : (R + kChunk - 1) / kChunk;
  ZENGEN_CHECK(rows * chunks < (std::int64_t{1} << 31), ShapeError, "cuda reduction: ", rows, " rows of ", R,
               " terms is too large for one launch");
  double* partial = nullptr;
  const std::size_t partial_bytes = static_cast<std::size_t>(rows * chunks) * sizeof(double);
  if (chunks > 1) partial = static_cast<double*>(allocate(partial_bytes, device));
  kernels::reduce_rows<<<static_cast<unsigned>(rows * chunks), kBlockThreads, 0, st>>>(rows, R, chunks, term, out,
                                                                                        partial, scale);
  ZENGEN_CUDA_CHECK(cudaGetLastError());
  if (chunks > 1) {
    kernels::finish_rows<<<blocks_for(rows), kBlockThreads, 0, st>>>(rows, chunks, partial, out, scale);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
    deallocate(partial, partial_bytes, device);  // reused only by later work on this stream
  }
}

}  // namespace zengen::cuda
