// Optimizer steps on one 16M-element float32 parameter, in GB/s of
// parameter, gradient and state bytes read + written per step, beside plain
// copies of 16M float32 (BM_copy_memcpy, BM_copy_openmp). Adam reads p, g,
// m, v and writes p, m, v: 7 x 4 bytes per element (AMSGrad: 9); SGD with
// momentum reads p, g, buf and writes p, buf: 5 x 4.
//
//   ./build/benchmarks/bench_optim --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "bench_common.hpp"

namespace zg = zengen;
using zengen::bench::kElements;
using zengen::bench::kFloatBytes;

namespace {

template <typename Make>
void run_optimizer(benchmark::State& state, Make make, double streams) {
  zg::manual_seed(1);
  const zg::Tensor w = zg::randn({kElements}).requires_grad_();
  w.set_grad(zg::randn({kElements}) * 1e-3);
  auto opt = make(w);
  opt.step();  // the first step out of the timing
  for (auto _ : state) {
    opt.step();
    benchmark::ClobberMemory();
  }
  zengen::bench::set_bandwidth(state, streams * kFloatBytes * kElements);
}

void BM_adam_step(benchmark::State& state) {
  run_optimizer(state, [](const zg::Tensor& w) { return zg::optim::Adam({w}, {.lr = 1e-4}); }, 7);
}
void BM_adam_amsgrad_step(benchmark::State& state) {
  run_optimizer(state, [](const zg::Tensor& w) { return zg::optim::Adam({w}, {.lr = 1e-4, .amsgrad = true}); }, 9);
}
void BM_adamw_step(benchmark::State& state) {
  run_optimizer(state, [](const zg::Tensor& w) { return zg::optim::AdamW({w}, {.lr = 1e-4}); }, 7);
}
void BM_sgd_momentum_step(benchmark::State& state) {
  run_optimizer(state, [](const zg::Tensor& w) { return zg::optim::SGD({w}, {.lr = 1e-4, .momentum = 0.9}); }, 5);
}

void BM_clip_grad_norm(benchmark::State& state) {
  // reads the gradient for the norm, then reads and writes it to scale it: 3 x 4 bytes
  zg::manual_seed(1);
  const zg::Tensor w = zg::zeros({kElements}).requires_grad_();
  w.set_grad(zg::randn({kElements}));
  for (auto _ : state) benchmark::DoNotOptimize(zg::optim::clip_grad_norm_({w}, 1e-3));
  zengen::bench::set_bandwidth(state, 3 * kFloatBytes * kElements);
}

}  // namespace

BENCHMARK(zengen::bench::BM_copy_memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen::bench::BM_copy_openmp)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_adam_step)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_adam_amsgrad_step)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_adamw_step)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_sgd_momentum_step)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_clip_grad_norm)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
