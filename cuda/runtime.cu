// Device discovery, memory and copies. The caching allocator and streams
// come with the CUDA backend's own issue; this is the minimal runtime that
// lets tensors move to a GPU and back.
#include <cuda_runtime.h>

#include "check.cuh"
#include "runtime.hpp"

namespace zengen::cuda {

int device_count() {
  int count = 0;
  // Without a GPU (or a driver) this returns an error rather than 0 devices.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error
    return 0;
  }
  return count;
}

void* allocate(std::size_t bytes, int device) {
  ZENGEN_CUDA_CHECK(cudaSetDevice(device));
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes == 0 ? 256 : bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    std::size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    throw DeviceError(detail::concat("cuda:", device, ": out of memory allocating ", bytes, " bytes (",
                                     free_bytes, " of ", total_bytes, " bytes free)"));
  }
  ZENGEN_CUDA_CHECK(status);
  return ptr;
}

void deallocate(void* ptr, std::size_t, int device) {
  if (!ptr) return;
  cudaSetDevice(device);
  cudaFree(ptr);  // never throws from a destructor path
}

void copy(void* dst, const void* src, std::size_t bytes, int kind, int device) {
  ZENGEN_CUDA_CHECK(cudaSetDevice(device));
  const cudaMemcpyKind k = kind == 0 ? cudaMemcpyHostToDevice
                           : kind == 1 ? cudaMemcpyDeviceToHost
                                       : cudaMemcpyDeviceToDevice;
  ZENGEN_CUDA_CHECK(cudaMemcpy(dst, src, bytes, k));
}

}  // namespace zengen::cuda
