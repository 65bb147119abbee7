// Internal: the CPU library's door to the CUDA runtime (cuda/runtime.hpp),
// through the CUDA module's table (src/core/cuda_module.hpp). When the module
// cannot be loaded these report nothing (zero devices, zero bytes) or throw
// DeviceError with the reason. Kernel launchers are reached through the same
// table from src/ops/kernels.cpp and src/ops/conv.cpp.
#pragma once

#include <cstddef>
#include <string>

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
/// Why there is no usable device: the module's load error or CUDA's answer ("" when there is one).
std::string no_device_reason();

}  // namespace zengen::cuda_bridge
