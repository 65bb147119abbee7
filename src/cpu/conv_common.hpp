// Internal to the convolution kernels (src/cpu/conv*.cpp, compiled once per
// ISA level): index arithmetic, the geometries with a path of their own, and
// the thread-local workspaces. See cpu/conv.hpp for the map of the files.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/conv.hpp"
#include "cpu/gemm.hpp"
#include "cpu/isa.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

using Index = std::int64_t;

// ---- index arithmetic ----

inline Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline Index ceil_div(Index a, Index b) { return -floor_div(-a, b); }

// True when the column matrix is the input itself ([C, H W]): a 1x1 kernel
// with stride 1, no padding and the full output.
inline bool pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// True when the window covers the whole input and there is one output
// position (DCGAN's 1x1 <-> 4x4 layers): an image's column is the image
// itself, and each direction is one GEMM over the whole batch (a fully
// connected layer), instead of per-tap copies of single elements.
inline bool whole_image(const ConvGeometry& g) {
  return g.out_h == 1 && g.out_w == 1 && g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
         g.kernel_h == g.in_h && g.kernel_w == g.in_w;
}

inline bool has_padding(const ConvGeometry& g) { return g.pad_h > 0 || g.pad_w > 0; }

// The data of an optional tensor (a bias), or null.
template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Sets each channel plane of an image [C, plane] to bias[c] (or zero).
template <typename T>
void fill_channels(T* x, const T* bias, Index C, Index plane) {
  for (Index c = 0; c < C; ++c) std::fill(x + c * plane, x + (c + 1) * plane, bias ? bias[c] : T(0));
}

// ---- workspace ----

// Thread-local growing buffers, one per Slot (one set per thread and ISA
// level: the function is inline, so every file of a level shares it).
// OpenMP keeps its worker threads alive, so the buffers are reused from call
// to call; they grow to the largest request (a column block is bounded by
// ConvTuning::col_block_bytes unless one column of the patch is larger) and
// are freed when the thread ends.
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

// The thread's packed weight (reused from call to call).
inline PackedMatrixA& packed_weight() {
  thread_local PackedMatrixA packed;
  return packed;
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
