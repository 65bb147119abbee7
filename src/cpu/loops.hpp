// Internal: the loop machinery of the CPU kernels.
//
// An element-wise kernel sees every operand as a pointer plus strides (in
// elements) over one common shape, the output's; a broadcast operand has
// stride 0 in the dims it is broadcast along. Dims are first coalesced (a
// contiguous tensor becomes one long dim), then the flat index range is split
// across OpenMP threads; each thread walks its range row by row, and the
// innermost row is a plain loop specialised for contiguous (stride 1) and
// broadcast (stride 0) operands so the compiler vectorises it.
#pragma once

#include "cpu/isa.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "zengen/core/shape.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// Below this many elements a loop runs on one thread.
inline constexpr std::int64_t kParallelGrain = 32768;

/// Number of threads for a loop over n elements of light work.
inline int threads_for(std::int64_t n, std::int64_t grain = kParallelGrain) {
  if (n < 2 * grain || omp_in_parallel()) return 1;
  return static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), n / grain));
}

/// The strides of x when broadcast to `shape` (0 in broadcast dims).
inline Shape broadcast_strides(const Tensor& x, const Shape& shape) {
  Shape out(std::vector<std::int64_t>(shape.size(), 0));
  const std::size_t offset = shape.size() - x.shape().size();
  for (std::size_t i = 0; i < x.shape().size(); ++i)
    out[offset + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  return out;
}

/// Shape and per-operand strides after dropping size-1 dims and merging dims
/// that every operand walks contiguously.
template <std::size_t N>
struct Geometry {
  Shape shape;
  std::array<Shape, N> strides;
};

template <std::size_t N>
Geometry<N> coalesce(const Shape& shape, const std::array<Shape, N>& strides) {
  Geometry<N> g;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !g.shape.empty();
    for (std::size_t k = 0; k < N && merge; ++k)
      merge = g.strides[k].back() == strides[k][d] * shape[d];
    if (merge) {
      g.shape[g.shape.size() - 1] *= shape[d];
      for (std::size_t k = 0; k < N; ++k) g.strides[k][g.strides[k].size() - 1] = strides[k][d];
    } else {
      g.shape.push_back(shape[d]);
      for (std::size_t k = 0; k < N; ++k) g.strides[k].push_back(strides[k][d]);
    }
  }
  if (g.shape.empty()) {  // a single element
    g.shape.push_back(1);
    for (std::size_t k = 0; k < N; ++k) g.strides[k].push_back(0);
  }
  return g;
}

/// Calls row(offsets, inner_strides, count) for every run of the innermost
/// dim, with element offsets of each operand; the rows together cover the
/// whole shape once, split across threads when the shape is large.
template <std::size_t N, typename Row>
void for_each_row(const Geometry<N>& g, Row&& row, std::int64_t grain = kParallelGrain) {
  const std::int64_t ndim = g.shape.ndim();
  const std::int64_t inner = g.shape[ndim - 1];
  const std::int64_t total = g.shape.numel();
  if (total == 0) return;  // nothing to visit (and a zero size would divide below)
  std::array<std::int64_t, N> inner_strides;
  for (std::size_t k = 0; k < N; ++k) inner_strides[k] = g.strides[k][ndim - 1];

  auto run_range = [&](std::int64_t begin, std::int64_t end) {
    // Decompose `begin` into a multi-index once, then walk.
    std::vector<std::int64_t> index(ndim, 0);
    std::int64_t rest = begin;
    for (std::int64_t d = ndim - 1; d >= 0; --d) {
      index[d] = rest % g.shape[d];
      rest /= g.shape[d];
    }
    std::array<std::int64_t, N> offsets{};
    for (std::size_t k = 0; k < N; ++k)
      for (std::int64_t d = 0; d < ndim; ++d) offsets[k] += index[d] * g.strides[k][d];
    std::int64_t pos = begin;
    while (pos < end) {
      const std::int64_t count = std::min(inner - index[ndim - 1], end - pos);
      row(offsets, inner_strides, count);
      pos += count;
      // Advance the multi-index past this run.
      for (std::size_t k = 0; k < N; ++k) offsets[k] += count * inner_strides[k];
      index[ndim - 1] += count;
      for (std::int64_t d = ndim - 1; d > 0 && index[d] == g.shape[d]; --d) {
        for (std::size_t k = 0; k < N; ++k) offsets[k] += g.strides[k][d - 1] - g.shape[d] * g.strides[k][d];
        index[d] = 0;
        ++index[d - 1];
      }
    }
  };

  const int threads = threads_for(total, grain);
  if (threads <= 1) {
    run_range(0, total);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    // Chunk boundaries on 16-element multiples keep vector loops aligned.
    auto bound = [&](int i) { return std::min(total, (total * i / nt + 15) / 16 * 16); };
    run_range(bound(t), bound(t + 1));
  }
}

/// out = f(a) element-wise; a is broadcast to out's shape, out may be strided.
template <typename Out, typename A, typename F>
void map1(const Tensor& out, F f, const Tensor& a) {
  const auto g = coalesce<2>(out.shape(), {out.strides(), broadcast_strides(a, out.shape())});
  Out* o = static_cast<Out*>(out.data_ptr());
  const A* pa = static_cast<const A*>(a.data_ptr());
  for_each_row(g, [&](const std::array<std::int64_t, 2>& off, const std::array<std::int64_t, 2>& st,
                      std::int64_t n) {
    Out* po = o + off[0];
    const A* qa = pa + off[1];
    if (st[0] == 1 && st[1] == 1) {
#pragma omp simd
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(qa[i]);
    } else if (st[0] == 1 && st[1] == 0) {
      const Out v = f(qa[0]);
      for (std::int64_t i = 0; i < n; ++i) po[i] = v;
    } else {
      for (std::int64_t i = 0; i < n; ++i) po[i * st[0]] = f(qa[i * st[1]]);
    }
  });
}

/// out = f(a, b) element-wise with broadcasting.
template <typename Out, typename A, typename B, typename F>
void map2(const Tensor& out, F f, const Tensor& a, const Tensor& b) {
  const auto g = coalesce<3>(out.shape(), {out.strides(), broadcast_strides(a, out.shape()),
                                           broadcast_strides(b, out.shape())});
  Out* o = static_cast<Out*>(out.data_ptr());
  const A* pa = static_cast<const A*>(a.data_ptr());
  const B* pb = static_cast<const B*>(b.data_ptr());
  for_each_row(g, [&](const std::array<std::int64_t, 3>& off, const std::array<std::int64_t, 3>& st,
                      std::int64_t n) {
    Out* po = o + off[0];
    const A* qa = pa + off[1];
    const B* qb = pb + off[2];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
#pragma omp simd
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(qa[i], qb[i]);
    } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
      const B vb = qb[0];
#pragma omp simd
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(qa[i], vb);
    } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
      const A va = qa[0];
#pragma omp simd
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(va, qb[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) po[i * st[0]] = f(qa[i * st[1]], qb[i * st[2]]);
    }
  });
}

/// out = f(a, b, c) element-wise with broadcasting.
template <typename Out, typename A, typename B, typename C, typename F>
void map3(const Tensor& out, F f, const Tensor& a, const Tensor& b, const Tensor& c) {
  const auto g = coalesce<4>(out.shape(), {out.strides(), broadcast_strides(a, out.shape()),
                                           broadcast_strides(b, out.shape()), broadcast_strides(c, out.shape())});
  Out* o = static_cast<Out*>(out.data_ptr());
  const A* pa = static_cast<const A*>(a.data_ptr());
  const B* pb = static_cast<const B*>(b.data_ptr());
  const C* pc = static_cast<const C*>(c.data_ptr());
  for_each_row(g, [&](const std::array<std::int64_t, 4>& off, const std::array<std::int64_t, 4>& st,
                      std::int64_t n) {
    Out* po = o + off[0];
    const A* qa = pa + off[1];
    const B* qb = pb + off[2];
    const C* qc = pc + off[3];
    if (st[0] == 1 && st[1] == 1 && st[2] == 1 && st[3] == 1) {
#pragma omp simd
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(qa[i], qb[i], qc[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) po[i * st[0]] = f(qa[i * st[1]], qb[i * st[2]], qc[i * st[3]]);
    }
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
