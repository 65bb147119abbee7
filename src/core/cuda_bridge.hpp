// Internal: the CPU library's only door to the CUDA runtime. With CUDA built
// these forward to cuda/runtime.hpp; without it they throw DeviceError (or
// report nothing: zero devices, zero bytes). Kernel launchers are reached
// through src/ops/cuda_dispatch.hpp.
#pragma once

#include <cstddef>

#include "zengen/core/allocator.hpp"

namespace zengen::cuda_bridge {

int device_count();
void* allocate(std::size_t bytes, int device);
void deallocate(void* ptr, std::size_t bytes, int device);
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
void copy(void* dst, const void* src, std::size_t bytes, CopyKind kind, int device);
void synchronize(int device);
AllocatorStats allocator_stats(int device);
void empty_cache();

}  // namespace zengen::cuda_bridge
