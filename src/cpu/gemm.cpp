// zengen's packed SGEMM: see gemm.hpp for the design.
#include "cpu/gemm.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

// This file is compiled once per ISA level (src/cpu/isa.hpp): the AVX2
// kernel exists in the avx2 and avx512 builds, the AVX-512 kernel in the
// avx512 build; the run-time dispatch only runs a build the CPU supports.
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define ZENGEN_GEMM_X86 1
#include <immintrin.h>
#endif
#if ZENGEN_GEMM_X86 && defined(__AVX512F__)
#define ZENGEN_GEMM_AVX512 1
#endif

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

namespace {

using Index = std::int64_t;

// ---- thread-local packing buffers ----

// 64-byte aligned, growing float buffers, one pair per thread; OpenMP keeps
// its threads, so after the first product of a size nothing is allocated.
struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
class PackBuffer {
 public:
  float* get(std::size_t count) {
    if (count > capacity_) {
      data_.reset();  // free first: never hold both
      const std::size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
      data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data_) throw std::bad_alloc();
      capacity_ = count;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<float, AlignedFree> data_;
  std::size_t capacity_ = 0;
};

struct PackBuffers {
  PackBuffer a, b;
};
PackBuffers& pack_buffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

// ---- packing ----

#if ZENGEN_GEMM_X86
// Six row-major rows (ld apart) of kc values into one 6-row panel: dst[p * 6
// + i] = row i [p]. Eight columns at a time are transposed in registers
// (an 8 x 8 transpose with two empty rows), so a column costs two stores
// instead of six scalar ones.
void pack_six_rows(const float* src, Index ld, Index kc, float* __restrict dst) {
  Index p = 0;
  for (; p + 8 <= kc; p += 8, dst += 48) {
    const __m256 r0 = _mm256_loadu_ps(src + p), r1 = _mm256_loadu_ps(src + ld + p);
    const __m256 r2 = _mm256_loadu_ps(src + 2 * ld + p), r3 = _mm256_loadu_ps(src + 3 * ld + p);
    const __m256 r4 = _mm256_loadu_ps(src + 4 * ld + p), r5 = _mm256_loadu_ps(src + 5 * ld + p);
    const __m256 zero = _mm256_setzero_ps();
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    // s*: within each 128-bit lane, four rows of one column (rows 0-3), or rows 4-5 and zeros.
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, zero, 0x44), s5 = _mm256_shuffle_ps(t4, zero, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, zero, 0x44), s7 = _mm256_shuffle_ps(t5, zero, 0xEE);
    const __m256 low[4] = {s0, s1, s2, s3}, high[4] = {s4, s5, s6, s7};
    // Column j (j < 4) is in the low lanes, column j + 4 in the high lanes.
    for (int j = 0; j < 4; ++j) {
      _mm_storeu_ps(dst + 6 * j, _mm256_castps256_ps128(low[j]));
      _mm_storel_pi(reinterpret_cast<__m64*>(dst + 6 * j + 4), _mm256_castps256_ps128(high[j]));
      _mm_storeu_ps(dst + 6 * (j + 4), _mm256_extractf128_ps(low[j], 1));
      _mm_storel_pi(reinterpret_cast<__m64*>(dst + 6 * (j + 4) + 4), _mm256_extractf128_ps(high[j], 1));
    }
  }
  for (; p < kc; ++p, dst += 6)
    for (int i = 0; i < 6; ++i) dst[i] = src[i * ld + p];
}
#endif

// Rows [i0, i0 + mc) x columns [p0, p0 + kc) of A into panels of MR rows:
// panel r holds, for each p, the MR values A[i0 + r MR + i, p0 + p] (zeros
// past the last row), so the micro-kernel reads one panel front to back.
template <int MR>
void pack_a(ConstMatrixF a, Index i0, Index p0, Index mc, Index kc, float* __restrict dst) {
  for (Index ir = 0; ir < mc; ir += MR, dst += MR * kc) {
    const Index rows = std::min<Index>(MR, mc - ir);
    const float* src = a.data + (i0 + ir) * a.row_stride + p0 * a.col_stride;
#if ZENGEN_GEMM_X86
    if constexpr (MR == 6) {  // the AVX2 kernel's panels, so the CPU has AVX2
      if (a.col_stride == 1 && rows == MR) {
        pack_six_rows(src, a.row_stride, kc, dst);
        continue;
      }
    }
#endif
    if (a.row_stride == 1 && rows == MR) {  // column-major (a transposed view): MR contiguous values per p
      for (Index p = 0; p < kc; ++p) {
        const float* __restrict s = src + p * a.col_stride;
        for (int i = 0; i < MR; ++i) dst[p * MR + i] = s[i];
      }
      continue;
    }
    for (Index i = 0; i < rows; ++i) {  // row-major rows are read contiguously
      const float* __restrict s = src + i * a.row_stride;
      if (a.col_stride == 1) {
        for (Index p = 0; p < kc; ++p) dst[p * MR + i] = s[p];
      } else {
        for (Index p = 0; p < kc; ++p) dst[p * MR + i] = s[p * a.col_stride];
      }
    }
    for (Index i = rows; i < MR; ++i)
      for (Index p = 0; p < kc; ++p) dst[p * MR + i] = 0.0f;
  }
}

// Rows [p0, p0 + kc) x columns [j0, j0 + nc) of B into panels of NR
// columns: panel j holds, for each p, the NR values B[p0 + p, j0 + j NR + t]
// (zeros past the last column).
template <int NR>
void pack_b(ConstMatrixF b, Index p0, Index j0, Index kc, Index nc, float* __restrict dst) {
  for (Index jr = 0; jr < nc; jr += NR, dst += NR * kc) {
    const Index cols = std::min<Index>(NR, nc - jr);
    const float* src = b.data + p0 * b.row_stride + (j0 + jr) * b.col_stride;
    if (b.col_stride == 1) {  // row-major rows: NR contiguous values per p
      if (cols == NR) {
        for (Index p = 0; p < kc; ++p) {
          const float* __restrict s = src + p * b.row_stride;
          for (int t = 0; t < NR; ++t) dst[p * NR + t] = s[t];
        }
      } else {
        for (Index p = 0; p < kc; ++p) {
          const float* __restrict s = src + p * b.row_stride;
          for (Index t = 0; t < cols; ++t) dst[p * NR + t] = s[t];
          for (Index t = cols; t < NR; ++t) dst[p * NR + t] = 0.0f;
        }
      }
      continue;
    }
    for (Index t = 0; t < cols; ++t) {  // e.g. a transposed view: columns are contiguous
      const float* __restrict s = src + t * b.col_stride;
      if (b.row_stride == 1) {
        for (Index p = 0; p < kc; ++p) dst[p * NR + t] = s[p];
      } else {
        for (Index p = 0; p < kc; ++p) dst[p * NR + t] = s[p * b.row_stride];
      }
    }
    for (Index t = cols; t < NR; ++t)
      for (Index p = 0; p < kc; ++p) dst[p * NR + t] = 0.0f;
  }
}

// ---- micro-kernels ----
//
// tile(kc, a, b, c, ldc, alpha, beta): the MR x NR tile
//   C = alpha * (packed A panel [MR, kc]) (packed B panel [kc, NR]) + beta * C,
// with C read only when beta != 0.

#if ZENGEN_GEMM_X86

struct Avx2Kernel {
  static constexpr int MR = 6, NR = 16;
  // KC: a B panel (KC x NR = 16 KiB) and an A panel (6 KiB) share the 32 KiB
  // L1. MC: the packed A block (MC x KC = 144 KiB) stays in the 512 KiB L2.
  // NC: the packed B block (KC x NC, 4 MiB) stays in L3.
  static constexpr Index KC = 256, MC = 144, NC = 4080;

  // The first ROWS rows of the tile (the rest of the A panel is zero
  // padding): a tile of fewer rows than MR writes straight into C, with
  // ROWS x 2 accumulators, instead of a full tile into a buffer.
  template <int ROWS>
  __attribute__((noinline)) static void tile_n(Index kc, const float* __restrict a, const float* __restrict b,
                                               float* c, Index ldc, float alpha, float beta) {
    // C's rows are far apart (often beyond L2): start fetching them now so
    // that they are in L1 when the products are added, after the k loop.
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
    __m256 acc[ROWS][2];
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
    for (Index p = 0; p < kc; ++p) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
      for (int i = 0; i < ROWS; ++i) {
        const __m256 ai = _mm256_broadcast_ss(a + i);
        acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
      }
      a += MR;
      b += NR;
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
      }
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    }
  }

  static void tile(Index kc, const float* a, const float* b, float* c, Index ldc, float alpha, float beta) {
    tile_n<MR>(kc, a, b, c, ldc, alpha, beta);
  }
  static constexpr bool kRowTiles = true;
  static void tile_rows(int rows, Index kc, const float* a, const float* b, float* c, Index ldc, float alpha,
                        float beta) {
    switch (rows) {
      case 1: return tile_n<1>(kc, a, b, c, ldc, alpha, beta);
      case 2: return tile_n<2>(kc, a, b, c, ldc, alpha, beta);
      case 3: return tile_n<3>(kc, a, b, c, ldc, alpha, beta);
      case 4: return tile_n<4>(kc, a, b, c, ldc, alpha, beta);
      default: return tile_n<5>(kc, a, b, c, ldc, alpha, beta);
    }
  }
};

#if ZENGEN_GEMM_AVX512
struct Avx512Kernel {
  static constexpr int MR = 12, NR = 32;
  static constexpr bool kRowTiles = false;  // its edge tiles go through the buffer
  static void tile_rows(int, Index, const float*, const float*, float*, Index, float, float) {}
  static constexpr Index KC = 256, MC = 144, NC = 4096;

  static void tile(Index kc, const float* __restrict a, const float* __restrict b, float* c, Index ldc,
                   float alpha, float beta) {
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {  // as in the AVX2 kernel
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NR - 1), _MM_HINT_T0);
    }
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (Index p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
      }
      a += MR;
      b += NR;
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), r1);
      }
      _mm512_storeu_ps(ci, r0);
      _mm512_storeu_ps(ci + 16, r1);
    }
  }
};

#endif  // ZENGEN_GEMM_AVX512
#endif  // ZENGEN_GEMM_X86

// ---- the packed loops on one rectangle of C, on the calling thread ----

struct Problem {
  Index m, n, k;
  float alpha;
  ConstMatrixF a, b;
  float beta;
  float* c;
  Index ldc;
};

// C[m, n] = alpha A B + beta C with the operands supplied block by block:
// a_block(ic, pc, mc, kc) returns rows [ic, ic + mc) x depth [pc, pc + kc)
// of A packed in MR-row panels (packing them, or pointing into A packed
// once); pack_b(pc, kc, jc, nc, dst) writes that slice of B as NR-wide
// panels.
template <typename Kernel, typename ABlock, typename PackB>
void gemm_loops(Index m, Index n, Index k, float alpha, float beta_c, float* c_out, Index ldc, ABlock&& a_block,
                PackB&& pack_b) {
  constexpr int MR = Kernel::MR, NR = Kernel::NR;
  constexpr Index KC = Kernel::KC, MC = Kernel::MC, NC = Kernel::NC;
  const Index nc_max = std::min(NC, (n + NR - 1) / NR * NR), kc_max = std::min(KC, k);
  float* packed_b = pack_buffers().b.get(static_cast<std::size_t>(kc_max * nc_max));
  alignas(64) float edge[MR * NR];

  for (Index jc = 0; jc < n; jc += NC) {
    const Index nc = std::min(NC, n - jc);
    for (Index pc = 0; pc < k; pc += KC) {
      const Index kc = std::min(KC, k - pc);
      // The first slice of k applies beta; the later ones add to it.
      const float beta = pc == 0 ? beta_c : 1.0f;
      pack_b(pc, kc, jc, nc, packed_b);
      for (Index ic = 0; ic < m; ic += MC) {
        const Index mc = std::min(MC, m - ic);
        const float* packed_a = a_block(ic, pc, mc, kc);
        for (Index jr = 0; jr < nc; jr += NR) {
          const Index cols = std::min<Index>(NR, nc - jr);
          const float* pb = packed_b + jr * kc;
          for (Index ir = 0; ir < mc; ir += MR) {
            const Index rows = std::min<Index>(MR, mc - ir);
            const float* pa = packed_a + ir * kc;
            float* c = c_out + (ic + ir) * ldc + jc + jr;
            if (rows == MR && cols == NR) {
              Kernel::tile(kc, pa, pb, c, ldc, alpha, beta);
              continue;
            }
            if (Kernel::kRowTiles && cols == NR) {  // the last rows of C: only those
              Kernel::tile_rows(static_cast<int>(rows), kc, pa, pb, c, ldc, alpha, beta);
              continue;
            }
            // An edge tile: the full tile into a buffer, then its valid part.
            Kernel::tile(kc, pa, pb, edge, NR, 1.0f, 0.0f);
            for (Index i = 0; i < rows; ++i)
              for (Index j = 0; j < cols; ++j) {
                const float v = alpha * edge[i * NR + j];
                c[i * ldc + j] = beta == 0.0f ? v : v + beta * c[i * ldc + j];
              }
          }
        }
      }
    }
  }
}

// The packed loops with A packed block by block (pr.b unused when pack_b
// writes B's panels itself).
template <typename Kernel, typename PackB>
void gemm_serial(const Problem& pr, PackB&& pack_b) {
  constexpr int MR = Kernel::MR;
  const Index mc_max = std::min(Kernel::MC, (pr.m + MR - 1) / MR * MR), kc_max = std::min(Kernel::KC, pr.k);
  float* packed_a = pack_buffers().a.get(static_cast<std::size_t>(kc_max * mc_max));
  gemm_loops<Kernel>(
      pr.m, pr.n, pr.k, pr.alpha, pr.beta, pr.c, pr.ldc,
      [&](Index ic, Index pc, Index mc, Index kc) {
        pack_a<MR>(pr.a, ic, pc, mc, kc, packed_a);
        return static_cast<const float*>(packed_a);
      },
      std::forward<PackB>(pack_b));
}

template <typename Kernel>
void gemm_serial(const Problem& pr) {
  gemm_serial<Kernel>(
      pr, [&](Index pc, Index kc, Index jc, Index nc, float* dst) { pack_b<Kernel::NR>(pr.b, pc, jc, kc, nc, dst); });
}

// C = beta C (only written when beta == 0): a product with no terms.
void scale_c(Index m, Index n, float beta, float* c, Index ldc) {
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

// ---- threads: one rectangle of C per thread ----

struct Grid {
  int rows = 1, cols = 1;  // threads along m and along n
};

// The grid of at most `threads` rectangles (whole micro-tiles each) whose
// largest rectangle is smallest; ties go to splitting n (each thread then
// packs only its own columns of B, and A — usually the smaller operand — is
// what gets packed twice).
[[maybe_unused]] Grid thread_grid(Index m, Index n, int MR, int NR, int threads) {  // unused without a packed kernel
  const Index tiles_m = (m + MR - 1) / MR, tiles_n = (n + NR - 1) / NR;
  Grid best;
  Index best_cost = tiles_m * tiles_n;
  for (int t = threads; t >= 2; --t)
    for (int tm = 1; tm <= t; ++tm) {
      if (t % tm != 0) continue;
      const int tn = t / tm;
      if (tm > tiles_m || tn > tiles_n) continue;
      const Index cost = ((tiles_m + tm - 1) / tm) * ((tiles_n + tn - 1) / tn);
      if (cost < best_cost || (cost == best_cost && tm * tn == best.rows * best.cols && tn > best.cols)) {
        best = {tm, tn};
        best_cost = cost;
      }
    }
  return best;
}

// Products below this many multiply-adds run on one thread: a fork/join
// (tens of microseconds with passive waiting) would eat the gain.
constexpr double kParallelMinWork = 3e6;

int gemm_threads(const Problem& pr, int requested) {
  if (omp_in_parallel()) return 1;
  const int available = omp_get_max_threads();
  if (requested > 0) return std::min(requested, available);
  const double work = static_cast<double>(pr.m) * static_cast<double>(pr.n) * static_cast<double>(pr.k);
  return work < kParallelMinWork ? 1 : available;
}

template <typename Kernel>
void gemm_packed(const Problem& pr, int requested_threads) {
  const int threads = gemm_threads(pr, requested_threads);
  const Grid grid = threads > 1 ? thread_grid(pr.m, pr.n, Kernel::MR, Kernel::NR, threads) : Grid{};
  if (grid.rows * grid.cols == 1) {
    gemm_serial<Kernel>(pr);
    return;
  }
  const Index tiles_m = (pr.m + Kernel::MR - 1) / Kernel::MR, tiles_n = (pr.n + Kernel::NR - 1) / Kernel::NR;
#pragma omp parallel num_threads(grid.rows * grid.cols)
  {
    const int t = omp_get_thread_num();
    const Index tr = t / grid.cols, tc = t % grid.cols;
    const Index i0 = std::min(pr.m, tiles_m * tr / grid.rows * Kernel::MR);
    const Index i1 = std::min(pr.m, tiles_m * (tr + 1) / grid.rows * Kernel::MR);
    const Index j0 = std::min(pr.n, tiles_n * tc / grid.cols * Kernel::NR);
    const Index j1 = std::min(pr.n, tiles_n * (tc + 1) / grid.cols * Kernel::NR);
    if (i0 < i1 && j0 < j1) {
      Problem part = pr;
      part.m = i1 - i0;
      part.n = j1 - j0;
      part.a.data = pr.a.data + i0 * pr.a.row_stride;
      part.b.data = pr.b.data + j0 * pr.b.col_stride;
      part.c = pr.c + i0 * pr.ldc + j0;
      gemm_serial<Kernel>(part);
    }
  }
}

// ---- the fallback: Eigen ----

// A strided view as an Eigen map without a copy: row-major or column-major
// with an outer stride where one stride is 1 (Eigen's GEMM then packs
// straight from memory), otherwise with both strides.
template <int Order>
using PlainMap = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Order>, Eigen::Unaligned,
                            Eigen::OuterStride<>>;
using StridedMap = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                              Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
using OutMap = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, Eigen::Unaligned,
                          Eigen::OuterStride<>>;

template <typename F>
void with_eigen_map(ConstMatrixF x, Index rows, Index cols, F&& f) {
  if (x.col_stride == 1 && x.row_stride >= cols)
    f(PlainMap<Eigen::RowMajor>(x.data, rows, cols, Eigen::OuterStride<>(x.row_stride)));
  else if (x.row_stride == 1 && x.col_stride >= rows)
    f(PlainMap<Eigen::ColMajor>(x.data, rows, cols, Eigen::OuterStride<>(x.col_stride)));
  else
    f(StridedMap(x.data, rows, cols, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(x.row_stride, x.col_stride)));
}

void gemm_eigen(const Problem& pr, int requested_threads) {
  OutMap C(pr.c, pr.m, pr.n, Eigen::OuterStride<>(pr.ldc));
  // Eigen threads a product over omp_get_max_threads() outside a parallel region.
  const int previous = omp_get_max_threads();
  if (requested_threads > 0) omp_set_num_threads(std::min(requested_threads, previous));
  with_eigen_map(pr.a, pr.m, pr.k, [&](const auto& A) {
    with_eigen_map(pr.b, pr.k, pr.n, [&](const auto& B) {
      if (pr.beta == 0.0f) {
        C.noalias() = pr.alpha * (A * B);
      } else {
        if (pr.beta != 1.0f) C *= pr.beta;
        C.noalias() += pr.alpha * (A * B);
      }
    });
  });
  if (requested_threads > 0) omp_set_num_threads(previous);
}

// The kernels this build holds (the dispatch runs it only on a CPU that has them).
constexpr bool cpu_has_avx2_fma() {
#if ZENGEN_GEMM_X86
  return true;
#else
  return false;
#endif
}

constexpr bool cpu_has_avx512f() {
#if ZENGEN_GEMM_AVX512
  return true;
#else
  return false;
#endif
}

}  // namespace

bool gemm_kernel_available(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::Auto:
    case GemmKernel::Eigen: return true;
    case GemmKernel::Avx2: return cpu_has_avx2_fma();
    case GemmKernel::Avx512: return cpu_has_avx512f();
  }
  return false;
}

GemmKernel gemm_best_kernel() {
  if (cpu_has_avx512f()) return GemmKernel::Avx512;
  if (cpu_has_avx2_fma()) return GemmKernel::Avx2;
  return GemmKernel::Eigen;
}

std::string_view gemm_kernel_name(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::Auto: return "auto";
    case GemmKernel::Avx2: return "avx2 6x16";
    case GemmKernel::Avx512: return "avx512 12x32";
    case GemmKernel::Eigen: return "eigen";
  }
  return "?";
}

void sgemm(Index m, Index n, Index k, float alpha, ConstMatrixF a, ConstMatrixF b, float beta, float* c, Index ldc,
           GemmOptions options) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {  // no products: C = beta C
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const Problem pr{m, n, k, alpha, a, b, beta, c, ldc};
  GemmKernel kernel = options.kernel == GemmKernel::Auto ? gemm_best_kernel() : options.kernel;
  if (!gemm_kernel_available(kernel)) kernel = GemmKernel::Eigen;
  switch (kernel) {
#if ZENGEN_GEMM_X86
#if ZENGEN_GEMM_AVX512
    case GemmKernel::Avx512: gemm_packed<Avx512Kernel>(pr, options.threads); return;
#endif
    case GemmKernel::Avx2: gemm_packed<Avx2Kernel>(pr, options.threads); return;
#endif
    default: gemm_eigen(pr, options.threads); return;
  }
}


// ---- A packed once ----
//
// Layout: the k slices of KC one after another; slice pc (starting at depth
// pc) holds all rows as MR-row panels, so rows [ic, ic + mc) of it start at
// pc * rows_padded + ic * kc, where gemm_loops looks for them.

GemmKernel gemm_packed_kernel(GemmKernel kernel) {
  if (kernel == GemmKernel::Auto) kernel = gemm_best_kernel();
  return (kernel == GemmKernel::Avx2 || kernel == GemmKernel::Avx512) && gemm_kernel_available(kernel)
             ? kernel
             : GemmKernel::Eigen;
}

#if ZENGEN_GEMM_X86

namespace {

// Work items: (slice, chunk of kChunkPanels row panels), split over threads.
template <typename Kernel>
void pack_whole_a(std::vector<float>& data, Index m, Index k, ConstMatrixF a, int threads) {
  constexpr Index kChunkRows = 8 * Kernel::MR;
  const Index rows_padded = (m + Kernel::MR - 1) / Kernel::MR * Kernel::MR;
  data.resize(static_cast<std::size_t>(rows_padded * k));
  float* out = data.data();
  const Index chunks = (m + kChunkRows - 1) / kChunkRows, slices = (k + Kernel::KC - 1) / Kernel::KC;
  if (omp_in_parallel()) threads = 1;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (Index item = 0; item < slices * chunks; ++item) {
    const Index pc = item / chunks * Kernel::KC, ic = item % chunks * kChunkRows;
    const Index kc = std::min(Kernel::KC, k - pc);
    pack_a<Kernel::MR>(a, ic, pc, std::min(kChunkRows, m - ic), kc, out + pc * rows_padded + ic * kc);
  }
}

template <typename Kernel, typename PackB>
void prepacked_product(const PackedMatrixA& a, Index n, PackB&& pack_b, float beta, float* c, Index ldc) {
  const Index m = a.rows(), k = a.depth();
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const Index rows_padded = (m + Kernel::MR - 1) / Kernel::MR * Kernel::MR;
  const float* packed = PackedAccess::data(a).data();
  gemm_loops<Kernel>(
      m, n, k, 1.0f, beta, c, ldc,
      [&](Index ic, Index pc, Index, Index kc) { return packed + pc * rows_padded + ic * kc; },
      std::forward<PackB>(pack_b));
}

template <typename PackB>
void prepacked_dispatch(const PackedMatrixA& a, Index n, PackB&& pack_b, float beta, float* c, Index ldc) {
  switch (a.kernel()) {
    case GemmKernel::Avx2: return prepacked_product<Avx2Kernel>(a, n, pack_b, beta, c, ldc);
#if ZENGEN_GEMM_AVX512
    case GemmKernel::Avx512: return prepacked_product<Avx512Kernel>(a, n, pack_b, beta, c, ldc);
#endif
    default: throw std::logic_error("sgemm_prepacked: the matrix was not packed (no packed kernel on this CPU)");
  }
}

}  // namespace

int gemm_panel_width(GemmKernel kernel) {
  switch (gemm_packed_kernel(kernel)) {
    case GemmKernel::Avx2: return Avx2Kernel::NR;
#if ZENGEN_GEMM_AVX512
    case GemmKernel::Avx512: return Avx512Kernel::NR;
#endif
    default: return 0;
  }
}

void pack_matrix_a(PackedMatrixA& dst, Index m, Index k, ConstMatrixF a, GemmKernel kernel, int threads) {
  kernel = gemm_packed_kernel(kernel);
  auto& data = PackedAccess::data(dst);
  switch (kernel) {
    case GemmKernel::Avx2: pack_whole_a<Avx2Kernel>(data, m, k, a, threads); break;
#if ZENGEN_GEMM_AVX512
    case GemmKernel::Avx512: pack_whole_a<Avx512Kernel>(data, m, k, a, threads); break;
#endif
    default: throw std::logic_error("pack_matrix_a: no packed GEMM kernel on this CPU (use sgemm)");
  }
  PackedAccess::set(dst, kernel, m, k);
}

void sgemm_prepacked(const PackedMatrixA& a, Index n, PanelPacker pack_b, float beta, float* c, Index ldc) {
  const int nr = gemm_panel_width(a.kernel());
  prepacked_dispatch(
      a, n, [&](Index pc, Index kc, Index jc, Index nc, float* dst) { pack_b(pc, kc, jc, nc, nr, dst); }, beta, c,
      ldc);
}

void sgemm_prepacked(const PackedMatrixA& a, Index n, ConstMatrixF b, float beta, float* c, Index ldc) {
  [[maybe_unused]] const bool wide = a.kernel() == GemmKernel::Avx512;  // only the avx512 build has the wide panels
  prepacked_dispatch(
      a, n,
      [&](Index pc, Index kc, Index jc, Index nc, float* dst) {
#if ZENGEN_GEMM_AVX512
        if (wide) return pack_b<Avx512Kernel::NR>(b, pc, jc, kc, nc, dst);
#endif
        pack_b<Avx2Kernel::NR>(b, pc, jc, kc, nc, dst);
      },
      beta, c, ldc);
}

void sgemm_panels(Index m, Index n, Index k, ConstMatrixF a, PanelPacker pack_b, float beta, float* c, Index ldc,
                  GemmKernel kernel) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const Problem pr{m, n, k, 1.0f, a, {nullptr, 0, 0}, beta, c, ldc};
  kernel = gemm_packed_kernel(kernel);
  const int nr = gemm_panel_width(kernel);
  auto panels = [&](Index pc, Index kc, Index jc, Index nc, float* dst) { pack_b(pc, kc, jc, nc, nr, dst); };
  switch (kernel) {
    case GemmKernel::Avx2: return gemm_serial<Avx2Kernel>(pr, panels);
#if ZENGEN_GEMM_AVX512
    case GemmKernel::Avx512: return gemm_serial<Avx512Kernel>(pr, panels);
#endif
    default: throw std::logic_error("sgemm_panels: no packed GEMM kernel on this CPU (use sgemm)");
  }
}

#else  // no packed kernels: gemm_packed_kernel() is always Eigen

int gemm_panel_width(GemmKernel) { return 0; }
void pack_matrix_a(PackedMatrixA&, Index, Index, ConstMatrixF, GemmKernel, int) {
  throw std::logic_error("pack_matrix_a: no packed GEMM kernel on this CPU (use sgemm)");
}
void sgemm_prepacked(const PackedMatrixA&, Index, PanelPacker, float, float*, Index) {
  throw std::logic_error("sgemm_prepacked: no packed GEMM kernel on this CPU (use sgemm)");
}
void sgemm_prepacked(const PackedMatrixA&, Index, ConstMatrixF, float, float*, Index) {
  throw std::logic_error("sgemm_prepacked: no packed GEMM kernel on this CPU (use sgemm)");
}
void sgemm_panels(Index, Index, Index, ConstMatrixF, PanelPacker, float, float*, Index, GemmKernel) {
  throw std::logic_error("sgemm_panels: no packed GEMM kernel on this CPU (use sgemm)");
}

#endif

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
