// matmul: zengen's float32 product beside Eigen's GEMM called directly, in
// the same binary and with the same OpenMP threads (OMP_NUM_THREADS), at
// 256, 1024 and 2048. The counter FLOPS is 2 n^3 per product, as a rate.
//
//   ./build/benchmarks/bench_matmul --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Core>

#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

void set_flops(benchmark::State& state, std::int64_t n) {
  const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
  state.counters["threads"] = omp_get_max_threads();
}

// The public op: allocates its output each call (served by the caching
// allocator after the first), checks its arguments, records nothing (no grad).
void zengen_matmul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  zg::manual_seed(0);
  const zg::Tensor a = zg::randn({n, n}), b = zg::randn({n, n});
  for (auto _ : state) {
    zg::Tensor c = zg::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_flops(state, n);
}

// The right operand as a transposed view: mapped as a column-major matrix,
// not copied.
void zengen_matmul_transposed(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  zg::manual_seed(0);
  const zg::Tensor a = zg::randn({n, n}), b = zg::randn({n, n}).t();
  for (auto _ : state) {
    zg::Tensor c = zg::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_flops(state, n);
}

// The bar: Eigen's GEMM into a preallocated matrix.
void eigen_direct(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  set_flops(state, n);
}

}  // namespace

BENCHMARK(zengen_matmul)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(eigen_direct)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen_matmul_transposed)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
