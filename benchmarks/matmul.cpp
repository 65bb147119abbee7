// matmul: zengen's float32 product beside the bars, in the same binary and
// with the same threads (OMP_NUM_THREADS): Eigen's GEMM called directly and,
// where CMake found it (pkg-config openblas, Debian's libopenblas-dev),
// OpenBLAS's cblas_sgemm, at 256, 1024 and 2048. `zengen_matmul` is the
// public op (checks, output allocation); `zengen_sgemm` is the kernel alone
// into a preallocated matrix, as the bars are. GFLOP/s counts 2 n^3.
//
//   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive ./build/benchmarks/bench_matmul
//
// OpenBLAS (the pthread build) keeps its own thread pool: it is set to
// OMP_NUM_THREADS threads. Its speed depends on OPENBLAS_CORETYPE; the
// context line prints that setting.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Core>
#include <cstdlib>
#include <vector>

#include "bench_common.hpp"
#include "cpu/gemm.hpp"
#include "zengen/zengen.hpp"

#if ZENGEN_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace zg = zengen;

namespace {

using zengen::bench::set_gflops;

double cube_flops(std::int64_t n) { return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n); }

void set_counters(benchmark::State& state, std::int64_t n) {
  set_gflops(state, cube_flops(n));
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
  set_counters(state, n);
}

// The right operand as a transposed view: packed in place, not copied.
void zengen_matmul_transposed(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  zg::manual_seed(0);
  const zg::Tensor a = zg::randn({n, n}), b = zg::randn({n, n}).t();
  for (auto _ : state) {
    zg::Tensor c = zg::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_counters(state, n);
}

// zengen's SGEMM kernel alone, into a preallocated matrix (the kernel the
// CPU picks: avx512, else avx2, else eigen; the label says which).
void zengen_sgemm(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
  std::vector<float> c(static_cast<std::size_t>(n * n));
  for (auto _ : state) {
    zg::cpu::sgemm(n, n, n, 1.0f, {a.data(), n, 1}, {b.data(), n, 1}, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.SetLabel(std::string(zg::cpu::gemm_kernel_name(zg::cpu::gemm_best_kernel())));
  set_counters(state, n);
}

// A bar: Eigen's GEMM into a preallocated matrix.
void eigen_direct(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  set_counters(state, n);
}

#if ZENGEN_BENCH_OPENBLAS
// The bar the issue sets (90% of it): OpenBLAS's SGEMM, row-major.
void openblas_sgemm(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  const Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n);
  std::vector<float> c(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  openblas_set_num_threads(omp_get_max_threads());
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  state.SetLabel(std::string("OPENBLAS_CORETYPE=") + (coretype ? coretype : "(unset)") + ", core " +
                 openblas_get_corename());
  set_counters(state, n);
}
#endif

}  // namespace

BENCHMARK(zengen_matmul)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen_sgemm)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(eigen_direct)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
#if ZENGEN_BENCH_OPENBLAS
BENCHMARK(openblas_sgemm)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif
BENCHMARK(zengen_matmul_transposed)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
