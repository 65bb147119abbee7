// Inside the CUDA backend: the current device and its one stream. Every
// launcher switches to the tensor's device with DeviceScope and launches on
// stream(device).
#pragma once

#include <cuda_runtime.h>

namespace zengen::cuda {

/// The stream of `device` (created non-blocking on first use, never
/// destroyed: tensors may outlive static objects).
cudaStream_t stream(int device);

/// `requested` when given, else the current device's stream: for launchers
/// called from plain C++ with an optional stream (a null stream must mean
/// zengen's, not CUDA's legacy default stream, which does not order work
/// with a non-blocking stream).
cudaStream_t stream_or_current(void* requested);

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
