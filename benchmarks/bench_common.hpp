// Shared by the benchmarks: sizes, the bandwidth and GFLOP/s counters, the
// dtype argument, and the plain copy memory-bound kernels are compared against.
#pragma once

#include <benchmark/benchmark.h>

#include <omp.h>

#include <cstdint>
#include <cstring>

#include "zengen/zengen.hpp"

namespace zengen::bench {

/// 16M float32 elements (64 MiB per tensor).
inline constexpr std::int64_t kElements = std::int64_t{1} << 24;
inline constexpr double kFloatBytes = 4.0;

/// Reports GB/s (1e9 bytes per second) of `bytes` read + written per iteration.
inline void set_bandwidth(benchmark::State& state, double bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

/// Reports GFLOP/s of `flops` per iteration.
inline void set_gflops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

/// The dtype a benchmark registered with Arg(32) or Arg(64) runs in.
inline DType dtype_arg(const benchmark::State& state) {
  return state.range(0) == 64 ? DType::Float64 : DType::Float32;
}

/// The bars: plain copies of 16M float32 (64 MiB read + 64 MiB written), by
/// one memcpy and by an OpenMP loop on the kernels' threads (as in
/// benchmarks/elementwise.cpp).
inline void BM_copy_memcpy(benchmark::State& state) {
  const Tensor src = rand({kElements});
  const Tensor dst = rand({kElements});
  for (auto _ : state) {
    std::memcpy(dst.data_ptr(), src.data_ptr(), static_cast<std::size_t>(kFloatBytes * kElements));
    benchmark::ClobberMemory();
  }
  set_bandwidth(state, 2 * kFloatBytes * kElements);
}

inline void BM_copy_openmp(benchmark::State& state) {
  const Tensor src = rand({kElements});
  const Tensor dst = rand({kElements});
  const float* s = src.data<float>();
  float* d = dst.data<float>();
  for (auto _ : state) {
#pragma omp parallel for simd schedule(static)
    for (std::int64_t i = 0; i < kElements; ++i) d[i] = s[i];
    benchmark::ClobberMemory();
  }
  set_bandwidth(state, 2 * kFloatBytes * kElements);
}

}  // namespace zengen::bench
