// Inside the CUDA backend: the element-wise loop machinery every element-wise
// launcher uses (the CUDA twin of src/cpu/loops.hpp).
//
// An element-wise op sees each operand as a pointer plus strides over the
// output's shape (stride 0 where broadcast). On the host the dims are
// coalesced (a contiguous tensor becomes one dim; see make_geometry). Then
// one of three kernels runs, all grid-stride loops of 256-thread blocks:
//   - vectorised: every operand contiguous and 16-byte aligned: each thread
//     loads and stores whole 128-bit packs (4 floats, 2 doubles), and the
//     last n % pack elements are done one by one;
//   - contiguous: every operand contiguous, not aligned: one element a step;
//   - strided: anything else (views, broadcasting): each thread turns its
//     flat index into per-operand offsets with the coalesced sizes/strides.
// The per-element math is a functor (the shared ZENGEN_HOST_DEVICE ones of
// src/kernels/functors.hpp, or the small ones of the launcher files).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "check.cuh"
#include "stream.cuh"
#include "geometry.hpp"
#include "tensor_ref.hpp"

namespace zengen::cuda {

inline constexpr int kBlockThreads = 256;
/// Grid-stride loops never launch more blocks than this.
inline constexpr std::int64_t kMaxBlocks = 65536;

inline unsigned blocks_for(std::int64_t work) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((work + kBlockThreads - 1) / kBlockThreads, 1, kMaxBlocks));
}

/// `V` elements of T loaded or stored as one 16-byte access.
template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

/// Elements per 128-bit pack for the widest of the types.
template <typename... Ts>
inline constexpr int kPackSize = static_cast<int>(16 / std::max({sizeof(Ts)...}));

template <typename T>
struct Operand {
  const TensorRef* ref;
};
template <typename T>
Operand<T> operand(const TensorRef& r) {
  return {&r};
}

namespace kernels {

template <typename Out, typename F, typename... In>
__global__ void map_contiguous(std::int64_t n, Out* __restrict__ out, F f, const In* __restrict__... in) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = f(in[i]...);
}

template <int V, typename Out, typename F, typename... In>
__device__ __forceinline__ void apply_pack(Pack<Out, V>* out, std::int64_t p, F f, Pack<In, V>... packs) {
  Pack<Out, V> result;
#pragma unroll
  for (int j = 0; j < V; ++j) result.v[j] = f(packs.v[j]...);
  out[p] = result;
}

template <int V, typename Out, typename F, typename... In>
__global__ void map_vectorised(std::int64_t n, Out* __restrict__ out, F f, const In* __restrict__... in) {
  const std::int64_t packs = n / V;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  const std::int64_t first = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  for (std::int64_t p = first; p < packs; p += stride)
    apply_pack<V>(reinterpret_cast<Pack<Out, V>*>(out), p, f, reinterpret_cast<const Pack<In, V>*>(in)[p]...);
  // The tail that does not fill a pack.
  for (std::int64_t i = packs * V + first; i < n; i += stride) out[i] = f(in[i]...);
}

template <int N>
__device__ __forceinline__ void offsets_of(const Geometry<N>& g, std::int64_t i, std::int64_t (&off)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const std::int64_t idx = i % g.sizes[d];
    i /= g.sizes[d];
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] += idx * g.strides[k][d];
  }
}

template <typename Out, typename F, typename... In, std::size_t... I>
__device__ __forceinline__ void apply_strided(Out* out, const std::int64_t (&off)[sizeof...(In) + 1], F f,
                                              std::index_sequence<I...>, const In*... in) {
  out[off[0]] = f(in[off[I + 1]]...);
}

template <typename Out, typename F, typename... In>
__global__ void map_strided(std::int64_t n, Geometry<sizeof...(In) + 1> g, Out* out, F f, const In*... in) {
  constexpr int N = sizeof...(In) + 1;
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t off[N];
    offsets_of(g, i, off);
    apply_strided(out, off, f, std::index_sequence_for<In...>{}, in...);
  }
}

}  // namespace kernels

/// out = f(in...) element-wise over out's shape, inputs broadcast to it.
/// The caller has validated the operands (cuda/validate.hpp) and their dtypes
/// match Out and In.
template <typename Out, typename F, typename... In>
void launch_map(const TensorRef& out, F f, Operand<In>... in) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  const TensorRef* refs[] = {&out, in.ref...};
  const Geometry<sizeof...(In) + 1> g = make_geometry(refs);
  DeviceScope scope(out.device);
  cudaStream_t st = stream(out.device);
  Out* o = static_cast<Out*>(out.data);
  if (g.contiguous()) {
    constexpr int V = kPackSize<Out, In...>;
    bool aligned = true;
    for (const TensorRef* r : refs) aligned = aligned && reinterpret_cast<std::uintptr_t>(r->data) % 16 == 0;
    if (aligned && V > 1 && n >= V)
      kernels::map_vectorised<V><<<blocks_for(n / V), kBlockThreads, 0, st>>>(
          n, o, f, static_cast<const In*>(in.ref->data)...);
    else
      kernels::map_contiguous<<<blocks_for(n), kBlockThreads, 0, st>>>(n, o, f,
                                                                        static_cast<const In*>(in.ref->data)...);
  } else {
    kernels::map_strided<<<blocks_for(n), kBlockThreads, 0, st>>>(n, g, o, f,
                                                                   static_cast<const In*>(in.ref->data)...);
  }
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

/// Calls f.template operator()<T>() for float32 / float64, else a DTypeError.
template <typename F>
void dispatch_float(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    default: break;
  }
  throw DTypeError(detail::concat("cuda ", op, ": expected float32 or float64, got ", t));
}

/// Every dtype (float32, float64, int64, bool).
template <typename F>
void dispatch_any(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::Int64: return f.template operator()<std::int64_t>();
    case DType::Bool: return f.template operator()<bool>();
  }
}

}  // namespace zengen::cuda
