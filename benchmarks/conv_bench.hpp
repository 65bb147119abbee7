// What benchmarks/conv2d.cpp and benchmarks/conv_transpose2d.cpp share: a
// layer's description, the op timed forward and forward + backward, and one
// direction's kernel timed alone with a choice of float32 GEMM.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "bench_common.hpp"
#include "cpu/conv.hpp"
#include "zengen/zengen.hpp"

namespace zengen::bench {

/// A square convolution layer: batch, channels in and out, input size,
/// kernel, stride and padding.
struct ConvLayer {
  std::int64_t batch, in_channels, out_channels, size, kernel, stride, padding;
  Shape input() const { return {batch, in_channels, size, size}; }
  Conv2dParams params() const { return {.stride = {stride, stride}, .padding = {padding, padding}}; }
  /// "64->128@32x32"
  std::string label() const {
    return std::to_string(in_channels) + "->" + std::to_string(out_channels) + "@" + std::to_string(size) + "x" +
           std::to_string(size);
  }
};

inline constexpr const char* kConvDirections[] = {"forward", "backward_data", "backward_weight"};

/// The op `conv(x, w, b, params)` forward without autograd; weights scaled
/// to keep activations in range; `flops` per call.
template <typename Conv>
void conv_op_forward(benchmark::State& state, const ConvLayer& l, const Shape& weight, Conv conv, double flops) {
  manual_seed(0);
  const TensorOptions opts{.dtype = dtype_arg(state)};
  const Tensor x = randn(l.input(), opts), w = randn(weight, opts) * 0.05, b = randn({l.out_channels}, opts);
  NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(conv(x, w, b, l.params()));
  set_gflops(state, flops);
}

/// The op forward and backward (gradients of input, weight and bias):
/// three times `flops` per call.
template <typename Conv>
void conv_op_forward_backward(benchmark::State& state, const ConvLayer& l, const Shape& weight, Conv conv,
                              double flops) {
  manual_seed(0);
  const TensorOptions opts{.dtype = dtype_arg(state)};
  const Tensor x = randn(l.input(), opts).requires_grad_();
  const Tensor w = (randn(weight, opts) * 0.05).requires_grad_();
  const Tensor b = randn({l.out_channels}, opts).requires_grad_();
  const Tensor gy = randn(conv(x.detach(), w.detach(), Tensor(), l.params()).shape(), opts);
  for (auto _ : state) {
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
    conv(x, w, b, l.params()).backward(gy);
  }
  set_gflops(state, 3 * flops);
}

/// One direction's kernel alone: run(direction, tuning) with the direction
/// from argument 1 and, from argument 2, the float32 GEMM inside (0:
/// zengen's sgemm, 1: Eigen's, the bar) in `tuning`; labelled with the layer
/// and direction.
template <typename Run>
void conv_layer_kernel(benchmark::State& state, const ConvLayer& l, double flops, Run run) {
  const auto direction = state.range(1);
  const cpu::ConvTuning tuning{.gemm_kernel = state.range(2) == 1 ? cpu::GemmKernel::Eigen : cpu::GemmKernel::Auto};
  for (auto _ : state) {
    run(direction, tuning);
    benchmark::ClobberMemory();
  }
  state.SetLabel(l.label() + " " + kConvDirections[direction] + (state.range(2) == 1 ? " (Eigen GEMM)" : ""));
  set_gflops(state, flops);
}

}  // namespace zengen::bench
