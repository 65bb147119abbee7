// Shared by the loss and optimizer benchmarks: sizes, the bandwidth
// counters, and the plain copy every kernel is compared against.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "zengen/zengen.hpp"

namespace zengen::bench {

/// 16M float32 elements (64 MiB per tensor).
inline constexpr std::int64_t kElements = std::int64_t{1} << 24;
inline constexpr double kFloatBytes = 4.0;

/// Reports GB/s (1e9 bytes per second) of `bytes` read + written per iteration.
inline void set_bandwidth(benchmark::State& state, double bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

/// The bar: a plain copy of 16M float32 (64 MiB read + 64 MiB written), by
/// the library's copy (parallel memcpy).
inline void BM_copy(benchmark::State& state) {
  const Tensor src = rand({kElements});
  const Tensor dst = empty({kElements});
  for (auto _ : state) {
    dst.copy_(src);
    benchmark::DoNotOptimize(dst.data_ptr());
    benchmark::ClobberMemory();
  }
  set_bandwidth(state, 2 * kFloatBytes * kElements);
}

}  // namespace zengen::bench
