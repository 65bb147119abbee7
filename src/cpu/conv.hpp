// Internal: CPU kernels of the convolution family (conv2d and its adjoint,
// conv_transpose2d), on NCHW tensors.
//
// Every kernel is written in terms of one conv2d: input [N, C, H, W], weight
// [O, C, kh, kw], output [N, O, Ho, Wo]. The three directions are
//   forward          output       = conv(input, weight) (+ bias)
//   backward_data    grad_input   = conv^T(grad_output, weight)
//   backward_weight  grad_weight  = sum over n, positions of grad_output x input patch
// conv_transpose2d reuses them with the roles swapped: its forward is
// backward_data, its input gradient is forward, its weight gradient is
// backward_weight with (its grad, its input) as (input, grad_output).
//
// The fast versions lower the convolution to matrix products: per image,
// the input patches are unrolled into a column matrix [C kh kw, Ho Wo]
// (im2col, by blocks of output positions so a block stays in cache), and a
// GEMM multiplies it with the weight seen as [O, C kh kw]; the
// backward-data direction multiplies by the transposed weight and scatters
// the columns back (col2im). The GEMM is zengen's packed SGEMM for float32
// (cpu/gemm.hpp) and Eigen's for float64. With the packed SGEMM, float32
// never builds a column matrix: the weight (forward) or the transposed
// weight (backward-data) is packed into the micro-kernel's layout once per
// call, and the columns (forward) or transposed columns (backward-weight)
// are written from the padded input straight into the micro-kernel's
// panels, one copy instead of im2col plus the GEMM's own packing. A 1x1
// kernel with stride 1 and no padding uses the input itself as the column
// matrix. Each call opens at most one OpenMP
// parallel region: large batches split over images, smaller ones also split
// each image (forward by blocks of output positions, the backward
// directions by groups of input channels), and every GEMM runs single-
// threaded inside it, so threads are never oversubscribed. Column blocks
// and partial weight gradients live in thread-local, growing workspaces,
// so a steady-state call allocates nothing of its own.
//
// The plain-loop versions in `reference` are the direct definition (seven
// nested loops); the tests compare the fast ones against them.
//
// The code, by concern (every file compiled once per ISA level, cpu/isa.hpp):
//   conv.cpp                the entry points and the fast kernels: which path a call takes
//   conv_common.hpp         index arithmetic, geometry tests, thread-local workspaces
//   conv_gemm.hpp           the GEMM call: zengen's sgemm for float32, Eigen for float64
//   conv_threads.hpp        how a call uses the threads (one parallel region)
//   conv_im2col.hpp         im2col / col2im over the padded input, by blocks of positions
//   conv_x86.hpp            the AVX2 gathers of col2im and of the panel writers
//   conv_grouped.{hpp,cpp}  images with few output positions, taken in groups
//   conv_panels.{hpp,cpp}   float32 on the packed SGEMM: the columns written as its panels
//   conv_reference.cpp      the plain-loop references
//
// Kernels trust their caller (src/ops/conv.cpp validates): every tensor is a
// contiguous CPU tensor of one floating dtype with the shapes above.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cpu/gemm.hpp"
#include "cpu/isa.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::cpu {

/// The geometry of one conv2d. out_h/out_w may be smaller than the output
/// size rule gives (then the convolution is restricted to the first output
/// rows/columns): conv_transpose2d with output_padding >= stride is the
/// adjoint of such a restricted conv2d.
struct ConvGeometry {
  std::int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  std::int64_t out_channels = 0, kernel_h = 0, kernel_w = 0;
  std::int64_t out_h = 0, out_w = 0;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;

  std::int64_t patch() const { return in_channels * kernel_h * kernel_w; }  // GEMM inner dim
  std::int64_t positions() const { return out_h * out_w; }
  /// Multiply-adds of one direction, times two.
  double flops() const {
    return 2.0 * static_cast<double>(batch) * static_cast<double>(out_channels) * static_cast<double>(patch()) *
           static_cast<double>(positions());
  }
};

/// Knobs of the fast kernels, a parameter of each call (the defaults are
/// what zengen's ops use; tests and benchmarks pass others to reach every
/// branch or to time the Eigen GEMM as a bar). There is no global setting.
struct ConvTuning {
  /// Bytes of one thread's column block (the im2col workspace of float64
  /// and of the Eigen path; float32 on the packed GEMM builds no column
  /// block): an image's output positions are split into blocks of at most
  /// this size (but at least 16 positions).
  std::size_t col_block_bytes = std::size_t{4} << 20;
  /// Calls with fewer flops than this run on one thread (about 0.3 ms on
  /// one core): for them a fork/join gains little, and on a machine shared
  /// with other processes it can cost a whole scheduler slice.
  double parallel_min_flops = 2e7;
  /// The float32 GEMM kernel (cpu/gemm.hpp): Auto picks the best this CPU
  /// runs; Eigen gives the Eigen-GEMM path as a bar for the benchmarks.
  GemmKernel gemm_kernel = GemmKernel::Auto;
};

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// output [N, O, Ho, Wo] = conv(input, weight) + bias (bias [O] or undefined).
void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g, const ConvTuning& tuning = {});
/// grad_input [N, C, H, W] = conv^T(grad_output, weight), plus bias[c] on
/// channel c when bias ([C]) is defined (conv_transpose2d's bias).
void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g, const ConvTuning& tuning = {});
/// grad_weight [O, C, kh, kw] = sum_n,p grad_output[n, o, p] input[n, c, patch p shifted by (i, j)].
void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g, const ConvTuning& tuning = {});

namespace reference {
/// The direct definitions, plain nested loops, one thread; same contracts.
void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g);
void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g);
void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g);
}  // namespace reference

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
