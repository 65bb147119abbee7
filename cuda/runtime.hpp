// The CUDA runtime seen from plain C++: device discovery, memory and copies.
// No CUDA header is included here, so the CPU library can call it.
#pragma once

#include <cstddef>

namespace zengen::cuda {

/// Usable devices; 0 when the driver or a GPU is missing (any CUDA error
/// while asking counts as "no device").
int device_count();
/// Device memory (throws DeviceError naming the bytes asked and free).
void* allocate(std::size_t bytes, int device);
void deallocate(void* ptr, std::size_t bytes, int device);
/// kind: 0 host->device, 1 device->host, 2 device->device.
void copy(void* dst, const void* src, std::size_t bytes, int kind, int device);

}  // namespace zengen::cuda
