#include "cpu/conv.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

#include "cpu/gemm.hpp"

// Compiled once per ISA level (src/cpu/isa.hpp): the AVX2 helpers exist in
// the avx2 and avx512 builds.
#if defined(__x86_64__) && defined(__AVX2__)
#define ZENGEN_CONV_X86 1
#include <immintrin.h>
#endif

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
namespace {

#if ZENGEN_CONV_X86
// col2im at stride 2: d[2 t] += a[t], d[2 t + 1] += b[t] for t < 8 (taps j
// and j + 1 of one output row), the two rows interleaved in registers.
// Short runs (8-wide output rows) are most of a small layer's col2im, and
// the compiler's loop spends them in its prologue and epilogue.
void add_pairs8(float* __restrict d, const float* __restrict a,
                                                 const float* __restrict b) {
  const __m256 va = _mm256_loadu_ps(a), vb = _mm256_loadu_ps(b);
  const __m256 lo = _mm256_unpacklo_ps(va, vb), hi = _mm256_unpackhi_ps(va, vb);  // a0 b0 a1 b1 | a4 b4 a5 b5
  _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), _mm256_permute2f128_ps(lo, hi, 0x20)));
  _mm256_storeu_ps(d + 8, _mm256_add_ps(_mm256_loadu_ps(d + 8), _mm256_permute2f128_ps(lo, hi, 0x31)));
}
// The same for t < 4.
void add_pairs4(float* __restrict d, const float* __restrict a,
                                                 const float* __restrict b) {
  const __m128 va = _mm_loadu_ps(a), vb = _mm_loadu_ps(b);
  _mm_storeu_ps(d, _mm_add_ps(_mm_loadu_ps(d), _mm_unpacklo_ps(va, vb)));
  _mm_storeu_ps(d + 4, _mm_add_ps(_mm_loadu_ps(d + 4), _mm_unpackhi_ps(va, vb)));
}

constexpr bool vector_col2im() { return true; }
#endif

}  // namespace
}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {


namespace {

using Index = std::int64_t;

// ---- matrices over raw memory (row-major, leading dimension ld) ----

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MatrixMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using ConstMatrixMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T>
MatrixMap<T> matrix(T* p, Index rows, Index cols, Index ld) {
  return MatrixMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}
template <typename T>
ConstMatrixMap<T> matrix(const T* p, Index rows, Index cols, Index ld) {
  return ConstMatrixMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}

// C[m, n] (row-major, leading dimension ldc) = A[m, k] B[k, n] (+ C when
// accumulate), single-threaded (the callers split the work themselves). A
// and B are strided views (row stride, column stride): float32 runs
// zengen's packed SGEMM, which reads transposed operands in place; float64
// maps them onto Eigen.
// `threads` 0 lets the GEMM split itself (outside any parallel region).
template <typename T>
void gemm(Index m, Index n, Index k, const T* a, Index a_rs, Index a_cs, const T* b, Index b_rs, Index b_cs,
          bool accumulate, T* c, Index ldc, int threads = 1) {
  if constexpr (std::is_same_v<T, float>) {
    sgemm(m, n, k, 1.0f, {a, a_rs, a_cs}, {b, b_rs, b_cs}, accumulate ? 1.0f : 0.0f, c, ldc,
          {.threads = threads, .kernel = conv_tuning().gemm_kernel});
  } else {
    using Strided = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
    const Strided A(a, m, k, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(a_rs, a_cs));
    const Strided B(b, k, n, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(b_rs, b_cs));
    auto C = matrix(c, m, n, ldc);
    if (accumulate) C.noalias() += A * B;
    else C.noalias() = A * B;
  }
}

// ---- workspace ----

// Thread-local growing buffers, one per Slot. OpenMP keeps its worker threads
// alive, so the buffers are reused from call to call; they grow to the
// largest request (a column block is bounded by conv_tuning().col_block_bytes
// unless one column of the patch is larger) and are freed when the thread
// ends.
enum Slot : std::size_t {
  kColumns,    // a column block
  kPadded,     // the zero-padded input rows a column block reads
  kWeightAux,  // a partial weight gradient, or the transposed weight
  kGathered,   // grouped images: their output (gradient) side side by side
  kSlots
};

template <typename T>
T* workspace(Slot slot, std::size_t count) {
  thread_local std::array<std::vector<T>, kSlots> buffers;
  std::vector<T>& b = buffers[slot];
  if (b.size() < count) {
    std::vector<T>().swap(b);  // free first: never hold both
    b.resize(count);
  }
  return b.data();
}

// ---- index arithmetic ----

Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
Index ceil_div(Index a, Index b) { return -floor_div(-a, b); }

// True when the column matrix is the input itself ([C, H W]): a 1x1 kernel
// with stride 1, no padding and the full output.
bool pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// True when the window covers the whole input and there is one output
// position (DCGAN's 1x1 <-> 4x4 layers): an image's column is the image
// itself, and each direction is one GEMM over the whole batch (a fully
// connected layer), instead of per-tap copies of single elements.
bool whole_image(const ConvGeometry& g) {
  return g.out_h == 1 && g.out_w == 1 && g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
         g.kernel_h == g.in_h && g.kernel_w == g.in_w;
}

// Output positions per column block.
Index block_positions(const ConvGeometry& g, std::size_t element) {
  const Index P = g.positions();
  const Index row_bytes = std::max<Index>(1, g.patch() * static_cast<Index>(element));
  const Index fit = static_cast<Index>(conv_tuning().col_block_bytes) / row_bytes;
  return std::clamp<Index>(fit, std::min<Index>(P, 16), std::max<Index>(P, 1));
}

// ---- im2col / col2im on a block of output positions ----
//
// Both work on the zero-padded input, so every window lies inside it and
// the inner loops are plain strided copies with no bounds checks. Without
// padding that is the input itself; otherwise a block first copies the
// input rows it reads into a padded buffer (col2im: adds them back after).

// d[t] = s[t * stride] for t < n (and its adjoint, s[t * stride] += d[t]),
// with the common strides 1 and 2 known at compile time so they vectorise.
template <typename T>
inline void gather(T* __restrict d, const T* __restrict s, Index n, Index stride) {
  if (stride == 1) {
    for (Index t = 0; t < n; ++t) d[t] = s[t];
  } else if (stride == 2) {
    for (Index t = 0; t < n; ++t) d[t] = s[2 * t];
  } else {
    for (Index t = 0; t < n; ++t) d[t] = s[t * stride];
  }
}
template <typename T>
inline void scatter_add(T* __restrict s, const T* __restrict d, Index n, Index stride) {
  if (stride == 1) {
    for (Index t = 0; t < n; ++t) s[t] += d[t];
  } else if (stride == 2) {
    for (Index t = 0; t < n; ++t) s[2 * t] += d[t];
  } else {
    for (Index t = 0; t < n; ++t) s[t * stride] += d[t];
  }
}

// Calls f(oh, ow_begin, ow_end, at) for each run of output positions
// [p0, p1) that lies on one output row; `at` is the run's offset from p0.
template <typename F>
void for_each_run(Index out_w, Index p0, Index p1, F&& f) {
  Index p = p0;
  while (p < p1) {
    const Index oh = p / out_w, ow0 = p - oh * out_w;
    const Index ow1 = std::min(out_w, ow0 + (p1 - p));
    f(oh, ow0, ow1, p - p0);
    p += ow1 - ow0;
  }
}

// Channels [c0, c1) of one image as the padded rows that output positions
// [p0, p1) read: element (c, r, q) of the padded image (rows and columns
// counted from the padding's top-left corner) is at
// data[(c - c0) * plane + (r - first_row) * row_stride + q].
template <typename T>
struct PaddedRows {
  T* data;
  Index plane, row_stride, first_row, rows;
};

bool has_padding(const ConvGeometry& g) { return g.pad_h > 0 || g.pad_w > 0; }

// The padded rows that output positions [p0, p1) read: the first one
// (counted from the padding's top edge), how many, and their width.
struct PaddedWindow {
  Index first_row, rows, width;
};
PaddedWindow padded_window(const ConvGeometry& g, Index p0, Index p1) {
  const Index oh0 = p0 / g.out_w, oh1 = (p1 - 1) / g.out_w;
  return {oh0 * g.stride_h, (oh1 - oh0) * g.stride_h + (g.kernel_h - 1) * g.dilation_h + 1, g.in_w + 2 * g.pad_w};
}

// Copies channels [c0, c1) of image x, rows of window `win`, into dst
// (channel planes rows * width apart), zeros in the padding.
template <typename T>
void fill_padded(T* dst, const T* x, const ConvGeometry& g, const PaddedWindow& win, Index c0, Index c1) {
  const Index plane = win.rows * win.width;
  for (Index c = c0; c < c1; ++c)
    for (Index r = 0; r < win.rows; ++r) {
      T* d = dst + (c - c0) * plane + r * win.width;
      const Index ih = win.first_row + r - g.pad_h;
      if (ih < 0 || ih >= g.in_h) {
        std::memset(d, 0, sizeof(T) * static_cast<std::size_t>(win.width));
        continue;
      }
      const T* src = x + (c * g.in_h + ih) * g.in_w;
      for (Index q = 0; q < g.pad_w; ++q) d[q] = T(0);
      std::memcpy(d + g.pad_w, src, sizeof(T) * static_cast<std::size_t>(g.in_w));
      for (Index q = g.pad_w + g.in_w; q < win.width; ++q) d[q] = T(0);
    }
}

// The padded rows of channels [c0, c1) of image x that positions [p0, p1)
// read. Without padding, a view of x; otherwise a buffer, filled with the
// input (fill) or zeroed (to collect col2im's sums).
// (U is T or const T: the buffer itself is always writable.)
template <typename U>
PaddedRows<U> padded_rows(U* x, const ConvGeometry& g, Index p0, Index p1, Index c0, Index c1, bool fill) {
  using T = std::remove_const_t<U>;
  if (!has_padding(g)) return {x + c0 * g.in_h * g.in_w, g.in_h * g.in_w, g.in_w, 0, g.in_h};
  const PaddedWindow win = padded_window(g, p0, p1);
  const Index plane = win.rows * win.width;
  T* buf = workspace<T>(kPadded, static_cast<std::size_t>((c1 - c0) * plane));
  if (fill) fill_padded(buf, x, g, win, c0, c1);
  else std::memset(buf, 0, sizeof(T) * static_cast<std::size_t>((c1 - c0) * plane));
  return {buf, plane, win.width, win.first_row, win.rows};
}

// Adds the interior of a zeroed-then-summed padded buffer back into
// channels [c0, c1) of image x.
template <typename T>
void add_back(const PaddedRows<T>& b, T* x, const ConvGeometry& g, Index c0, Index c1) {
  for (Index c = c0; c < c1; ++c)
    for (Index r = 0; r < b.rows; ++r) {
      const Index ih = b.first_row + r - g.pad_h;
      if (ih < 0 || ih >= g.in_h) continue;
      const T* __restrict s = b.data + (c - c0) * b.plane + r * b.row_stride + g.pad_w;
      T* __restrict d = x + (c * g.in_h + ih) * g.in_w;
      for (Index q = 0; q < g.in_w; ++q) d[q] += s[q];
    }
}

// Fills the column block [(c1 - c0) kh kw, p1 - p0]: row (c - c0, i, j),
// column p - p0 holds the (padded) input under tap (i, j) of the window of
// output position p.
template <typename T>
void im2col(const PaddedRows<const T>& x, T* col, const ConvGeometry& g, Index p0, Index p1, Index c0, Index c1,
            Index ld) {
  const Index sw = g.stride_w;
  for (Index c = c0; c < c1; ++c)
    for (Index i = 0; i < g.kernel_h; ++i)
      for (Index j = 0; j < g.kernel_w; ++j) {
        T* dst = col + (((c - c0) * g.kernel_h + i) * g.kernel_w + j) * ld;
        const T* src = x.data + (c - c0) * x.plane + (i * g.dilation_h - x.first_row) * x.row_stride + j * g.dilation_w;
        for_each_run(g.out_w, p0, p1, [&](Index oh, Index ow0, Index ow1, Index at) {
          gather(dst + at, src + oh * g.stride_h * x.row_stride + ow0 * sw, ow1 - ow0, sw);
        });
      }
}

// Adds a column block laid out as im2col's into the (padded) image: the
// adjoint of im2col. Channels never share memory, so disjoint channel
// ranges can run in parallel.
template <typename T>
void col2im(const T* col, const PaddedRows<T>& x, const ConvGeometry& g, Index p0, Index p1, Index c0, Index c1,
            Index ld) {
  const Index sw = g.stride_w;
  // Stride 2, dilation 1: taps j and j + 1 fill the even and odd columns of
  // one contiguous run, added together as interleaved pairs (a strided
  // store alone does not vectorise).
  const bool pairs = sw == 2 && g.dilation_w == 1;
  for (Index c = c0; c < c1; ++c)
    for (Index i = 0; i < g.kernel_h; ++i)
      for (Index j = 0; j < g.kernel_w; ++j) {
        const T* src = col + (((c - c0) * g.kernel_h + i) * g.kernel_w + j) * ld;
        T* dst = x.data + (c - c0) * x.plane + (i * g.dilation_h - x.first_row) * x.row_stride + j * g.dilation_w;
        if (pairs && j + 1 < g.kernel_w) {
          const T* next = src + ld;
          for_each_run(g.out_w, p0, p1, [&](Index oh, Index ow0, Index ow1, Index at) {
            T* __restrict d = dst + oh * g.stride_h * x.row_stride + ow0 * 2;
            const T* __restrict a = src + at;
            const T* __restrict b = next + at;
            Index t = 0;
#if ZENGEN_CONV_X86
            if constexpr (std::is_same_v<T, float>) {
              if (vector_col2im()) {
                for (; t + 8 <= ow1 - ow0; t += 8) add_pairs8(d + 2 * t, a + t, b + t);
                if (t + 4 <= ow1 - ow0) {
                  add_pairs4(d + 2 * t, a + t, b + t);
                  t += 4;
                }
              }
            }
#endif
            for (; t < ow1 - ow0; ++t) {
              d[2 * t] += a[t];
              d[2 * t + 1] += b[t];
            }
          });
          ++j;
          continue;
        }
        for_each_run(g.out_w, p0, p1, [&](Index oh, Index ow0, Index ow1, Index at) {
          scatter_add(dst + oh * g.stride_h * x.row_stride + ow0 * sw, src + at, ow1 - ow0, sw);
        });
      }
}

// Columns of image x for positions [p0, p1) and channels [c0, c1), into
// `block` with rows ld apart.
template <typename T>
void columns_into(T* block, Index ld, const T* x, const ConvGeometry& g, Index p0, Index p1, Index c0, Index c1) {
  const auto padded = padded_rows(x, g, p0, p1, c0, c1, /*fill=*/true);
  im2col(padded, block, g, p0, p1, c0, c1, ld);
}

// The same into the thread's column block (rows p1 - p0 long); returns it.
template <typename T>
T* columns(const T* x, const ConvGeometry& g, Index p0, Index p1, Index c0, Index c1) {
  T* block = workspace<T>(kColumns, static_cast<std::size_t>((c1 - c0) * g.kernel_h * g.kernel_w * (p1 - p0)));
  columns_into(block, p1 - p0, x, g, p0, p1, c0, c1);
  return block;
}

// Adds a column block (rows ld apart) for positions [p0, p1) and channels
// [c0, c1) into image x.
template <typename T>
void add_columns(const T* block, Index ld, T* x, const ConvGeometry& g, Index p0, Index p1, Index c0, Index c1) {
  const auto padded = padded_rows(x, g, p0, p1, c0, c1, /*fill=*/false);
  col2im(block, padded, g, p0, p1, c0, c1, ld);
  if (has_padding(g)) add_back(padded, x, g, c0, c1);
}

// ---- how a call uses the threads ----
//
// Each call opens at most one parallel region and splits independent work
// items across it; every GEMM inside runs single-threaded (Eigen does not
// thread inside a parallel region), so threads are never oversubscribed.
// Large batches split over images; when the batch does not divide evenly
// among the threads, each image is also split: forward by blocks of output
// positions, backward-data and backward-weight by groups of input channels
// (their outputs for different channels never overlap).

// Threads for a call: one when small, or already inside a parallel region.
int call_threads(const ConvGeometry& g) {
  if (omp_in_parallel() || g.flops() < conv_tuning().parallel_min_flops) return 1;
  return std::max(1, omp_get_max_threads());
}

// Parts to split each image into so that the batch spreads evenly over
// `threads` (1 when whole images already do).
Index parts_per_image(Index batch, int threads) {
  const Index t = threads;
  if (t <= 1 || batch % t == 0 || batch >= 4 * t) return 1;
  return t / std::gcd(batch, t);
}

// Runs f(item) for every item in [0, count), split statically over
// `threads` in one parallel region. Every GEMM inside runs single-threaded:
// Eigen threads a product up to omp_get_max_threads() unless it is already
// in a team of several threads, so a one-thread region (a small call) sets
// that to 1 for itself.
template <typename F>
void for_items(Index count, int threads, F&& f) {
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    omp_set_num_threads(1);  // this region's own setting; the caller's is untouched
#pragma omp for schedule(static)
    for (Index item = 0; item < count; ++item) f(item);
  }
}

// Sets each channel plane of an image [C, plane] to bias[c] (or zero).
template <typename T>
void fill_channels(T* x, const T* bias, Index C, Index plane) {
  for (Index c = 0; c < C; ++c) std::fill(x + c * plane, x + (c + 1) * plane, bias ? bias[c] : T(0));
}

// ---- the fast kernels ----

// Images with few output positions (the deep DCGAN layers: 4x4, 1x1) make
// thin GEMMs: a product with P columns repacks the whole weight (forward,
// backward-data) or reads and writes the whole weight gradient
// (backward-weight) for only P columns. Such images are taken in groups, so
// one GEMM sees group * P columns: the columns of several images side by
// side, and their output (gradient) gathered the same way.
constexpr Index kGroupPositions = 256;
// Backward-data writes a column block of C kh kw rows per group and adds it
// back (col2im): half as many columns keep that block in L2 (measured on
// the 8x8 -> 4x4 and 16x16 -> 8x8 layers: 133-138 -> 155 and 125-131 ->
// 136 GFLOP/s).
constexpr Index kDataGroupPositions = 128;

// Images per group: about `target` columns, few enough that every thread
// gets a group and the column block stays within its budget; 1 means no
// grouping (images with kGroupPositions / 2 positions or more).
Index images_per_group(const ConvGeometry& g, int threads, std::size_t element, Index target = kGroupPositions) {
  const Index P = g.positions(), K = g.patch();
  if (P == 0 || K == 0 || P >= kGroupPositions / 2 || pointwise(g)) return 1;
  Index group = std::min(std::max<Index>(1, target / P), ceil_div(g.batch, threads));
  const Index budget = static_cast<Index>(conv_tuning().col_block_bytes) / std::max<Index>(1, P * K * static_cast<Index>(element));
  return std::max<Index>(1, std::min(group, budget));
}

// dst [O, count P] (rows count P long) = images [n0, n0 + count) of a
// [N, O, P] tensor, side by side; and the way back.
template <typename T>
void gather_images(T* dst, const T* src, Index n0, Index count, Index O, Index P) {
  for (Index n = 0; n < count; ++n)
    for (Index o = 0; o < O; ++o)
      std::memcpy(dst + o * count * P + n * P, src + ((n0 + n) * O + o) * P, sizeof(T) * static_cast<std::size_t>(P));
}

// The adjoint of gather_images for an output: images [n0, n0 + count) of a
// [N, O, P] tensor from out [O, count P], plus bias[o] (when given).
template <typename T>
void scatter_images(T* y, const T* out, const T* bias, Index n0, Index count, Index O, Index P) {
  const Index width = count * P;
  for (Index n = 0; n < count; ++n)
    for (Index o = 0; o < O; ++o) {
      const T* s = out + o * width + n * P;
      T* d = y + ((n0 + n) * O + o) * P;
      const T b = bias ? bias[o] : T(0);
      for (Index p = 0; p < P; ++p) d[p] = s[p] + b;
    }
}

template <typename T>
void forward_grouped(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g, Index group, int threads) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions();
  const Index image_in = g.in_channels * g.in_h * g.in_w;
  for_items(ceil_div(g.batch, group), threads, [&](Index item) {
    const Index n0 = item * group, count = std::min(group, g.batch - n0), width = count * P;
    T* cols = workspace<T>(kColumns, static_cast<std::size_t>(K * width));
    for (Index n = 0; n < count; ++n) columns_into(cols + n * P, width, x + (n0 + n) * image_in, g, 0, P, 0, g.in_channels);
    T* out = workspace<T>(kGathered, static_cast<std::size_t>(O * width));
    gemm(O, width, K, w, K, Index{1}, static_cast<const T*>(cols), width, Index{1}, false, out, width);
    scatter_images(y, static_cast<const T*>(out), bias, n0, count, O, P);
  });
}

// The transposed weight [K, O], backward-data's A operand: a strided view
// (row stride rs, column stride cs) and, for float32 with the packed SGEMM,
// the same packed once per call for the products that use all its rows.
template <typename T>
struct TransposedWeight {
  const T* data;
  Index rs, cs;
  const PackedMatrixA* packed = nullptr;

  // c [rows, n] (+)= rows [r0, r0 + rows) of it x b [O, n] (rows ldb apart).
  void multiply(Index r0, Index rows, Index n, Index O, const T* b, Index ldb, bool accumulate, T* c,
                Index ldc) const {
    if constexpr (std::is_same_v<T, float>) {
      if (packed && r0 == 0 && rows == packed->rows())
        return sgemm_prepacked(*packed, n, ConstMatrixF{b, ldb, 1}, accumulate ? 1.0f : 0.0f, c, ldc);
    }
    gemm(rows, n, O, data + r0 * rs, rs, cs, b, ldb, Index{1}, accumulate, c, ldc);
  }
};

template <typename T>
void backward_data_grouped(T* gx, const T* gy, const TransposedWeight<T>& wt, const T* bias, const ConvGeometry& g,
                           Index group, int threads) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index plane = g.in_h * g.in_w;
  for_items(ceil_div(g.batch, group), threads, [&](Index item) {
    const Index n0 = item * group, count = std::min(group, g.batch - n0), width = count * P;
    T* grads = workspace<T>(kGathered, static_cast<std::size_t>(O * width));
    gather_images(grads, gy, n0, count, O, P);
    T* block = workspace<T>(kColumns, static_cast<std::size_t>(K * width));
    wt.multiply(0, K, width, O, grads, width, false, block, width);
    for (Index n = 0; n < count; ++n) {
      T* gxn = gx + (n0 + n) * C * plane;
      fill_channels(gxn, bias, C, plane);
      add_columns(static_cast<const T*>(block) + n * P, width, gxn, g, 0, P, 0, C);
    }
  });
}

// acc [O, K] += the weight gradient of images [n0, n0 + count).
template <typename T>
void accumulate_weight_grouped(T* acc, const T* x, const T* gy, const ConvGeometry& g, Index n0, Index count) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), width = count * P;
  const Index image_in = g.in_channels * g.in_h * g.in_w;
  T* cols = workspace<T>(kColumns, static_cast<std::size_t>(K * width));
  for (Index n = 0; n < count; ++n) columns_into(cols + n * P, width, x + (n0 + n) * image_in, g, 0, P, 0, g.in_channels);
  T* grads = workspace<T>(kGathered, static_cast<std::size_t>(O * width));
  gather_images(grads, gy, n0, count, O, P);
  gemm(O, K, width, static_cast<const T*>(grads), width, Index{1}, static_cast<const T*>(cols), Index{1}, width, true,
       acc, K);
}

// ---- float32 forward: the weight packed once, columns written as panels ----
//
// With the packed SGEMM (cpu/gemm.hpp) the forward does not build a column
// matrix: the weight is packed into the micro-kernel's layout once per call,
// and each GEMM's B operand (the columns) is written straight from the
// (padded) input into the NR-wide panels the micro-kernel streams. That is
// one copy of the columns instead of two (im2col, then the GEMM's packing)
// and one packing of the weight instead of one per image.

// The columns of one GEMM: images [n0, n0 + count) x output positions
// [p0, p0 + len) (count is 1, or the positions are the whole image); column
// q is image q / len, position p0 + q % len. `data` points at padded row
// first_row of the first image's channel 0 (see PaddedRows).
struct ColumnSource {
  const float* data;
  Index image_stride, plane, row_stride, first_row;
  Index p0, len;
};

// Channels [c0, c1) of images [n0, n0 + count), positions [p0, p1): the
// input itself without padding, else the padded rows in the thread's buffer.
ColumnSource column_source(const float* x, const ConvGeometry& g, Index n0, Index count, Index p0, Index p1,
                           Index c0, Index c1) {
  const Index image_in = g.in_channels * g.in_h * g.in_w, in_plane = g.in_h * g.in_w;
  if (!has_padding(g)) return {x + n0 * image_in + c0 * in_plane, image_in, in_plane, g.in_w, 0, p0, p1 - p0};
  const PaddedWindow win = padded_window(g, p0, p1);
  const Index plane = win.rows * win.width, image = (c1 - c0) * plane;
  float* buf = workspace<float>(kPadded, static_cast<std::size_t>(count * image));
  for (Index n = 0; n < count; ++n) fill_padded(buf + n * image, x + (n0 + n) * image_in, g, win, c0, c1);
  return {buf, image, plane, win.width, win.first_row, p0, p1 - p0};
}

#if ZENGEN_CONV_X86
// d[t] = s[2 t] for t < 16: four loads and two even-lane shuffles (the
// compiler's version was 16 scalar loads and inserts, the panel writer's
// main cost). The last load is masked to s[24..30]: s[31] may lie past the
// end of the input. Called only where the packed GEMM is AVX2 or AVX-512,
// so the CPU has AVX2.
void gather16_stride2(float* __restrict d, const float* __restrict s) {
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8), c = _mm256_loadu_ps(s + 16);
  const __m256 e = _mm256_maskload_ps(s + 24, first7);
  // shuffle 0x88 takes lanes 0 and 2 of each operand per 128-bit half:
  // [a0 a2 b0 b2 | a4 a6 b4 b6]; the permute puts the halves in order.
  const __m256 ab = _mm256_shuffle_ps(a, b, 0x88), ce = _mm256_shuffle_ps(c, e, 0x88);
  _mm256_storeu_ps(d, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ab), 0xD8)));
  _mm256_storeu_ps(d + 8, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ce), 0xD8)));
}

// The same for 8 values and for 4 (the runs of 8- and 4-wide output rows).
void gather8_stride2(float* __restrict d, const float* __restrict s) {
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256 a = _mm256_loadu_ps(s), b = _mm256_maskload_ps(s + 8, first7);
  const __m256 ab = _mm256_shuffle_ps(a, b, 0x88);
  _mm256_storeu_ps(d, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ab), 0xD8)));
}
void gather4_stride2(float* __restrict d, const float* __restrict s) {
  const __m256i first7 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0);
  const __m256 a = _mm256_maskload_ps(s, first7);
  const __m256 aa = _mm256_shuffle_ps(a, a, 0x88);  // [a0 a2 a0 a2 | a4 a6 a4 a6]
  _mm_storeu_ps(d, _mm256_castps256_ps128(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(aa), 0xD8))));
}
#endif


// d[t] = s[t * stride] for the NR values of one panel row, with the usual
// strides known at compile time (they vectorise).
template <int NR>
inline void gather_panel_row(float* __restrict d, const float* __restrict s, Index stride) {
  if (stride == 1) {
    for (int t = 0; t < NR; ++t) d[t] = s[t];
  } else if (stride == 2) {
#if ZENGEN_CONV_X86
    for (int t = 0; t < NR; t += 16) gather16_stride2(d + t, s + 2 * t);
#else
    for (int t = 0; t < NR; ++t) d[t] = s[2 * t];
#endif
  } else {
    for (int t = 0; t < NR; ++t) d[t] = s[t * stride];
  }
}

// Rows [k0, k0 + kc) (taps (c, i, j)) x columns [j0, j0 + nc) of the column
// matrix of `src`, as NR-wide panels (see PanelPacker).
template <int NR>
void pack_column_panels(const ColumnSource& src, const ConvGeometry& g, Index k0, Index kc, Index j0, Index nc,
                        float* dst) {
  struct Run {
    Index offset, at, length;  // source offset of its first column, its place in the panel, its columns
  };
  const Index taps = g.kernel_h * g.kernel_w, sw = g.stride_w;
  const Index step_j = g.dilation_w, step_i = g.dilation_h * src.row_stride;
  for (Index jr = 0; jr < nc; jr += NR, dst += NR * kc) {
    // The panel's columns as runs along one output row of one image.
    std::array<Run, NR> runs;
    int count = 0;
    const Index q_begin = j0 + jr, q_end = j0 + std::min<Index>(nc, jr + NR);
    for (Index q = q_begin; q < q_end;) {
      const Index n = q / src.len, p = src.p0 + q % src.len;
      const Index oh = p / g.out_w, ow = p - oh * g.out_w;
      const Index length = std::min({g.out_w - ow, q_end - q, src.len - q % src.len});
      runs[static_cast<std::size_t>(count++)] = {
          n * src.image_stride + (oh * g.stride_h - src.first_row) * src.row_stride + ow * sw, q - q_begin, length};
      q += length;
    }
    const Index filled = q_end - q_begin;
    // Row p of the panel: write_row(its first element, its tap's source).
    Index c = k0 / taps, i = k0 % taps / g.kernel_w, j = k0 % g.kernel_w;
    auto for_rows = [&](auto&& write_row) {
      for (Index p = 0; p < kc; ++p) {
        write_row(dst + p * NR, src.data + c * src.plane + i * step_i + j * step_j);
        if (++j == g.kernel_w) {
          j = 0;
          if (++i == g.kernel_h) {
            i = 0;
            ++c;
          }
        }
      }
    };
    // A full panel of equal runs at stride 2 (the DCGAN layers' output rows
    // of 16, 8 or 4 and more) is written by the vector gathers, the choice
    // made once per panel rather than per row.
    Index common = filled == NR && sw == 2 ? runs[0].length : 0;
    for (int r = 1; r < count && common; ++r)
      if (runs[r].length != common) common = 0;
#if ZENGEN_CONV_X86
    // (Direct calls, one loop each: through a function pointer the gathers
    // would not be inlined.)
    auto runs_by = [&](auto gather_fixed) {
      for_rows([&](float* d, const float* tap) {
        for (int r = 0; r < count; ++r) gather_fixed(d + runs[r].at, tap + runs[r].offset);
      });
    };
    if (common == 16) {
      runs_by([](float* d, const float* s) { gather16_stride2(d, s); });
      continue;
    }
    if (common == 8) {
      runs_by([](float* d, const float* s) { gather8_stride2(d, s); });
      continue;
    }
    if (common == 4) {
      runs_by([](float* d, const float* s) { gather4_stride2(d, s); });
      continue;
    }
#endif
    for_rows([&](float* d, const float* tap) {
      if (count == 1 && filled == NR) return gather_panel_row<NR>(d, tap + runs[0].offset, sw);
      for (int r = 0; r < count; ++r) gather(d + runs[r].at, tap + runs[r].offset, runs[r].length, sw);
      for (Index t = filled; t < NR; ++t) d[t] = 0.0f;
    });
  }
}

// Rows [k0, k0 + kc) (columns of `src`: positions) x columns [j0, j0 + nc)
// (taps (c, i, j), counted from src's first channel) of the transposed
// column matrix, as NR-wide panels: backward-weight's B operand.
template <int NR>
void pack_transposed_panels(const ColumnSource& src, const ConvGeometry& g, Index k0, Index kc, Index j0, Index nc,
                            float* dst) {
  struct Segment {
    Index offset, at, length;  // taps [at, at + length) of the panel: one kernel row, dilation_w apart
  };
  const Index taps = g.kernel_h * g.kernel_w, kw = g.kernel_w, dw = g.dilation_w;
  for (Index jr = 0; jr < nc; jr += NR, dst += NR * kc) {
    std::array<Segment, NR> segments;
    int count = 0;
    const Index t_begin = j0 + jr, t_end = j0 + std::min<Index>(nc, jr + NR);
    bool rows_of_four = dw == 1;  // every segment four contiguous values (4-wide kernels)
    for (Index t = t_begin; t < t_end;) {
      const Index c = t / taps, i = t % taps / kw, j = t % kw, length = std::min(kw - j, t_end - t);
      segments[static_cast<std::size_t>(count++)] = {c * src.plane + i * g.dilation_h * src.row_stride + j * dw,
                                                     t - t_begin, length};
      rows_of_four = rows_of_four && length == 4;
      t += length;
    }
    const Index filled = t_end - t_begin;
    // Row p of the panel (position k0 + p: image n, position p0 + within of
    // it, output (oh, ow)): write_row(its first element, the window's corner).
    auto for_positions = [&](auto&& write_row) {
      Index n = k0 / src.len, within = k0 % src.len;
      Index oh = (src.p0 + within) / g.out_w, ow = (src.p0 + within) % g.out_w;
      for (Index p = 0; p < kc; ++p) {
        write_row(dst + p * NR, src.data + n * src.image_stride +
                                    (oh * g.stride_h - src.first_row) * src.row_stride + ow * g.stride_w);
        if (++within == src.len) {
          within = 0;
          ++n;
          oh = src.p0 / g.out_w;
          ow = src.p0 % g.out_w;
        } else if (++ow == g.out_w) {
          ow = 0;
          ++oh;
        }
      }
    };
    if (rows_of_four && count == NR / 4) {  // a full panel of NR / 4 kernel rows: offsets held in registers
      std::array<Index, NR / 4> offsets;
      for (int r = 0; r < NR / 4; ++r) offsets[static_cast<std::size_t>(r)] = segments[static_cast<std::size_t>(r)].offset;
      for_positions([offsets](float* d, const float* at) {
#pragma GCC unroll 8
        for (int r = 0; r < NR / 4; ++r) std::memcpy(d + 4 * r, at + offsets[static_cast<std::size_t>(r)], 4 * sizeof(float));
      });
      continue;
    }
    for_positions([&](float* d, const float* at) {
      if (rows_of_four) {
        for (int r = 0; r < count; ++r) std::memcpy(d + segments[r].at, at + segments[r].offset, 4 * sizeof(float));
      } else {
        for (int r = 0; r < count; ++r) gather(d + segments[r].at, at + segments[r].offset, segments[r].length, dw);
      }
      for (Index t = filled; t < NR; ++t) d[t] = 0.0f;
    });
  }
}

// acc [O, (c1 - c0) taps] (leading dimension K) += the weight gradient of
// images [n0, n0 + count) for input channels [c0, c1): grad_output [O,
// positions] times the transposed columns, written as panels.
void accumulate_weight_panels(float* acc, const float* x, const float* gy, const ConvGeometry& g, Index n0,
                              Index count, Index c0, Index c1, GemmKernel kernel) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), taps = g.kernel_h * g.kernel_w;
  const Index width = count * P;
  const ColumnSource src = column_source(x, g, n0, count, 0, P, c0, c1);
  ConstMatrixF grads{gy + n0 * O * P, P, 1};
  if (count > 1) {
    float* gathered = workspace<float>(kGathered, static_cast<std::size_t>(O * width));
    gather_images(gathered, gy, n0, count, O, P);
    grads = {gathered, width, 1};
  }
  auto pack = [&](Index k0, Index kc, Index j0, Index nc, int nr, float* dst) {
    if (nr == 32) pack_transposed_panels<32>(src, g, k0, kc, j0, nc, dst);
    else pack_transposed_panels<16>(src, g, k0, kc, j0, nc, dst);
  };
  sgemm_panels(O, (c1 - c0) * taps, width, grads, pack, 1.0f, acc + c0 * taps, K, kernel);
}

// The thread's packed weight (reused from call to call).
PackedMatrixA& packed_weight() {
  thread_local PackedMatrixA packed;
  return packed;
}

void forward_packed(float* y, const float* x, const float* w, const float* bias, const ConvGeometry& g,
                    GemmKernel kernel, int threads) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions();
  const Index image_out = O * P;
  PackedMatrixA& packed = packed_weight();
  pack_matrix_a(packed, O, K, {w, K, 1}, kernel, threads);
  // Work items: groups of images with few positions each, or (image, block
  // of positions) when the batch does not spread evenly over the threads.
  const Index group = images_per_group(g, threads, sizeof(float));
  const Index blocks = group > 1 ? 1 : std::min(P, parts_per_image(g.batch, threads));
  const Index pb = ceil_div(P, blocks), items = group > 1 ? ceil_div(g.batch, group) : g.batch * blocks;
  for_items(items, threads, [&](Index item) {
    const Index n0 = group > 1 ? item * group : item / blocks, count = std::min(group, g.batch - n0);
    const Index p0 = group > 1 ? 0 : item % blocks * pb, p1 = std::min(P, p0 + pb);
    if (p0 >= p1) return;
    const ColumnSource src = column_source(x, g, n0, count, p0, p1, 0, g.in_channels);
    auto pack = [&](Index k0, Index kc, Index j0, Index nc, int nr, float* dst) {
      if (nr == 32) pack_column_panels<32>(src, g, k0, kc, j0, nc, dst);
      else pack_column_panels<16>(src, g, k0, kc, j0, nc, dst);
    };
    const Index width = count * (p1 - p0);
    if (count == 1) {  // straight into the output, on top of the bias
      float* yn = y + n0 * image_out;
      if (bias)
        for (Index o = 0; o < O; ++o) std::fill(yn + o * P + p0, yn + o * P + p1, bias[o]);
      sgemm_prepacked(packed, width, pack, bias ? 1.0f : 0.0f, yn + p0, P);
      return;
    }
    float* out = workspace<float>(kGathered, static_cast<std::size_t>(O * width));
    sgemm_prepacked(packed, width, pack, 0.0f, out, width);
    scatter_images(y, static_cast<const float*>(out), bias, n0, count, O, P);
  });
}

template <typename T>
void forward_fast(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index image_in = C * g.in_h * g.in_w, image_out = O * P;
  if (g.batch * image_out == 0) return;
  if (K == 0) {
    for (Index n = 0; n < g.batch; ++n) fill_channels(y + n * image_out, bias, O, P);
    return;
  }
  const bool direct = pointwise(g);
  const int threads = call_threads(g);
  if (whole_image(g)) {  // y [N, O] = x [N, K] w^T [K, O] (+ bias)
    for (Index n = 0; n < g.batch && bias; ++n) std::copy(bias, bias + O, y + n * O);
    return gemm(g.batch, O, K, x, K, Index{1}, w, Index{1}, K, bias != nullptr, y, O, threads > 1 ? 0 : 1);
  }
  if constexpr (std::is_same_v<T, float>) {
    const GemmKernel kernel = gemm_packed_kernel(conv_tuning().gemm_kernel);
    if (kernel != GemmKernel::Eigen && !direct) return forward_packed(y, x, w, bias, g, kernel, threads);
  }
  if (const Index group = images_per_group(g, threads, sizeof(T)); group > 1)
    return forward_grouped(y, x, w, bias, g, group, threads);
  // Work items: (image, block of output positions).
  const Index blocks = std::max(ceil_div(P, block_positions(g, sizeof(T))), std::min(P, parts_per_image(g.batch, threads)));
  const Index pb = ceil_div(P, blocks);
  for_items(g.batch * blocks, threads, [&](Index item) {
    const Index n = item / blocks, p0 = item % blocks * pb, len = std::min(pb, P - p0);
    if (len <= 0) return;
    const T* xn = x + n * image_in;
    T* yn = y + n * image_out;
    const T* cols = xn + p0;
    Index ld = P;
    if (!direct) {
      cols = columns(xn, g, p0, p0 + len, 0, C);
      ld = len;
    }
    if (bias)
      for (Index o = 0; o < O; ++o) std::fill(yn + o * P + p0, yn + o * P + p0 + len, bias[o]);
    gemm(O, len, K, w, K, Index{1}, cols, ld, Index{1}, bias != nullptr, yn + p0, P);
  });
}

template <typename T>
void backward_data_fast(T* gx, const T* gy, const T* w, const T* bias, const ConvGeometry& g) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index taps = g.kernel_h * g.kernel_w;
  const Index plane = g.in_h * g.in_w, image_in = C * plane, image_out = O * P;
  if (g.batch * image_in == 0) return;
  const bool direct = pointwise(g);
  const int threads = call_threads(g);
  if (whole_image(g)) {  // gx [N, K] = gy [N, O] w [O, K] (+ bias per channel)
    for (Index n = 0; n < g.batch; ++n) fill_channels(gx + n * image_in, bias, C, plane);
    if (O > 0) gemm(g.batch, K, O, gy, O, Index{1}, w, K, Index{1}, true, gx, K, threads > 1 ? 0 : 1);
    return;
  }
  // Work items: (image, group of input channels).
  const Index groups = std::min(C, parts_per_image(g.batch, threads));
  const Index cg = ceil_div(C, groups);
  const Index pb = block_positions(g, sizeof(T));
  // The transposed weight [K, O] as a strided view of w: sgemm packs it in
  // place, and the packed SGEMM packs it once for the call; for Eigen it is
  // transposed once up front, since Eigen would otherwise repack the strided
  // view for every image, a slow copy.
  TransposedWeight<T> wt{w, 1, K};
  if constexpr (std::is_same_v<T, float>) {
    const GemmKernel kernel = gemm_packed_kernel(conv_tuning().gemm_kernel);
    if (kernel != GemmKernel::Eigen && groups == 1 && K > 0 && O > 0) {
      pack_matrix_a(packed_weight(), K, O, {w, 1, K}, kernel, threads);
      wt.packed = &packed_weight();
    }
  } else {
    T* buffer = workspace<T>(kWeightAux, static_cast<std::size_t>(K * O));
    matrix(buffer, K, O, O) = matrix(w, O, K, K).transpose();
    wt = {buffer, O, 1};
  }
  if (const Index group = images_per_group(g, threads, sizeof(T), kDataGroupPositions); group > 1 && O > 0)
    return backward_data_grouped(gx, gy, wt, bias, g, group, threads);
  for_items(g.batch * groups, threads, [&](Index item) {
    const Index n = item / groups, c0 = item % groups * cg, c1 = std::min(C, c0 + cg);
    if (c0 >= c1) return;
    const T* gyn = gy + n * image_out;
    T* gxn = gx + n * image_in;
    fill_channels(gxn + c0 * plane, bias ? bias + c0 : nullptr, c1 - c0, plane);
    if (K == 0 || P == 0 || O == 0) return;
    // This group's rows of the transposed weight: [(c1 - c0) taps, O].
    const Index rows = (c1 - c0) * taps;
    for (Index p0 = 0; p0 < P; p0 += pb) {
      const Index len = std::min(pb, P - p0);
      if (direct) {
        wt.multiply(c0 * taps, rows, len, O, gyn + p0, P, true, gxn + c0 * plane + p0, P);
      } else {
        T* block = workspace<T>(kColumns, static_cast<std::size_t>(rows * len));
        wt.multiply(c0 * taps, rows, len, O, gyn + p0, P, false, block, len);
        add_columns(block, len, gxn, g, p0, p0 + len, c0, c1);
      }
    }
  });
}

template <typename T>
void backward_weight_fast(T* gw, const T* x, const T* gy, const ConvGeometry& g) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index taps = g.kernel_h * g.kernel_w;
  const Index image_in = C * g.in_h * g.in_w, image_out = O * P, size = O * K;
  if (size == 0) return;
  const bool direct = pointwise(g);
  const int threads = call_threads(g);
  if (whole_image(g)) {  // gw [O, K] = gy^T [O, N] x [N, K]
    return gemm(O, K, g.batch, gy, Index{1}, O, x, K, Index{1}, false, gw, K, threads > 1 ? 0 : 1);
  }
  const Index pb = block_positions(g, sizeof(T));
  // acc [O, (c1 - c0) taps] (leading dimension K) += image n's grad_output
  // x its columns for channels [c0, c1).
  auto accumulate = [&](T* acc, Index n, Index c0, Index c1) {
    const T* xn = x + n * image_in;
    const T* gyn = gy + n * image_out;
    const Index rows = (c1 - c0) * taps;
    for (Index p0 = 0; p0 < P; p0 += pb) {
      const Index len = std::min(pb, P - p0);
      const T* cols = xn + c0 * P + p0;  // pointwise: input rows are the columns
      Index ld = P;
      if (!direct) {
        cols = columns(xn, g, p0, p0 + len, c0, c1);
        ld = len;
      }
      // acc [O, rows] += grad_output block [O, len] x columns^T [len, rows].
      gemm(O, rows, len, gyn + p0, P, Index{1}, cols, Index{1}, ld, true, acc + c0 * taps, K);
    }
  };
  // float32 with the packed SGEMM: the columns go straight into its panels.
  GemmKernel packed_kernel = GemmKernel::Eigen;
  if constexpr (std::is_same_v<T, float>) {
    if (!direct) packed_kernel = gemm_packed_kernel(conv_tuning().gemm_kernel);
  }
  auto accumulate_images = [&](T* acc, Index n0, Index count, Index c0, Index c1) {
    if constexpr (std::is_same_v<T, float>) {
      if (packed_kernel != GemmKernel::Eigen)
        return accumulate_weight_panels(acc, x, gy, g, n0, count, c0, c1, packed_kernel);
    }
    if (count == 1) return accumulate(acc, n0, c0, c1);
    accumulate_weight_grouped(acc, x, gy, g, n0, count);
  };
  if (parts_per_image(g.batch, threads) > 1 && C > 1) {
    // Few images: split the weight gradient's columns by input channel;
    // each group goes through every image.
    const Index groups = std::min<Index>(C, threads), cg = ceil_div(C, groups);
    for_items(groups, threads, [&](Index group) {
      const Index c0 = group * cg, c1 = std::min(C, c0 + cg);
      if (c0 >= c1) return;
      for (Index o = 0; o < O; ++o) std::fill(gw + o * K + c0 * taps, gw + o * K + c1 * taps, T(0));
      for (Index n = 0; n < g.batch; ++n) accumulate_images(gw, n, 1, c0, c1);
    });
    return;
  }
  // Work items: images, or groups of images with few positions each.
  const Index group = images_per_group(g, threads, sizeof(T)), items = ceil_div(g.batch, group);
  auto accumulate_item = [&](T* acc, Index item) {
    accumulate_images(acc, item * group, std::min(group, g.batch - item * group), 0, C);
  };
  if (threads <= 1) {
    std::fill(gw, gw + size, T(0));
    for_items(1, 1, [&](Index) {
      for (Index item = 0; item < items; ++item) accumulate_item(gw, item);
    });
    return;
  }
  // Many images: each thread sums its images into its own buffer (thread 0
  // straight into gw), then the buffers are added into gw, each thread
  // taking a slice.
  constexpr int kMaxThreads = 256;
  std::array<T*, kMaxThreads> partial{};
#pragma omp parallel num_threads(std::min(threads, kMaxThreads))
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    omp_set_num_threads(1);  // as in for_items
    T* acc = t == 0 ? gw : workspace<T>(kWeightAux, static_cast<std::size_t>(size));
    partial[static_cast<std::size_t>(t)] = acc;
    std::fill(acc, acc + size, T(0));
#pragma omp for schedule(static)
    for (Index item = 0; item < items; ++item) accumulate_item(acc, item);
    // (the loop's implicit barrier: every partial sum is complete)
    const Index begin = size * t / nt, end = size * (t + 1) / nt;
    for (int u = 1; u < nt; ++u) {
      const T* src = partial[static_cast<std::size_t>(u)];
      for (Index e = begin; e < end; ++e) gw[e] += src[e];
    }
  }
}

// ---- the plain-loop references ----

template <typename T>
void forward_ref(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  const Index C = g.in_channels, H = g.in_h, Wd = g.in_w, O = g.out_channels;
  for (Index n = 0; n < g.batch; ++n)
    for (Index o = 0; o < O; ++o)
      for (Index oh = 0; oh < g.out_h; ++oh)
        for (Index ow = 0; ow < g.out_w; ++ow) {
          T acc = bias ? bias[o] : T(0);
          for (Index c = 0; c < C; ++c)
            for (Index i = 0; i < g.kernel_h; ++i)
              for (Index j = 0; j < g.kernel_w; ++j) {
                const Index ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                const Index iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                acc += x[((n * C + c) * H + ih) * Wd + iw] * w[((o * C + c) * g.kernel_h + i) * g.kernel_w + j];
              }
          y[((n * O + o) * g.out_h + oh) * g.out_w + ow] = acc;
        }
}

template <typename T>
void backward_data_ref(T* gx, const T* gy, const T* w, const T* bias, const ConvGeometry& g) {
  const Index C = g.in_channels, H = g.in_h, Wd = g.in_w, O = g.out_channels;
  for (Index n = 0; n < g.batch; ++n)
    for (Index c = 0; c < C; ++c)
      for (Index e = 0; e < H * Wd; ++e) gx[(n * C + c) * H * Wd + e] = bias ? bias[c] : T(0);
  for (Index n = 0; n < g.batch; ++n)
    for (Index o = 0; o < O; ++o)
      for (Index oh = 0; oh < g.out_h; ++oh)
        for (Index ow = 0; ow < g.out_w; ++ow) {
          const T go = gy[((n * O + o) * g.out_h + oh) * g.out_w + ow];
          for (Index c = 0; c < C; ++c)
            for (Index i = 0; i < g.kernel_h; ++i)
              for (Index j = 0; j < g.kernel_w; ++j) {
                const Index ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                const Index iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                gx[((n * C + c) * H + ih) * Wd + iw] += go * w[((o * C + c) * g.kernel_h + i) * g.kernel_w + j];
              }
        }
}

template <typename T>
void backward_weight_ref(T* gw, const T* x, const T* gy, const ConvGeometry& g) {
  const Index C = g.in_channels, H = g.in_h, Wd = g.in_w, O = g.out_channels;
  for (Index o = 0; o < O; ++o)
    for (Index c = 0; c < C; ++c)
      for (Index i = 0; i < g.kernel_h; ++i)
        for (Index j = 0; j < g.kernel_w; ++j) {
          T acc = 0;
          for (Index n = 0; n < g.batch; ++n)
            for (Index oh = 0; oh < g.out_h; ++oh)
              for (Index ow = 0; ow < g.out_w; ++ow) {
                const Index ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                const Index iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                acc += gy[((n * O + o) * g.out_h + oh) * g.out_w + ow] * x[((n * C + c) * H + ih) * Wd + iw];
              }
          gw[((o * C + c) * g.kernel_h + i) * g.kernel_w + j] = acc;
        }
}

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

// ---- entry points: dtype dispatch ----

void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g) {
  dispatch_floating(output.dtype(), "conv2d", [&]<typename T>() {
    forward_fast(output.data<T>(), input.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g) {
  dispatch_floating(grad_input.dtype(), "conv2d backward (input)", [&]<typename T>() {
    backward_data_fast(grad_input.data<T>(), grad_output.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g) {
  dispatch_floating(grad_weight.dtype(), "conv2d backward (weight)", [&]<typename T>() {
    backward_weight_fast(grad_weight.data<T>(), input.data<T>(), grad_output.data<T>(), g);
  });
}

namespace reference {

void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g) {
  dispatch_floating(output.dtype(), "conv2d (reference)", [&]<typename T>() {
    forward_ref(output.data<T>(), input.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g) {
  dispatch_floating(grad_input.dtype(), "conv2d backward (input, reference)", [&]<typename T>() {
    backward_data_ref(grad_input.data<T>(), grad_output.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g) {
  dispatch_floating(grad_weight.dtype(), "conv2d backward (weight, reference)", [&]<typename T>() {
    backward_weight_ref(grad_weight.data<T>(), input.data<T>(), grad_output.data<T>(), g);
  });
}

}  // namespace reference

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
