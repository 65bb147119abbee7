// Element-wise ops on 16M float32 (64 MB per tensor, far past the caches):
// zengen's add and mul in their allocating form (a + b), leaky_relu and
// sigmoid, beside plain copies of the same size (memcpy, and an OpenMP copy
// loop) as the memory-bandwidth bar. Bytes counted are those the op must read
// and write: add/mul 3 x 4 x 16M, a copy or a unary op 2 x 4 x 16M.
//
//   ./build/benchmarks/bench_elementwise --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "zengen/zengen.hpp"

namespace zg = zengen;

namespace {

constexpr std::int64_t kElements = std::int64_t{1} << 24;
constexpr std::int64_t kBytes = kElements * 4;

void set_bytes(benchmark::State& state, std::int64_t tensors_touched) {
  state.SetBytesProcessed(state.iterations() * tensors_touched * kBytes);
  state.counters["threads"] = omp_get_max_threads();
}

zg::Tensor input() { return zg::randn({kElements}); }

void zengen_add(benchmark::State& state) {
  const zg::Tensor a = input(), b = input();
  for (auto _ : state) {
    zg::Tensor c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_bytes(state, 3);
}

void zengen_mul(benchmark::State& state) {
  const zg::Tensor a = input(), b = input();
  for (auto _ : state) {
    zg::Tensor c = a * b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_bytes(state, 3);
}

void zengen_leaky_relu(benchmark::State& state) {
  const zg::Tensor x = input();
  for (auto _ : state) {
    zg::Tensor y = zg::leaky_relu(x, 0.2);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_bytes(state, 2);
}

void zengen_sigmoid(benchmark::State& state) {
  const zg::Tensor x = input();
  for (auto _ : state) {
    zg::Tensor y = zg::sigmoid(x);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  set_bytes(state, 2);
}

// Page-aligned, already-touched buffers, so the copies time memory, not faults.
struct Buffer {
  std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
  Buffer() : data(static_cast<float*>(std::aligned_alloc(4096, kBytes)), &std::free) {
    std::memset(data.get(), 1, kBytes);
  }
  float* get() const { return data.get(); }
};

void copy_memcpy(benchmark::State& state) {
  const Buffer src, dst;
  for (auto _ : state) {
    std::memcpy(dst.get(), src.get(), kBytes);
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2);
}

void copy_openmp(benchmark::State& state) {
  const Buffer src, dst;
  const float* s = src.get();
  float* d = dst.get();
  for (auto _ : state) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < kElements; ++i) d[i] = s[i];
    benchmark::ClobberMemory();
  }
  set_bytes(state, 2);
}

}  // namespace

BENCHMARK(copy_memcpy)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(copy_openmp)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen_add)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen_mul)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen_leaky_relu)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(zengen_sigmoid)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
