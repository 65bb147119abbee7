// conv_transpose2d on the CPU: each direction's kernel alone on every DCGAN
// generator layer (BM_conv_transpose2d_layer, batch 64); the layer matching
// the discriminator's (128 -> 64 channels, 16x16 -> 32x32, kernel 4,
// stride 2, padding 1) forward and forward + backward through the op; and
// the plain-loop reference against the fast kernel on a smaller shape.
// GFLOP/s counts 2 N Cin Cout kh kw Hin Win per direction (the flops of the
// conv2d it is the adjoint of); the PyTorch side is
// benchmarks/compare_pytorch_conv.py.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_common.hpp"
#include "cpu/conv.hpp"
#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

struct Layer {
  std::int64_t batch, in_channels, out_channels, size, kernel, stride, padding;
  zg::Shape input() const { return {batch, in_channels, size, size}; }
  zg::Shape weight() const { return {in_channels, out_channels, kernel, kernel}; }
  zg::Conv2dParams params() const { return {.stride = {stride, stride}, .padding = {padding, padding}}; }
  std::int64_t out_size() const { return zg::conv_transpose_output_size(size, kernel, stride, padding, 1, 0); }
  // The conv2d this is the adjoint of: from the output back to the input.
  zg::cpu::ConvGeometry geometry() const {
    return {.batch = batch, .in_channels = out_channels, .in_h = out_size(), .in_w = out_size(),
            .out_channels = in_channels, .kernel_h = kernel, .kernel_w = kernel, .out_h = size, .out_w = size,
            .stride_h = stride, .stride_w = stride, .pad_h = padding, .pad_w = padding};
  }
};

constexpr Layer kDcgan{64, 128, 64, 16, 4, 2, 1};  // generator layer, 16x16 -> 32x32
constexpr Layer kSmall{4, 32, 16, 8, 4, 2, 1};     // for the plain-loop reference

using zengen::bench::dtype_arg;
using zengen::bench::set_gflops;

void BM_conv_transpose2d_forward(benchmark::State& state) {
  const Layer l = kDcgan;
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(l.weight(), opts) * 0.05,
                   b = zg::randn({l.out_channels}, opts);
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(zg::conv_transpose2d(x, w, b, l.params()));
  set_gflops(state, l.geometry().flops());
}

void BM_conv_transpose2d_forward_backward(benchmark::State& state) {
  const Layer l = kDcgan;
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts).requires_grad_();
  const zg::Tensor w = (zg::randn(l.weight(), opts) * 0.05).requires_grad_();
  const zg::Tensor b = zg::randn({l.out_channels}, opts).requires_grad_();
  const zg::Tensor gy = zg::randn({l.batch, l.out_channels, l.out_size(), l.out_size()}, opts);
  for (auto _ : state) {
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
    zg::conv_transpose2d(x, w, b, l.params()).backward(gy);
  }
  set_gflops(state, 3 * l.geometry().flops());
}

// The plain-loop reference and the fast kernel, forward (conv2d's
// backward-data), on kSmall.
template <bool Reference>
void BM_conv_transpose2d_small_forward(benchmark::State& state) {
  const Layer l = kSmall;
  const auto g = l.geometry();
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(l.weight(), opts);
  const zg::Tensor b = zg::randn({l.out_channels}, opts);
  const zg::Tensor y = zg::empty({l.batch, l.out_channels, l.out_size(), l.out_size()}, opts);
  for (auto _ : state) {
    if constexpr (Reference)
      zg::cpu::reference::conv2d_backward_data(y, x, w, b, g);
    else
      zg::cpu::conv2d_backward_data(y, x, w, b, g);
    benchmark::ClobberMemory();
  }
  set_gflops(state, g.flops());
}

// Every DCGAN generator layer at batch 64 (100->512 from 1x1 to 4x4 with
// k4 s1 p0, then 512->256@4x4, 256->128@8x8, 128->64@16x16, 64->3@32x32 with
// k4 s2 p1), each direction's kernel alone. Sizes are the layer's input;
// benchmarks/compare_pytorch_conv.py --layers times the same in PyTorch.
constexpr Layer kGenerator[] = {{64, 100, 512, 1, 4, 1, 0},
                                {64, 512, 256, 4, 4, 2, 1},
                                {64, 256, 128, 8, 4, 2, 1},
                                {64, 128, 64, 16, 4, 2, 1},
                                {64, 64, 3, 32, 4, 2, 1}};
constexpr const char* kDirections[] = {"forward", "backward_data", "backward_weight"};

// The transposed convolution's three directions are its adjoint conv2d's:
// forward = conv2d backward-data, backward-data = conv2d forward,
// backward-weight = conv2d backward-weight with (its output gradient, its
// input) as (input, output gradient).
void BM_conv_transpose2d_layer(benchmark::State& state) {
  const Layer l = kGenerator[state.range(0)];
  const auto g = l.geometry();
  const auto direction = state.range(1);
  // Argument 2: the float32 GEMM inside (0: zengen's sgemm, 1: Eigen's, the bar).
  const zg::cpu::ConvTuning saved = zg::cpu::conv_tuning();
  zg::cpu::conv_tuning().gemm_kernel = state.range(2) == 1 ? zg::cpu::GemmKernel::Eigen : zg::cpu::GemmKernel::Auto;
  zg::manual_seed(0);
  const zg::Tensor x = zg::randn(l.input()), w = zg::randn(l.weight());
  const zg::Tensor y = zg::randn({l.batch, l.out_channels, l.out_size(), l.out_size()});
  for (auto _ : state) {
    if (direction == 0) zg::cpu::conv2d_backward_data(y, x, w, zg::Tensor(), g);
    if (direction == 1) zg::cpu::conv2d_forward(x, y, w, zg::Tensor(), g);
    if (direction == 2) zg::cpu::conv2d_backward_weight(w, y, x, g);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(l.in_channels) + "->" + std::to_string(l.out_channels) + "@" +
                 std::to_string(l.size) + "x" + std::to_string(l.size) + " " + kDirections[direction] +
                 (state.range(2) == 1 ? " (Eigen GEMM)" : ""));
  zg::cpu::conv_tuning() = saved;
  set_gflops(state, g.flops());
}

}  // namespace

BENCHMARK(BM_conv_transpose2d_layer)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1, 2}, {0, 1}})->ArgNames({"layer", "dir", "eigen"})->Unit(benchmark::kMillisecond)->UseRealTime();
// Argument: 32 or 64 (float32 / float64).
BENCHMARK(BM_conv_transpose2d_forward)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv_transpose2d_forward_backward)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv_transpose2d_small_forward, true)->Name("BM_conv_transpose2d_small_forward_reference")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv_transpose2d_small_forward, false)->Name("BM_conv_transpose2d_small_forward_fast")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
