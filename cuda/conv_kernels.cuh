// Internal: the two implicit-GEMM kernels of the convolution family, as
// templates over a problem of conv_index.hpp (forward, one backward-data
// phase, backward-weight). Both compute C[M, N] = A[M, K] B[K, N] block by
// block: a thread block owns a BM x BN tile of C and walks K in steps of BK,
// gathering the A and B tiles from the tensors into shared memory (zeros past
// the edges, so odd sizes need no special case) with one tile in flight: the
// next tile's global loads are issued into registers before the current
// tile is multiplied, and stored into the other shared-memory buffer after.
//
// - implicit_gemm_simt: 256 threads, each computing a TM x TN block of C with
//   float32 FMAs from registers (register blocking); 128x128x8 tiles with
//   8x8 per thread, or 64x64x8 with 4x4 for problems with few tiles.
// - implicit_gemm_tf32: 8 warps in a 2 x 4 grid, each owning a
//   (BM / 2) x (BN / 4) part of the tile as 16x16 wmma accumulators; BK = 16
//   (two m16n16k8 steps); operands rounded to TF32 (10-bit mantissa) as they
//   leave shared memory, products accumulated in float32. The epilogue goes
//   through a 16x16 staging buffer per warp.
//
// Split-K (blockIdx.z) gives backward-weight (small M x N, huge K) enough
// blocks: each split adds its partial tile into the zeroed output with
// atomicAdd (kAtomic), so the sum order, and the last bits, vary run to run;
// or, for deterministic algorithms, stores it into its own slice of a
// workspace (split_stride apart) that a second kernel adds in split order.
#pragma once

#include <cuda_runtime.h>
#include <mma.h>

#include <cstdint>

#include "conv_block.hpp"

namespace zengen::cuda::conv_gemm {

template <int BM, int BN, int BK, int TM, int TN, bool kAtomic, class Problem>
__global__ void __launch_bounds__(kGemmThreads) implicit_gemm_simt(const Problem p, float* __restrict__ out,
                                                                   int k_per_split, std::int64_t split_stride) {
  out += blockIdx.z * split_stride;  // a split's own slice of a workspace, or 0
  __shared__ __align__(16) float As[2][BK][BM + kAPad];
  __shared__ __align__(16) float Bs[2][BK][BN];

  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const SplitRange split = split_range(p.K, k_per_split, blockIdx.z, BK);
  TileLoader<Problem, BM, BN, BK> loader(p, m0, n0, split.end, threadIdx.x);
  SimtThread<BM, BN, BK, TM, TN> thread(threadIdx.x);

  if (split.tiles > 0) {
    loader.load(p, split.begin);
    loader.store(As[0], Bs[0]);
  }
  __syncthreads();
  for (int kt = 0; kt < split.tiles; ++kt) {
    const int buf = kt & 1;
    const bool more = kt + 1 < split.tiles;
    if (more) loader.load(p, split.begin + (kt + 1) * BK);  // in flight while we multiply
    thread.multiply(As[buf], Bs[buf]);
    // The other buffer was last read in iteration kt - 1, which every thread
    // finished before the barrier that ended it.
    if (more) loader.store(As[buf ^ 1], Bs[buf ^ 1]);
    __syncthreads();
  }
  thread.template write<kAtomic>(p, out, m0, n0);
}

template <int BM, int BN, bool kAtomic, class Problem>
__global__ void __launch_bounds__(kGemmThreads) implicit_gemm_tf32(const Problem p, float* __restrict__ out,
                                                                   int k_per_split, std::int64_t split_stride) {
  out += blockIdx.z * split_stride;  // a split's own slice of a workspace, or 0
  namespace wmma = nvcuda::wmma;
  constexpr int BK = 16;
  constexpr int kWarpsM = 2, kWarpsN = 4;
  constexpr int WM = BM / kWarpsM, WN = BN / kWarpsN;
  constexpr int FM = WM / 16, FN = WN / 16;  // 16x16 accumulator fragments per warp
  static_assert(kWarpsM * kWarpsN * 32 == kGemmThreads && FM > 0 && FN > 0);
  // wmma needs 256-bit aligned fragment pointers: every fragment starts at a
  // multiple of 16 floats along m/n and of 8 rows along k.
  __shared__ __align__(128) float As[2][BK][BM + kAPad];
  __shared__ __align__(128) float Bs[2][BK][BN];
  __shared__ __align__(128) float stage[kWarpsM * kWarpsN][16 * 16];

  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const SplitRange split = split_range(p.K, k_per_split, blockIdx.z, BK);
  TileLoader<Problem, BM, BN, BK> loader(p, m0, n0, split.end, threadIdx.x);

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm = (warp / kWarpsN) * WM, wn = (warp % kWarpsN) * WN;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  if (split.tiles > 0) {
    loader.load(p, split.begin);
    loader.store(As[0], Bs[0]);
  }
  __syncthreads();
  for (int kt = 0; kt < split.tiles; ++kt) {
    const int buf = kt & 1;
    const bool more = kt + 1 < split.tiles;
    if (more) loader.load(p, split.begin + (kt + 1) * BK);
#pragma unroll
    for (int kk = 0; kk < BK; kk += 8) {
      // A(m, k) sits at As[k][m]: column-major with leading dimension BM + kAPad.
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b[FN];
#pragma unroll
      for (int i = 0; i < FM; ++i) {
        wmma::load_matrix_sync(a[i], &As[buf][kk][wm + 16 * i], BM + kAPad);
#pragma unroll
        for (int e = 0; e < a[i].num_elements; ++e) a[i].x[e] = wmma::__float_to_tf32(a[i].x[e]);
      }
#pragma unroll
      for (int j = 0; j < FN; ++j) {
        wmma::load_matrix_sync(b[j], &Bs[buf][kk][wn + 16 * j], BN);
#pragma unroll
        for (int e = 0; e < b[j].num_elements; ++e) b[j].x[e] = wmma::__float_to_tf32(b[j].x[e]);
      }
#pragma unroll
      for (int i = 0; i < FM; ++i)
#pragma unroll
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    if (more) loader.store(As[buf ^ 1], Bs[buf ^ 1]);
    __syncthreads();
  }

  float* my_stage = stage[warp];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) {
      wmma::store_matrix_sync(my_stage, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < 16 * 16; e += 32) {
        const int m = m0 + wm + 16 * i + e / 16, n = n0 + wn + 16 * j + e % 16;
        if (m < p.M && n < p.N)
          put<kAtomic>(p, out, p.out_row(m), n, my_stage[e], kAtomic ? 0.0f : p.bias_of(m));
      }
      __syncwarp();  // the stage is rewritten by the next fragment
    }
}

}  // namespace zengen::cuda::conv_gemm
