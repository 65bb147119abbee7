// The float32 convolution on zengen's packed SGEMM (see conv_panels.hpp):
// the columns written from the (padded) input straight into the
// micro-kernel's panels.
#include "cpu/conv_panels.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "cpu/conv_grouped.hpp"
#include "cpu/conv_im2col.hpp"
#include "cpu/conv_threads.hpp"
#include "cpu/conv_x86.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

namespace {

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

}  // namespace

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

void forward_packed(float* y, const float* x, const float* w, const float* bias, const ConvGeometry& g,
                    GemmKernel kernel, int threads, const ConvTuning& tuning) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions();
  const Index image_out = O * P;
  PackedMatrixA& packed = packed_weight();
  pack_matrix_a(packed, O, K, {w, K, 1}, kernel, threads);
  // Work items: groups of images with few positions each, or (image, block
  // of positions) when the batch does not spread evenly over the threads.
  const Index group = images_per_group(g, threads, sizeof(float), tuning);
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

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
