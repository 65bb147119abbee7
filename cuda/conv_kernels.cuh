// Internal: the implicit-GEMM kernels of the convolution family, as
// templates over a problem of conv_index.hpp (forward, one backward-data
// phase, backward-weight). Each computes C[M, N] = A[M, K] B[K, N] block by
// block: a thread block owns a BM x BN tile of C and walks K in steps of BK,
// gathering the A and B tiles from the tensors into shared memory (zeros past
// the edges, so odd sizes need no special case) with one tile in flight: the
// next tile's global loads are issued into registers before the current
// tile is multiplied, and stored into the other shared-memory buffer after.
//
// - implicit_gemm_simt: 256 threads, each computing a TM x TN block of C with
//   float32 FMAs from registers (register blocking); 128x128x8 tiles with
//   8x8 per thread, or 64x64x8 with 4x4 for problems with few tiles.
// - implicit_gemm_wmma: 8 warps in a 2 x 4 grid, each owning a
//   (BM / 2) x (BN / 4) part of the tile as 16x16 wmma accumulators; BK = 16;
//   products accumulated in float32. Two operand types: TF32 (Tf32Operands:
//   float32 tiles, rounded to TF32's 10-bit mantissa as fragments leave
//   shared memory, two m16n16k8 steps per tile) and bfloat16 (Bf16Operands:
//   the loader rounds to bfloat16's 7-bit mantissa as it stores, halving the
//   tiles; one m16n16k16 step). The epilogue goes through a 16x16 staging
//   buffer per warp.
//
// Split-K (blockIdx.z) gives backward-weight (small M x N, huge K) enough
// blocks: each split adds its partial tile into the zeroed output with
// atomicAdd (kAtomic), so the sum order, and the last bits, vary run to run;
// or, for deterministic algorithms, stores it into its own slice of a
// workspace (split_stride apart) that a second kernel adds in split order.
#pragma once

#include <cuda_bf16.h>
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

// The operands of implicit_gemm_wmma: the tiles' element type in shared
// memory, their row padding, and the tensor-core shape that multiplies them.
struct Tf32Operands {
  using Shared = float;  // tiles stay float32; fragments are rounded as they leave shared memory
  using Precision = nvcuda::wmma::precision::tf32;
  static constexpr int kK = 8;  // m16n16k8
  static constexpr int kAPadding = kAPad, kBPadding = 0;
  static __device__ void round(float& v) { v = nvcuda::wmma::__float_to_tf32(v); }
};
struct Bf16Operands {
  using Shared = __nv_bfloat16;  // the loader rounds each value as it stores the tile
  using Precision = __nv_bfloat16;
  static constexpr int kK = 16;  // m16n16k16
  static constexpr int kAPadding = kBf16Pad, kBPadding = kBf16Pad;
  static __device__ void round(__nv_bfloat16&) {}
};

template <class Ops, int BM, int BN, bool kAtomic, class Problem>
__global__ void __launch_bounds__(kGemmThreads) implicit_gemm_wmma(const Problem p, float* __restrict__ out,
                                                                   int k_per_split, std::int64_t split_stride) {
  out += blockIdx.z * split_stride;  // a split's own slice of a workspace, or 0
  namespace wmma = nvcuda::wmma;
  using S = typename Ops::Shared;
  constexpr int BK = 16;
  constexpr int kWarpsM = 2, kWarpsN = 4;
  constexpr int WM = BM / kWarpsM, WN = BN / kWarpsN;
  constexpr int FM = WM / 16, FN = WN / 16;  // 16x16 accumulator fragments per warp
  constexpr int kAStride = BM + Ops::kAPadding, kBStride = BN + Ops::kBPadding;
  static_assert(kWarpsM * kWarpsN * 32 == kGemmThreads && FM > 0 && FN > 0 && BK % Ops::kK == 0);
  // wmma needs 256-bit aligned fragment pointers (every fragment starts at a
  // multiple of 16 elements along m/n, and of kK rows along k) and a leading
  // dimension of a multiple of 16 bytes.
  static_assert((Ops::kK * kAStride * sizeof(S)) % 32 == 0 && (Ops::kK * kBStride * sizeof(S)) % 32 == 0);
  static_assert((kAStride * sizeof(S)) % 16 == 0 && (kBStride * sizeof(S)) % 16 == 0);
  __shared__ __align__(128) S As[2][BK][kAStride];
  __shared__ __align__(128) S Bs[2][BK][kBStride];
  __shared__ __align__(128) float stage[kWarpsM * kWarpsN][16 * 16];

  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const SplitRange split = split_range(p.K, k_per_split, blockIdx.z, BK);
  TileLoader<Problem, BM, BN, BK> loader(p, m0, n0, split.end, threadIdx.x);

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm = (warp / kWarpsN) * WM, wn = (warp % kWarpsN) * WN;
  wmma::fragment<wmma::accumulator, 16, 16, Ops::kK, float> acc[FM][FN];
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
    for (int kk = 0; kk < BK; kk += Ops::kK) {
      // A(m, k) sits at As[k][m]: column-major with leading dimension kAStride.
      wmma::fragment<wmma::matrix_a, 16, 16, Ops::kK, typename Ops::Precision, wmma::col_major> a[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, Ops::kK, typename Ops::Precision, wmma::row_major> b[FN];
#pragma unroll
      for (int i = 0; i < FM; ++i) {
        wmma::load_matrix_sync(a[i], &As[buf][kk][wm + 16 * i], kAStride);
#pragma unroll
        for (int e = 0; e < a[i].num_elements; ++e) Ops::round(a[i].x[e]);
      }
#pragma unroll
      for (int j = 0; j < FN; ++j) {
        wmma::load_matrix_sync(b[j], &Bs[buf][kk][wn + 16 * j], kBStride);
#pragma unroll
        for (int e = 0; e < b[j].num_elements; ++e) Ops::round(b[j].x[e]);
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
