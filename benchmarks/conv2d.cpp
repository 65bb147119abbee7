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
#include "cpu/conv.hpp"
#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

struct Layer {
  std::int64_t batch, in_channels, out_channels, size, kernel, stride, padding;
  zg::Shape input() const { return {batch, in_channels, size, size}; }
  zg::Shape weight() const { return {out_channels, in_channels, kernel, kernel}; }
  zg::Conv2dParams params() const { return {.stride = {stride, stride}, .padding = {padding, padding}}; }
  zg::cpu::ConvGeometry geometry() const {
    const std::int64_t out = zg::conv_output_size(size, kernel, stride, padding, 1);
    return {.batch = batch, .in_channels = in_channels, .in_h = size, .in_w = size,
            .out_channels = out_channels, .kernel_h = kernel, .kernel_w = kernel, .out_h = out, .out_w = out,
            .stride_h = stride, .stride_w = stride, .pad_h = padding, .pad_w = padding};
  }
};

constexpr Layer kDcgan{64, 64, 128, 32, 4, 2, 1};  // discriminator layer 2
constexpr Layer kSmall{4, 16, 32, 16, 4, 2, 1};    // for the plain-loop reference

using zengen::bench::dtype_arg;
using zengen::bench::set_gflops;

void BM_conv2d_forward(benchmark::State& state) {
  const Layer l = kDcgan;
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(l.weight(), opts) * 0.05,
                   b = zg::randn({l.out_channels}, opts);
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(zg::conv2d(x, w, b, l.params()));
  set_gflops(state, l.geometry().flops());
}

void BM_conv2d_forward_backward(benchmark::State& state) {
  const Layer l = kDcgan;
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts).requires_grad_();
  const zg::Tensor w = (zg::randn(l.weight(), opts) * 0.05).requires_grad_();
  const zg::Tensor b = zg::randn({l.out_channels}, opts).requires_grad_();
  const zg::Tensor gy = zg::randn(zg::conv2d(x.detach(), w.detach(), zg::Tensor(), l.params()).shape(), opts);
  for (auto _ : state) {
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
    zg::conv2d(x, w, b, l.params()).backward(gy);
  }
  set_gflops(state, 3 * l.geometry().flops());
}

// One direction's kernel alone (no op, no autograd).
template <int Direction>
void BM_conv2d_kernel(benchmark::State& state) {
  const Layer l = kDcgan;
  const auto g = l.geometry();
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(l.weight(), opts);
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
  const Layer l = kSmall;
  const auto g = l.geometry();
  zg::manual_seed(0);
  const zg::TensorOptions opts{.dtype = dtype_arg(state)};
  const zg::Tensor x = zg::randn(l.input(), opts), w = zg::randn(l.weight(), opts);
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

// Every DCGAN discriminator layer at batch 64 (64x64 images, k4 s2 p1),
// each direction's kernel alone; benchmarks/compare_pytorch_conv.py --layers
// times the same in PyTorch.
constexpr Layer kDiscriminator[] = {
    {64, 3, 64, 64, 4, 2, 1}, {64, 64, 128, 32, 4, 2, 1}, {64, 128, 256, 16, 4, 2, 1}, {64, 256, 512, 8, 4, 2, 1}};
constexpr const char* kDirections[] = {"forward", "backward_data", "backward_weight"};

void BM_conv2d_layer(benchmark::State& state) {
  const Layer l = kDiscriminator[state.range(0)];
  const auto g = l.geometry();
  const auto direction = state.range(1);
  // Argument 2: the float32 GEMM inside (0: zengen's sgemm, 1: Eigen's, the bar).
  const zg::cpu::ConvTuning saved = zg::cpu::conv_tuning();
  zg::cpu::conv_tuning().gemm_kernel = state.range(2) == 1 ? zg::cpu::GemmKernel::Eigen : zg::cpu::GemmKernel::Auto;
  zg::manual_seed(0);
  const zg::Tensor x = zg::randn(l.input()), w = zg::randn(l.weight());
  const zg::Tensor y = zg::randn({g.batch, g.out_channels, g.out_h, g.out_w});
  for (auto _ : state) {
    if (direction == 0) zg::cpu::conv2d_forward(y, x, w, zg::Tensor(), g);
    if (direction == 1) zg::cpu::conv2d_backward_data(x, y, w, zg::Tensor(), g);
    if (direction == 2) zg::cpu::conv2d_backward_weight(w, x, y, g);
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::to_string(l.in_channels) + "->" + std::to_string(l.out_channels) + "@" +
                 std::to_string(l.size) + "x" + std::to_string(l.size) + " " + kDirections[direction] +
                 (state.range(2) == 1 ? " (Eigen GEMM)" : ""));
  zg::cpu::conv_tuning() = saved;
  set_gflops(state, g.flops());
}

}  // namespace

BENCHMARK(BM_conv2d_layer)->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}, {0, 1}})->ArgNames({"layer", "dir", "eigen"})->Unit(benchmark::kMillisecond)->UseRealTime();
// Argument: 32 or 64 (float32 / float64).
BENCHMARK(BM_conv2d_forward)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_conv2d_forward_backward)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_kernel, 0)->Name("BM_conv2d_kernel_forward")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_kernel, 1)->Name("BM_conv2d_kernel_backward_data")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_kernel, 2)->Name("BM_conv2d_kernel_backward_weight")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_small_forward, true)->Name("BM_conv2d_small_forward_reference")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_conv2d_small_forward, false)->Name("BM_conv2d_small_forward_fast")->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
