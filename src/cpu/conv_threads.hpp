// Internal to the convolution kernels: how a call uses the threads.
//
// Each call opens at most one parallel region and splits independent work
// items across it; every GEMM inside runs single-threaded (Eigen does not
// thread inside a parallel region), so threads are never oversubscribed.
// Large batches split over images; when the batch does not divide evenly
// among the threads, each image is also split: forward by blocks of output
// positions, backward-data and backward-weight by groups of input channels
// (their outputs for different channels never overlap).
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <numeric>

#include "cpu/conv_common.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

// Threads for a call: one when small, or already inside a parallel region.
inline int call_threads(const ConvGeometry& g, const ConvTuning& tuning) {
  if (omp_in_parallel() || g.flops() < tuning.parallel_min_flops) return 1;
  return std::max(1, omp_get_max_threads());
}

// Parts to split each image into so that the batch spreads evenly over
// `threads` (1 when whole images already do).
inline Index parts_per_image(Index batch, int threads) {
  const Index t = threads;
  if (t <= 1 || batch % t == 0 || batch >= 4 * t) return 1;
  return t / std::gcd(batch, t);
}

// Runs f(item) for every item in [0, count), split statically over
// `threads` in one parallel region. Every GEMM inside runs single-threaded:
// Eigen threads a product up to omp_get_max_threads() unless it is already
// in a team of several threads, so a one-thread region (a small call) sets
// that to 1 for itself.
template <typename F>
void for_items(Index count, int threads, F&& f) {
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    omp_set_num_threads(1);  // this region's own setting; the caller's is untouched
#pragma omp for schedule(static)
    for (Index item = 0; item < count; ++item) f(item);
  }
}

// out [size] = the sum over the work items [0, count) of what
// accumulate_item(acc, item) adds into a zeroed acc [size], split over
// `threads` (at most 256) in one parallel region: each thread sums its
// items into its own buffer (thread 0 straight into out), then the buffers
// are added into out, each thread taking a slice.
template <typename T, typename F>
void sum_items(T* out, Index size, Index count, int threads, F&& accumulate_item) {
  constexpr int kMaxThreads = 256;
  std::array<T*, kMaxThreads> partial{};
#pragma omp parallel num_threads(std::min(threads, kMaxThreads))
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    omp_set_num_threads(1);  // as in for_items
    T* acc = t == 0 ? out : workspace<T>(kWeightAux, static_cast<std::size_t>(size));
    partial[static_cast<std::size_t>(t)] = acc;
    std::fill(acc, acc + size, T(0));
#pragma omp for schedule(static)
    for (Index item = 0; item < count; ++item) accumulate_item(acc, item);
    // (the loop's implicit barrier: every partial sum is complete)
    const Index begin = size * t / nt, end = size * (t + 1) / nt;
    for (int u = 1; u < nt; ++u) {
      const T* src = partial[static_cast<std::size_t>(u)];
      for (Index e = begin; e < end; ++e) out[e] += src[e];
    }
  }
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
