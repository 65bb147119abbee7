// Internal: the CPU library's only door to the CUDA backend. With CUDA built
// these forward to cuda/runtime.hpp; without it they throw DeviceError.
#pragma once

#include <cstddef>

namespace zengen::cuda_bridge {

int device_count();
void* allocate(std::size_t bytes, int device);
void deallocate(void* ptr, std::size_t bytes, int device);
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
void copy(void* dst, const void* src, std::size_t bytes, CopyKind kind, int device);

}  // namespace zengen::cuda_bridge
