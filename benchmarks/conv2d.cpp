// conv2d on the CPU: each direction's kernel alone on every DCGAN
// discriminator layer (BM_conv2d_layer: batch 64, 3->64@64x64, 64->128@32x32,
// 128->256@16x16, 256->512@8x8, kernel 4, stride 2, padding 1); the middle
// layer (64 -> 128 at 32x32) forward and forward + backward through the op;
// and the plain-loop reference against the fast kernel on a smaller shape. GFLOP/s counts 2 N O C kh kw Ho Wo per direction (forward,
// backward-data, backward-weight); the PyTorch side is
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

// The geometry the CPU kernels take for layer l.
zg::cpu::ConvGeometry geometry(const ConvLayer& l) {
  const std::int64_t out = zg::conv_output_size(l.size, l.kernel, l.stride, l.padding, 1);
  return {.batch = l.batch, .in_channels = l.in_channels, .in_h = l.size, .in_w = l.size,
          .out_channels = l.out_channels, .kernel_h = l.kernel, .kernel_w = l.kernel, .out_h = out, .out_w = out,
          .stride_h = l.stride, .stride_w = l.stride, .pad_h = l.padding, .pad_w = l.padding};
}
zg::Shape weight(const ConvLayer& l) { return {l.out_channels, l.in_channels, l.kernel, l.kernel}; }

constexpr ConvLayer kDcgan{64, 64, 128, 32, 4, 2, 1};  // discriminator layer 2
constexpr ConvLayer kSmall{4, 16, 32, 16, 4, 2, 1};    // for the plain-loop reference

using zengen::bench::dtype_arg;
using zengen::bench::set_gflops;

auto conv2d_op = [](const auto&... args) { return zg::conv2d(args...); };

void BM_conv2d_forward(benchmark::State& state) {
  zengen::bench::conv_op_forward(state, kDcgan, weight(kDcgan), conv2d_op, geometry(kDcgan).flops());
}

void BM_conv2d_forward_backward(benchmark::State& state) {
  zengen::bench::conv_op_forward_backward(state, kDcgan, weight(kDcgan), conv2d_op, geometry(kDcgan).flops());
}

// One direction's kernel alone (no op, no autograd).
template <int Direction>
void BM_conv2d_kernel(benchmark::State& state) {
  const ConvLayer l = kDcgan;
  const auto g = geometry(l);
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(weight(l), opts);
  const zg::Tensor y = zg::randn({g.batch, g.out_channels, g.out_h, g.out_w}, opts);
  for (auto _ : state) {
    if constexpr (Direction == 0) zg::cpu::conv2d_forward(y, x, w, zg::Tensor(), g);
    if constexpr (Direction == 1) zg::cpu::conv2d_backward_data(x, y, w, zg::Tensor(), g);
    if constexpr (Direction == 2) zg::cpu::conv2d_backward_weight(w, x, y, g);
    benchmark::ClobberMemory();
  }
  set_gflops(state, g.flops());
}

// The plain-loop reference and the fast kernel, forward, on kSmall.
template <bool Reference>
void BM_conv2d_small_forward(benchmark::State& state) {
  const ConvLayer l = kSmall;
  const auto g = geometry(l);
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(weight(l), opts);
  const zg::Tensor b = zg::randn({l.out_channels}, opts);
  const zg::Tensor y = zg::empty({g.batch, g.out_channels, g.out_h, g.out_w}, opts);
  for (auto _ : state) {
    if constexpr (Reference)
      zg::cpu::reference::conv2d_forward(y, x, w, b, g);
    else
      zg::cpu::conv2d_forward(y, x, w, b, g);
    benchmark::ClobberMemory();
  }
  set_gflops(state, g.flops());
}

// Every DCGAN discriminator layer at batch 64 (64x64 images, k4 s2 p1: 0-3;
// 32x32 images with ndf 32: 4-6), and 64->128@32x32 at batch 1 and 256 for
// scaling (7, 8); each direction's kernel alone. benchmarks/compare_pytorch.py
// times the same layers in PyTorch (benchmarks/report.py pairs them).
constexpr ConvLayer kDiscriminator[] = {
    {64, 3, 64, 64, 4, 2, 1}, {64, 64, 128, 32, 4, 2, 1}, {64, 128, 256, 16, 4, 2, 1}, {64, 256, 512, 8, 4, 2, 1},
    {64, 3, 32, 32, 4, 2, 1}, {64, 32, 64, 16, 4, 2, 1},   {64, 64, 128, 8, 4, 2, 1},
    {1, 64, 128, 32, 4, 2, 1}, {256, 64, 128, 32, 4, 2, 1}};

void BM_conv2d_layer(benchmark::State& state) {
  const ConvLayer l = kDiscriminator[state.range(0)];
  const auto g = geometry(l);
  zg::manual_seed(0);
  const zg::Tensor x = zg::randn(l.input()), w = zg::randn(weight(l));
  const zg::Tensor y = zg::randn({g.batch, g.out_channels, g.out_h, g.out_w});
  zengen::bench::conv_layer_kernel(state, l, g.flops(), [&](std::int64_t direction, const zg::cpu::ConvTuning& t) {
    if (direction == 0) zg::cpu::conv2d_forward(y, x, w, zg::Tensor(), g, t);
    if (direction == 1) zg::cpu::conv2d_backward_data(x, y, w, zg::Tensor(), g, t);
    if (direction == 2) zg::cpu::conv2d_backward_weight(w, x, y, g, t);
  });
}

}  // namespace

// The Eigen-GEMM bar (eigen:1) on the 64x64 layers only.
BENCHMARK(BM_conv2d_layer)->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}, {0, 1}})->ArgNames({"layer", "dir", "eigen"})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_layer)->ArgsProduct({{4, 5, 6, 7, 8}, {0, 1, 2}, {0}})->ArgNames({"layer", "dir", "eigen"})->Unit(benchmark::kMillisecond)->UseRealTime();
// Argument: 32 or 64 (float32 / float64).
BENCHMARK(BM_conv2d_forward)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_forward_backward)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_kernel, 0)->Name("BM_conv2d_kernel_forward")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_kernel, 1)->Name("BM_conv2d_kernel_backward_data")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_kernel, 2)->Name("BM_conv2d_kernel_backward_weight")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_small_forward, true)->Name("BM_conv2d_small_forward_reference")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_small_forward, false)->Name("BM_conv2d_small_forward_fast")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
