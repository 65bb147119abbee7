// The CUDA runtime seen from plain C++: device discovery, the caching device
// allocator, the device's stream, copies and synchronisation. No CUDA header
// is included here, so the CPU library (through src/core/cuda_bridge) can call
// it.
//
// All work of a device (kernels, copies, cuBLAS) is issued on one stream per
// device, created on first use; nothing synchronises the device except what
// needs the host to see the data: device-to-host copies and synchronize().
#pragma once

#include <cstddef>
#include <string>

#include "zengen/core/allocator.hpp"

namespace zengen::cuda {

/// Usable devices; 0 when the driver or a GPU is missing (any CUDA error
/// while asking counts as "no device").
int device_count();
/// Why device_count() is 0: CUDA's error for the question (a missing or
/// too old driver, no device), or "" when there are devices.
std::string no_device_reason();

/// Device memory from the caching allocator (cuda/block_cache.hpp): a block
/// released earlier in the same size class is reused; cudaMalloc only on a
/// miss. Throws DeviceError naming the bytes asked and free when the device
/// is full even after emptying the cache.
void* allocate(std::size_t bytes, int device);
/// Back to the cache (never to CUDA, never throws).
void deallocate(void* ptr, std::size_t bytes, int device);
/// Bytes in use and cached on one device.
AllocatorStats allocator_stats(int device);
/// cudaFree of every cached block of every device used so far.
void empty_cache();

/// kind: 0 host->device, 1 device->host, 2 device->device. Host-to-device
/// copies of 1 MiB and more are staged through pinned host buffers (two,
/// double-buffered, so the next chunk is copied on the host while the
/// previous one is in flight); device-to-host copies wait for the stream.
void copy(void* dst, const void* src, std::size_t bytes, int kind, int device);
/// Waits until everything issued on the device's stream has finished.
void synchronize(int device);
/// The device's stream as an opaque cudaStream_t, for programs that time
/// zengen's work with their own CUDA events (record them on this stream).
void* stream_handle(int device);

}  // namespace zengen::cuda
