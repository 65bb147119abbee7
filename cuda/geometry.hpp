// The element-wise kernels' view of their operands, built on the host:
// every operand broadcast to the output's shape and the dims coalesced.
// Plain C++ (no CUDA header), so the CPU tests check it; the kernels of
// cuda/loops.cuh take a Geometry by value.
#pragma once

#include <cstdint>

#include "tensor_ref.hpp"
#include "zengen/core/host_device.hpp"

namespace zengen::cuda {

/// Coalesced geometry of N operands over the output's shape; operand 0 is
/// the output.
template <int N>
struct Geometry {
  int ndim = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[N][kMaxDims] = {};

  /// Every operand walks the flat range with stride 1.
  bool contiguous() const {
    if (ndim != 1) return false;
    for (int k = 0; k < N; ++k)
      if (strides[k][0] != 1) return false;
    return true;
  }
};

/// Broadcasts every operand to refs[0]'s shape (right-aligned; size 1 ->
/// stride 0), drops size-1 dims and merges dims every operand walks
/// contiguously.
template <int N>
Geometry<N> make_geometry(const TensorRef* const (&refs)[N]) {
  const TensorRef& out = *refs[0];
  std::int64_t bstrides[N][kMaxDims] = {};
  for (int k = 0; k < N; ++k) {
    const TensorRef& r = *refs[k];
    const int lead = out.ndim - r.ndim;
    for (int d = 0; d < r.ndim; ++d) bstrides[k][lead + d] = r.sizes[d] == 1 ? 0 : r.strides[d];
  }
  Geometry<N> g;
  for (int d = 0; d < out.ndim; ++d) {
    if (out.sizes[d] == 1) continue;
    bool merge = g.ndim > 0;
    for (int k = 0; k < N && merge; ++k) merge = g.strides[k][g.ndim - 1] == bstrides[k][d] * out.sizes[d];
    if (merge) {
      g.sizes[g.ndim - 1] *= out.sizes[d];
      for (int k = 0; k < N; ++k) g.strides[k][g.ndim - 1] = bstrides[k][d];
    } else {
      g.sizes[g.ndim] = out.sizes[d];
      for (int k = 0; k < N; ++k) g.strides[k][g.ndim] = bstrides[k][d];
      ++g.ndim;
    }
  }
  if (g.ndim == 0) {  // one element
    g.ndim = 1;
    g.sizes[0] = 1;
    for (int k = 0; k < N; ++k) g.strides[k][0] = 1;
  }
  return g;
}

/// The channel of consecutive elements of a contiguous tensor seen as
/// [outer, channels, inner]: one division for the first element, then a step
/// per element (the fused bias kernels walk a 128-bit pack this way, and a
/// pack may cross planes and channels).
struct ChannelWalk {
  std::int64_t channels, inner;
  std::int64_t in_plane, channel;  // the position inside the current plane, and its channel

  ZENGEN_HOST_DEVICE ChannelWalk(std::int64_t first, std::int64_t channels, std::int64_t inner)
      : channels(channels), inner(inner) {
    const std::int64_t plane = first / inner;
    in_plane = first - plane * inner;
    channel = plane % channels;
  }
  /// Moves to the next element.
  ZENGEN_HOST_DEVICE void next() {
    if (++in_plane == inner) {
      in_plane = 0;
      if (++channel == channels) channel = 0;
    }
  }
};

}  // namespace zengen::cuda
