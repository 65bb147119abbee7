// Internal: the per-thread pieces of the implicit-GEMM kernels and the
// launch plan, as plain host/device C++ like conv_index.hpp: the tile loader
// both kernels use, the float32 kernel's register block (multiply and
// epilogue), and the choice of tile size and K split. The kernels in
// conv_kernels.cuh only put these pieces between barriers; a CPU test
// (tests/ops/conv_implicit_gemm.cpp) runs the same pieces for all 256
// threads of every block in turn, barrier by barrier, and so checks the
// kernels' tiling, not only their index math, without a GPU.
#pragma once

#include <type_traits>

#include "conv_index.hpp"

#if defined(__CUDACC__)
#define ZENGEN_UNROLL _Pragma("unroll")
#else
#define ZENGEN_UNROLL
#endif

namespace zengen::cuda::conv_gemm {

inline constexpr int kGemmThreads = 256;
/// As rows are BM + 4 floats: the loader's stores (8 k-rows by 4 m-columns
/// per warp) then hit 32 different banks, and rows stay 16-byte aligned for
/// float4 reads (and 32-byte aligned every 8 rows, as wmma needs).
inline constexpr int kAPad = 4;
/// The bf16 kernel's rows are BM + 8 and BN + 8 bfloat16s: 16 bytes of
/// padding as above, and wmma's leading dimension a multiple of 8 elements.
inline constexpr int kBf16Pad = 8;

/// The gathering half shared by both kernels: which elements of the A and B
/// tiles thread `thread` loads, held in registers between load() and store().
template <class Problem, int BM, int BN, int BK>
struct TileLoader {
  static constexpr int kARows = kGemmThreads / BK;  // A rows covered by one pass of the block
  static constexpr int kBRows = kGemmThreads / BN;  // B rows covered by one pass of the block
  static constexpr int kALoads = BM * BK / kGemmThreads;
  static constexpr int kBLoads = BK * BN / kGemmThreads;
  static_assert(kGemmThreads % BK == 0 && kGemmThreads % BN == 0 && kALoads > 0 && kBLoads > 0);
  static_assert(kARows * kALoads == BM && kBRows * kBLoads == BK, "the block covers each tile once");

  int a_k, a_m, b_k, b_n;  // this thread's first element of each tile (tile coordinates)
  int m0, k_end;
  typename Problem::Column b_column;  // fixed for the whole block: decoded once
  float a_regs[kALoads];
  float b_regs[kBLoads];

  ZENGEN_HOST_DEVICE TileLoader(const Problem& p, int tile_m0, int tile_n0, int split_k_end, int thread)
      : a_k(thread % BK), a_m(thread / BK), b_k(thread / BN), b_n(thread % BN), m0(tile_m0), k_end(split_k_end),
        b_column(p.column(tile_n0 + thread % BN)) {}

  /// Global loads of the tile starting at k0; indices past the split's end
  /// become K, which the problem reads as 0.
  ZENGEN_HOST_DEVICE void load(const Problem& p, int k0) {
    const int ka = k0 + a_k < k_end ? k0 + a_k : p.K;
    ZENGEN_UNROLL
    for (int r = 0; r < kALoads; ++r) a_regs[r] = p.a(m0 + a_m + r * kARows, ka);
    ZENGEN_UNROLL
    for (int r = 0; r < kBLoads; ++r) {
      const int kb = k0 + b_k + r * kBRows;
      b_regs[r] = p.b(p.row(kb < k_end ? kb : p.K), b_column);
    }
  }

  /// Into shared memory, both k-major: As[k][m], Bs[k][n] (arrays of rows
  /// of at least BM and BN elements; their padding is the kernel's), each
  /// value converted to the tiles' element type: float, or bfloat16 for the
  /// bf16 tensor-core kernel, which rounds its operands here.
  template <class ATile, class BTile>
  ZENGEN_HOST_DEVICE void store(ATile As, BTile Bs) const {
    using A = std::remove_cv_t<std::remove_reference_t<decltype(As[0][0])>>;
    using B = std::remove_cv_t<std::remove_reference_t<decltype(Bs[0][0])>>;
    ZENGEN_UNROLL
    for (int r = 0; r < kALoads; ++r) As[a_k][a_m + r * kARows] = static_cast<A>(a_regs[r]);
    ZENGEN_UNROLL
    for (int r = 0; r < kBLoads; ++r) Bs[b_k + r * kBRows][b_n] = static_cast<B>(b_regs[r]);
  }
};

/// The K range [begin, end) of split `split` and its number of BK tiles.
struct SplitRange {
  int begin, end, tiles;
};
ZENGEN_HOST_DEVICE SplitRange split_range(int K, int k_per_split, int split, int bk) {
  const int begin = split * k_per_split;
  const long long stop = static_cast<long long>(begin) + k_per_split;  // past int32 when K is near 2^31
  const int end = K < stop ? K : static_cast<int>(stop);
  return {begin, end, end > begin ? (end - begin + bk - 1) / bk : 0};
}

/// Writes (or, for split K, adds) one element of C.
template <bool kAtomic, class Problem>
ZENGEN_HOST_DEVICE void put(const Problem& p, float* out, int row_offset, int n, float value, float bias) {
  const int index = row_offset + p.out_column(n);
  if constexpr (kAtomic) {
#if defined(__CUDA_ARCH__)
    atomicAdd(out + index, value);
#else
    out[index] += value;
#endif
  } else {
    out[index] = value + bias;
  }
}

/// One thread of the float32 kernel: a TM x TN block of C in registers,
/// rows ty * TM.., columns tx * TN.. of the tile.
template <int BM, int BN, int BK, int TM, int TN>
struct SimtThread {
  static_assert((BM / TM) * (BN / TN) == kGemmThreads, "one TM x TN block per thread");
  static_assert(TM % 4 == 0 && TN % 4 == 0, "float4 reads from shared memory");
  int tx, ty;
  float acc[TM][TN];

  ZENGEN_HOST_DEVICE explicit SimtThread(int thread) : tx(thread % (BN / TN)), ty(thread / (BN / TN)) {
    ZENGEN_UNROLL
    for (int i = 0; i < TM; ++i)
      ZENGEN_UNROLL
      for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;
  }

  /// acc += the tile's A rows times its B columns, over the BK rows held.
  ZENGEN_HOST_DEVICE void multiply(const float (*As)[BM + kAPad], const float (*Bs)[BN]) {
    ZENGEN_UNROLL
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
      ZENGEN_UNROLL
      for (int q = 0; q < TM / 4; ++q) copy4(&a[4 * q], &As[kk][ty * TM + 4 * q]);
      ZENGEN_UNROLL
      for (int q = 0; q < TN / 4; ++q) copy4(&b[4 * q], &Bs[kk][tx * TN + 4 * q]);
      ZENGEN_UNROLL
      for (int i = 0; i < TM; ++i)
        ZENGEN_UNROLL
        for (int j = 0; j < TN; ++j) acc[i][j] = fma_f(a[i], b[j], acc[i][j]);
    }
  }

  /// The epilogue: each element inside C goes to its tensor element.
  template <bool kAtomic, class Problem>
  ZENGEN_HOST_DEVICE void write(const Problem& p, float* out, int m0, int n0) const {
    ZENGEN_UNROLL
    for (int i = 0; i < TM; ++i) {
      const int m = m0 + ty * TM + i;
      if (m >= p.M) continue;
      const int row_offset = p.out_row(m);
      const float bias = kAtomic ? 0.0f : p.bias_of(m);
      ZENGEN_UNROLL
      for (int j = 0; j < TN; ++j) {
        const int n = n0 + tx * TN + j;
        if (n < p.N) put<kAtomic>(p, out, row_offset, n, acc[i][j], bias);
      }
    }
  }

 private:
  // 16-byte shared-memory reads on the GPU (aligned: rows are multiples of 4 floats).
  static ZENGEN_HOST_DEVICE void copy4(float* dst, const float* src) {
#if defined(__CUDA_ARCH__)
    *reinterpret_cast<float4*>(dst) = *reinterpret_cast<const float4*>(src);
#else
    for (int e = 0; e < 4; ++e) dst[e] = src[e];
#endif
  }
  static ZENGEN_HOST_DEVICE float fma_f(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
  }
};

/// How one GEMM is launched: 128x128 tiles when they give at least two
/// blocks per SM, else 64x64; K cut into `splits` parts rounded to the
/// kernel's BK; grid (N tiles, M tiles, K splits).
struct GemmPlan {
  int tile, k_per_split, grid_x, grid_y, grid_z;
};

inline int ceil_div_int(long long a, long long b) { return static_cast<int>((a + b - 1) / b); }

inline bool use_large_tiles(int M, int N, int sm_count) {
  return static_cast<long long>(ceil_div_int(M, 128)) * ceil_div_int(N, 128) >= 2LL * sm_count;
}

inline GemmPlan plan_gemm(int M, int N, int K, int bk, int splits, int sm_count) {
  GemmPlan plan{};
  plan.tile = use_large_tiles(M, N, sm_count) ? 128 : 64;
  plan.k_per_split = splits > 1 ? ceil_div_int(ceil_div_int(K, splits), bk) * bk : (K > 1 ? K : 1);
  plan.grid_x = ceil_div_int(N, plan.tile);
  plan.grid_y = ceil_div_int(M, plan.tile);
  plan.grid_z = ceil_div_int(K > 1 ? K : 1, plan.k_per_split);
  return plan;
}

/// backward-weight's K split: about four blocks per SM, each split at least
/// 256 deep.
inline int weight_grad_splits(int M, int N, int K, int sm_count) {
  const int tile = use_large_tiles(M, N, sm_count) ? 128 : 64;
  const int tiles = ceil_div_int(M, tile) * ceil_div_int(N, tile);
  const int by_blocks = ceil_div_int(4LL * sm_count, tiles), by_depth = ceil_div_int(K, 256);
  const int splits = by_blocks < by_depth ? by_blocks : by_depth;
  return splits > 1 ? splits : 1;
}

}  // namespace zengen::cuda::conv_gemm
