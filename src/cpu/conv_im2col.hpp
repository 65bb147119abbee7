// Internal to the convolution kernels: im2col and col2im on a block of
// output positions, the column matrix of the float64 path and of the Eigen
// GEMM (float32 on the packed SGEMM writes its panels instead, see
// conv_panels.cpp; backward-data still adds its columns back by col2im).
//
// Both work on the zero-padded input, so every window lies inside it and
// the inner loops are plain strided copies with no bounds checks. Without
// padding that is the input itself; otherwise a block first copies the
// input rows it reads into a padded buffer (col2im: adds them back after).
#pragma once

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cpu/conv_common.hpp"
#include "cpu/conv_x86.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

// Output positions per column block.
inline Index block_positions(const ConvGeometry& g, std::size_t element, const ConvTuning& tuning) {
  const Index P = g.positions();
  const Index row_bytes = std::max<Index>(1, g.patch() * static_cast<Index>(element));
  const Index fit = static_cast<Index>(tuning.col_block_bytes) / row_bytes;
  return std::clamp<Index>(fit, std::min<Index>(P, 16), std::max<Index>(P, 1));
}

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

// The padded rows that output positions [p0, p1) read: the first one
// (counted from the padding's top edge), how many, and their width.
struct PaddedWindow {
  Index first_row, rows, width;
};
inline PaddedWindow padded_window(const ConvGeometry& g, Index p0, Index p1) {
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
              for (; t + 8 <= ow1 - ow0; t += 8) add_pairs8(d + 2 * t, a + t, b + t);
              if (t + 4 <= ow1 - ow0) {
                add_pairs4(d + 2 * t, a + t, b + t);
                t += 4;
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

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
