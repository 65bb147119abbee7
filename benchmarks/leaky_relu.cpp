// LeakyReLU (slope 0.2, as in DCGAN's discriminator) on 16M float32, forward
// and backward, in GB/s of the bytes each direction must touch, beside plain
// copies of 16M float32 (BM_copy_memcpy, BM_copy_openmp: the bandwidth bar).
//
//   forward   reads x, writes y            2 x 4 bytes per element
//   backward  reads grad and x, writes dx  3 x 4 bytes per element
//
// Each direction runs three ways: the public op (allocates its output, served
// by the caching allocator after the first call), the CPU kernel into a
// preallocated output (what the op costs without the allocation), and a
// plain OpenMP loop written here (what a straightforward fused loop reaches;
// written without a branch, since x's sign is random).
// The target: at least 85% of the copy's GB/s. Last, the fused
// bias + LeakyReLU of a Linear layer beside the two ops it replaces.
//
//   OMP_NUM_THREADS=2 ./build/benchmarks/bench_leaky_relu
#include "bench_common.hpp"
#include "cpu/activation.hpp"

namespace zg = zengen;
using zengen::bench::kElements;
using zengen::bench::kFloatBytes;

namespace {

constexpr double kSlope = 0.2;
constexpr double kForwardBytes = 2 * kFloatBytes * kElements;
constexpr double kBackwardBytes = 3 * kFloatBytes * kElements;

struct Operands {
  zg::Tensor x, grad, out;
  Operands() {
    zg::manual_seed(3);
    x = zg::randn({kElements});
    grad = zg::randn({kElements});
    out = zg::zeros({kElements});  // touched once, so no page faults while timed
  }
};

void BM_leaky_relu_forward_op(benchmark::State& state) {
  const Operands in;
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(zg::leaky_relu(in.x, kSlope).data_ptr());
  zengen::bench::set_bandwidth(state, kForwardBytes);
}

void BM_leaky_relu_backward_op(benchmark::State& state) {
  const Operands in;
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(zg::leaky_relu_backward(in.grad, in.x, kSlope).data_ptr());
  zengen::bench::set_bandwidth(state, kBackwardBytes);
}

// The backward as autograd runs it: the gradient of a recorded leaky_relu.
void BM_leaky_relu_backward_autograd(benchmark::State& state) {
  const Operands in;
  const zg::Tensor x = in.x.detach().requires_grad_();
  const zg::Tensor y = zg::leaky_relu(x, kSlope);
  for (auto _ : state)
    benchmark::DoNotOptimize(zg::autograd::grad({y}, {x}, {in.grad}, /*retain_graph=*/true));
  zengen::bench::set_bandwidth(state, kBackwardBytes);
}

void BM_leaky_relu_forward_kernel(benchmark::State& state) {
  const Operands in;
  for (auto _ : state) {
    zg::cpu::leaky_relu(in.out, in.x, kSlope);
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, kForwardBytes);
}

void BM_leaky_relu_backward_kernel(benchmark::State& state) {
  const Operands in;
  for (auto _ : state) {
    zg::cpu::leaky_relu_backward(in.out, in.grad, in.x, kSlope);
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, kBackwardBytes);
}

void BM_leaky_relu_forward_loop(benchmark::State& state) {
  const Operands in;
  const float* x = in.x.data<float>();
  float* y = in.out.data<float>();
  const float slope = kSlope;
  for (auto _ : state) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < kElements; ++i) y[i] = x[i] * (x[i] > 0.0f ? 1.0f : slope);
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, kForwardBytes);
}

void BM_leaky_relu_backward_loop(benchmark::State& state) {
  const Operands in;
  const float* x = in.x.data<float>();
  const float* g = in.grad.data<float>();
  float* dx = in.out.data<float>();
  const float slope = kSlope;
  for (auto _ : state) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < kElements; ++i) dx[i] = g[i] * (x[i] > 0.0f ? 1.0f : slope);
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, kBackwardBytes);
}

// A Linear layer's bias and LeakyReLU over its output (the same 16M floats
// as rows of 256 features): the fused op (read x, write y) against the two
// ops it replaces (x + bias, then leaky_relu: two passes and a temporary).
// Both are charged the fused op's bytes, so the GB/s ratio is the saving.
constexpr std::int64_t kFeatures = 256;

void BM_bias_leaky_relu_fused_op(benchmark::State& state) {
  const Operands in;
  const zg::Tensor rows = in.x.reshape({kElements / kFeatures, kFeatures}), bias = zg::randn({kFeatures});
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(zg::bias_leaky_relu(rows, bias, kSlope, -1).data_ptr());
  zengen::bench::set_bandwidth(state, kForwardBytes);
}

void BM_bias_leaky_relu_unfused_ops(benchmark::State& state) {
  const Operands in;
  const zg::Tensor rows = in.x.reshape({kElements / kFeatures, kFeatures}), bias = zg::randn({kFeatures});
  zg::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(zg::leaky_relu(rows + bias, kSlope).data_ptr());
  zengen::bench::set_bandwidth(state, kForwardBytes);
}

}  // namespace

BENCHMARK(zengen::bench::BM_copy_memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen::bench::BM_copy_openmp)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_forward_op)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_forward_kernel)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_forward_loop)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_backward_op)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_backward_autograd)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_backward_kernel)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_leaky_relu_backward_loop)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_bias_leaky_relu_fused_op)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_bias_leaky_relu_unfused_ops)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
