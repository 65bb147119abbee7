// Inside the CUDA backend: the current device and its one stream. Every
// launcher switches to the tensor's device with DeviceScope and launches on
// stream(device).
#pragma once

#include <cuda_runtime.h>

namespace zengen::cuda {

/// The stream of `device` (created non-blocking on first use, never
/// destroyed: tensors may outlive static objects).
cudaStream_t stream(int device);

/// Makes `device` current for the scope (cudaSetDevice only when it differs).
class DeviceScope {
 public:
  explicit DeviceScope(int device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = -1;
  bool changed_ = false;
};

}  // namespace zengen::cuda
