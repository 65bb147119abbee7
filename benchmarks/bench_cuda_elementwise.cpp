// CUDA element-wise kernels and fused losses beside the bar of a
// device-to-device copy of the same bytes (cudaMemcpyAsync, and zengen's own
// copy kernel). GB/s counts every byte read and written once.
//
// Each iteration issues kRepeats launches on the device's stream and then
// waits for them (zengen::synchronize), so the launch latency and the one
// host sync are spread over many kernels. Built only with the CUDA backend;
// scripts/gpu-check.sh runs every bench_cuda_* program. Not yet run on a GPU.
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <iostream>

#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

constexpr std::int64_t kElements = std::int64_t{1} << 26;  // 64M float32: 256 MiB per tensor
constexpr int kRepeats = 10;
const zg::Device kGpu = zg::Device::cuda(0);

bool have_gpu(benchmark::State& state) {
  if (zg::Device::cuda_device_count() > 0) return true;
  state.SkipWithError("no CUDA device");
  return false;
}

void set_bandwidth(benchmark::State& state, double bytes_per_launch) {
  const double bytes = bytes_per_launch * kRepeats;
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

zg::Tensor gpu_rand() { return zg::rand({kElements}, {.device = kGpu}); }

template <typename F>
void run(benchmark::State& state, double bytes_per_launch, F launch) {
  zg::NoGradGuard no_grad;
  launch();  // warm-up (allocator cache, cuBLAS-free first launch)
  zg::synchronize(kGpu);
  for (auto _ : state) {
    for (int r = 0; r < kRepeats; ++r) launch();
    zg::synchronize(kGpu);
  }
  set_bandwidth(state, bytes_per_launch);
}

constexpr double kBytes = 4.0 * kElements;

// ---- the bars ----
void BM_cuda_copy_memcpy(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor src = gpu_rand(), dst = gpu_rand();
  zg::synchronize(kGpu);
  for (auto _ : state) {
    for (int r = 0; r < kRepeats; ++r)
      cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), static_cast<std::size_t>(kBytes), cudaMemcpyDeviceToDevice);
    cudaDeviceSynchronize();
  }
  set_bandwidth(state, 2 * kBytes);
}
void BM_cuda_copy_kernel(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor src = gpu_rand(), dst = gpu_rand();
  run(state, 2 * kBytes, [&] { dst.copy_(src); });
}

// ---- element-wise ----
void BM_cuda_leaky_relu_forward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = gpu_rand();
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::leaky_relu(x, 0.2)); });
}
void BM_cuda_leaky_relu_backward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = gpu_rand(), g = gpu_rand();
  run(state, 3 * kBytes, [&] { benchmark::DoNotOptimize(zg::leaky_relu_backward(g, x, 0.2)); });
}
// A layer's bias and LeakyReLU: the fused op against the two ops it
// replaces, both charged the fused op's bytes (read x, write y).
void BM_cuda_bias_leaky_relu_fused(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = zg::rand({256, 256, 32, 32}, {.device = kGpu}), b = zg::rand({256}, {.device = kGpu});
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::bias_leaky_relu(x, b, 0.2, 1)); });
}
void BM_cuda_bias_leaky_relu_unfused(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = zg::rand({256, 256, 32, 32}, {.device = kGpu}), b = zg::rand({256, 1, 1}, {.device = kGpu});
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::leaky_relu(zg::add(x, b), 0.2)); });
}
// log_softmax over rows of 1024 (read x, write y) and its backward (read g and y, write dx).
void BM_cuda_log_softmax_rows(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = zg::rand({kElements / 1024, 1024}, {.device = kGpu});
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::log_softmax(x, 1)); });
}
void BM_cuda_log_softmax_rows_backward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = zg::rand({kElements / 1024, 1024}, {.device = kGpu}).requires_grad_();
  const zg::Tensor g = zg::rand({kElements / 1024, 1024}, {.device = kGpu});
  const zg::Tensor y = zg::log_softmax(x, 1);
  run(state, 3 * kBytes, [&] { benchmark::DoNotOptimize(zg::autograd::grad({y}, {x}, {g}, /*retain_graph=*/true)); });
}
void BM_cuda_add(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = gpu_rand(), y = gpu_rand();
  run(state, 3 * kBytes, [&] { benchmark::DoNotOptimize(zg::add(x, y)); });
}
void BM_cuda_add_broadcast_bias(benchmark::State& state) {  // the strided path: [N, C, H, W] + [C, 1, 1]
  if (!have_gpu(state)) return;
  const zg::Tensor x = zg::rand({256, 256, 32, 32}, {.device = kGpu}), b = zg::rand({256, 1, 1}, {.device = kGpu});
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::add(x, b)); });
}

// ---- losses: forward reads two inputs once; backward reads two, writes one ----
void BM_cuda_mse_loss_forward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = gpu_rand(), t = gpu_rand();
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::mse_loss(x, t)); });
}
void BM_cuda_bce_with_logits_forward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = gpu_rand(), t = gpu_rand();
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::binary_cross_entropy_with_logits(x, t)); });
}
void BM_cuda_bce_forward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor p = gpu_rand(), t = gpu_rand();
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::binary_cross_entropy(p, t)); });
}
void BM_cuda_gaussian_kl_forward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor mu = zg::rand({kElements / 64, 64}, {.device = kGpu}), lv = zg::rand({kElements / 64, 64}, {.device = kGpu});
  run(state, 2 * kBytes, [&] { benchmark::DoNotOptimize(zg::gaussian_kl(mu, lv)); });
}
void BM_cuda_mse_loss_forward_backward(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const zg::Tensor x = gpu_rand().requires_grad_(), t = gpu_rand();
  // forward: read x, t; backward: read x, t, write grad (the 0-d gradient is read on the device).
  state.counters["passes"] = 2;
  run(state, 5 * kBytes, [&] {
    zg::autograd::GradModeGuard on(true);  // run() turned grad mode off
    x.zero_grad();
    zg::mse_loss(x, t).backward();
  });
}

}  // namespace

BENCHMARK(BM_cuda_copy_memcpy)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_copy_kernel)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_leaky_relu_forward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_leaky_relu_backward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_bias_leaky_relu_fused)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_bias_leaky_relu_unfused)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_log_softmax_rows)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_log_softmax_rows_backward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_add)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_add_broadcast_bias)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_mse_loss_forward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_bce_with_logits_forward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_bce_forward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_gaussian_kl_forward)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_cuda_mse_loss_forward_backward)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
