// The vectorised float32 exp/log and activations (src/cpu/vecmath.cpp)
// beside the scalar loops they replace (the shared functors / std::exp, as
// the element-wise kernels ran them before) and a plain copy of the same
// bytes, on 16M elements, split over OMP_NUM_THREADS threads the way
// cpu::activation splits them. GB/s counts 4 bytes read + 4 written per
// element.
//
//   OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive ./build/benchmarks/bench_vecmath
#include <benchmark/benchmark.h>

#include <cmath>

#include "bench_common.hpp"
#include "cpu/vecmath.hpp"
#include "kernels/functors.hpp"
#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

using zengen::bench::kElements;
using zengen::bench::kFloatBytes;
using zengen::bench::set_bandwidth;

// Runs body(begin, end) over [0, kElements) split evenly across the threads.
template <typename Body>
void split(Body body) {
#pragma omp parallel
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    body(kElements * t / nt, kElements * (t + 1) / nt);
  }
}

template <void (*Vector)(const float*, float*, std::int64_t)>
void vectorised(benchmark::State& state) {
  zg::manual_seed(0);
  const zg::Tensor x = zg::randn({kElements}) * 4.0, y = zg::empty({kElements});
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (auto _ : state) {
    split([&](std::int64_t b, std::int64_t e) { Vector(px + b, py + b, e - b); });
    benchmark::ClobberMemory();
  }
  state.SetLabel(zg::cpu::vecmath::vectorised() ? "avx2" : "scalar fallback");
  set_bandwidth(state, 2 * kFloatBytes * kElements);
}

template <typename F>
void scalar(benchmark::State& state) {
  zg::manual_seed(0);
  const zg::Tensor x = zg::randn({kElements}) * 4.0, y = zg::empty({kElements});
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (auto _ : state) {
    split([&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) py[i] = F{}(px[i]);
    });
    benchmark::ClobberMemory();
  }
  set_bandwidth(state, 2 * kFloatBytes * kElements);
}

struct StdExp {
  float operator()(float v) const { return std::exp(v); }
};
struct StdLog {
  float operator()(float v) const { return std::log(std::abs(v)); }
};

}  // namespace

BENCHMARK(zengen::bench::BM_copy_openmp)->Name("copy_openmp")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(vectorised, zg::cpu::vecmath::exp)->Name("vecmath_exp")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(scalar, StdExp)->Name("scalar_std_exp")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(vectorised, zg::cpu::vecmath::log)->Name("vecmath_log")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(scalar, StdLog)->Name("scalar_std_log")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(vectorised, zg::cpu::vecmath::sigmoid)->Name("vecmath_sigmoid")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(scalar, zg::functors::Sigmoid)->Name("scalar_sigmoid")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(vectorised, zg::cpu::vecmath::tanh)->Name("vecmath_tanh")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(scalar, zg::functors::Tanh)->Name("scalar_tanh")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(vectorised, zg::cpu::vecmath::softplus)->Name("vecmath_softplus")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(scalar, zg::functors::Softplus)->Name("scalar_softplus")->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
