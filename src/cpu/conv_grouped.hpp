// Internal to the convolution kernels: images with few output positions,
// taken in groups. The grouped kernels are defined in conv_grouped.cpp (for
// float and double); the helpers here are shared with conv_panels.cpp.
#pragma once

#include <algorithm>
#include <cstring>

#include "cpu/conv_common.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

template <typename T>
struct TransposedWeight;

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
inline Index images_per_group(const ConvGeometry& g, int threads, std::size_t element, const ConvTuning& tuning,
                              Index target = kGroupPositions) {
  const Index P = g.positions(), K = g.patch();
  if (P == 0 || K == 0 || P >= kGroupPositions / 2 || pointwise(g)) return 1;
  Index group = std::min(std::max<Index>(1, target / P), ceil_div(g.batch, threads));
  const Index budget =
      static_cast<Index>(tuning.col_block_bytes) / std::max<Index>(1, P * K * static_cast<Index>(element));
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

// y [N, O, P] = conv(x, w) + bias, `group` images per GEMM, their columns
// side by side.
template <typename T>
void forward_grouped(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g, Index group, int threads,
                     GemmKernel kernel);
// gx [N, C, H, W] = conv^T(gy, w) + bias, `group` images per GEMM, their
// output gradients gathered side by side.
template <typename T>
void backward_data_grouped(T* gx, const T* gy, const TransposedWeight<T>& wt, const T* bias, const ConvGeometry& g,
                           Index group, int threads);
// acc [O, K] += the weight gradient of images [n0, n0 + count).
template <typename T>
void accumulate_weight_grouped(T* acc, const T* x, const T* gy, const ConvGeometry& g, Index n0, Index count,
                               GemmKernel kernel);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
