// Internal to the convolution kernels: float32 on zengen's packed SGEMM
// (cpu/gemm.hpp), which builds no column matrix (conv_panels.cpp).
//
// The weight (forward) is packed into the micro-kernel's layout once per
// call, and each GEMM's B operand (the columns; backward-weight: the
// transposed columns) is written straight from the (padded) input into the
// NR-wide panels the micro-kernel streams, through a PanelPacker. That is
// one copy of the columns instead of two (im2col, then the GEMM's packing)
// and one packing of the weight instead of one per image.
#pragma once

#include "cpu/conv_common.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

// y [N, O, P] = conv(x, w) + bias with the packed kernel `kernel` (not
// Eigen), in one parallel region of `threads`: groups of images with few
// positions each, or (image, block of positions).
void forward_packed(float* y, const float* x, const float* w, const float* bias, const ConvGeometry& g,
                    GemmKernel kernel, int threads, const ConvTuning& tuning);

// acc [O, (c1 - c0) taps] (leading dimension K) += the weight gradient of
// images [n0, n0 + count) for input channels [c0, c1), on the calling
// thread, with the packed kernel `kernel`.
void accumulate_weight_panels(float* acc, const float* x, const float* gy, const ConvGeometry& g, Index n0,
                              Index count, Index c0, Index c1, GemmKernel kernel);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
