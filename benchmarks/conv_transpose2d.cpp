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
#include "conv_bench.hpp"
#include "cpu/conv.hpp"
#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

using zengen::bench::ConvLayer;

std::int64_t out_size(const ConvLayer& l) {
  return zg::conv_transpose_output_size(l.size, l.kernel, l.stride, l.padding, 1, 0);
}
// The geometry of the conv2d that layer l is the adjoint of: from its output
// back to its input.
zg::cpu::ConvGeometry geometry(const ConvLayer& l) {
  return {.batch = l.batch, .in_channels = l.out_channels, .in_h = out_size(l), .in_w = out_size(l),
          .out_channels = l.in_channels, .kernel_h = l.kernel, .kernel_w = l.kernel, .out_h = l.size, .out_w = l.size,
          .stride_h = l.stride, .stride_w = l.stride, .pad_h = l.padding, .pad_w = l.padding};
}
zg::Shape weight(const ConvLayer& l) { return {l.in_channels, l.out_channels, l.kernel, l.kernel}; }

constexpr ConvLayer kDcgan{64, 128, 64, 16, 4, 2, 1};  // generator layer, 16x16 -> 32x32
constexpr ConvLayer kSmall{4, 32, 16, 8, 4, 2, 1};     // for the plain-loop reference

using zengen::bench::dtype_arg;
using zengen::bench::set_gflops;

auto conv_transpose2d_op = [](const auto&... args) { return zg::conv_transpose2d(args...); };

void BM_conv_transpose2d_forward(benchmark::State& state) {
  zengen::bench::conv_op_forward(state, kDcgan, weight(kDcgan), conv_transpose2d_op, geometry(kDcgan).flops());
}

void BM_conv_transpose2d_forward_backward(benchmark::State& state) {
  zengen::bench::conv_op_forward_backward(state, kDcgan, weight(kDcgan), conv_transpose2d_op,
                                          geometry(kDcgan).flops());
}

// The plain-loop reference and the fast kernel, forward (conv2d's
// backward-data), on kSmall.
template <bool Reference>
void BM_conv_transpose2d_small_forward(benchmark::State& state) {
  const ConvLayer l = kSmall;
  const auto g = geometry(l);
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(weight(l), opts);
  const zg::Tensor b = zg::randn({l.out_channels}, opts);
  const zg::Tensor y = zg::empty({l.batch, l.out_channels, out_size(l), out_size(l)}, opts);
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
// k4 s2 p1: 0-4; the 32x32 generator with ngf 32: 5-8), and 128->64@16x16 at
// batch 1 and 256 for scaling (9, 10); each direction's kernel alone. Sizes
// are the layer's input; benchmarks/compare_pytorch.py times the same layers
// in PyTorch (benchmarks/report.py pairs them).
constexpr ConvLayer kGenerator[] = {{64, 100, 512, 1, 4, 1, 0}, {64, 512, 256, 4, 4, 2, 1}, {64, 256, 128, 8, 4, 2, 1},
                                    {64, 128, 64, 16, 4, 2, 1}, {64, 64, 3, 32, 4, 2, 1},   {64, 100, 128, 1, 4, 1, 0},
                                    {64, 128, 64, 4, 4, 2, 1},  {64, 64, 32, 8, 4, 2, 1},   {64, 32, 3, 16, 4, 2, 1},
                                    {1, 128, 64, 16, 4, 2, 1},  {256, 128, 64, 16, 4, 2, 1}};

// The transposed convolution's three directions are its adjoint conv2d's:
// forward = conv2d backward-data, backward-data = conv2d forward,
// backward-weight = conv2d backward-weight with (its output gradient, its
// input) as (input, output gradient).
void BM_conv_transpose2d_layer(benchmark::State& state) {
  const ConvLayer l = kGenerator[state.range(0)];
  const auto g = geometry(l);
  zg::manual_seed(0);
  const zg::Tensor x = zg::randn(l.input()), w = zg::randn(weight(l));
  const zg::Tensor y = zg::randn({l.batch, l.out_channels, out_size(l), out_size(l)});
  zengen::bench::conv_layer_kernel(state, l, g.flops(), [&](std::int64_t direction, const zg::cpu::ConvTuning& t) {
    if (direction == 0) zg::cpu::conv2d_backward_data(y, x, w, zg::Tensor(), g, t);
    if (direction == 1) zg::cpu::conv2d_forward(x, y, w, zg::Tensor(), g, t);
    if (direction == 2) zg::cpu::conv2d_backward_weight(w, y, x, g, t);
  });
}

}  // namespace

// The Eigen-GEMM bar (eigen:1) on the 64x64 generator's layers only.
BENCHMARK(BM_conv_transpose2d_layer)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1, 2}, {0, 1}})->ArgNames({"layer", "dir", "eigen"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv_transpose2d_layer)->ArgsProduct({{5, 6, 7, 8, 9, 10}, {0, 1, 2}, {0}})->ArgNames({"layer", "dir", "eigen"})->Unit(benchmark::kMillisecond)->UseRealTime();
// Argument: 32 or 64 (float32 / float64).
BENCHMARK(BM_conv_transpose2d_forward)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv_transpose2d_forward_backward)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv_transpose2d_small_forward, true)->Name("BM_conv_transpose2d_small_forward_reference")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv_transpose2d_small_forward, false)->Name("BM_conv_transpose2d_small_forward_fast")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
