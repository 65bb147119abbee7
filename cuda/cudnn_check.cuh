// ZENGEN_CUDNN_CHECK: the cuDNN variant of ZENGEN_CUDA_CHECK (check.cuh).
// Every cuDNN call goes through it and throws a zengen::DeviceError naming
// the call, the file, the line and cuDNN's message. A header of its own
// because cuDNN is optional: only cuda/cudnn*.cu include cudnn.h.
#pragma once

#include <cudnn.h>

#include "check.cuh"

namespace zengen::cuda {
// Overloads for a ZENGEN_CUDA_CHECK that picks its test by the status type
// (so it accepts cuDNN calls too where check.cuh dispatches that way).
inline bool zengen_cuda_ok(cudnnStatus_t status) { return status == CUDNN_STATUS_SUCCESS; }
inline const char* zengen_cuda_error_string(cudnnStatus_t status) { return cudnnGetErrorString(status); }
}  // namespace zengen::cuda

#define ZENGEN_CUDNN_CHECK(call)                                                                  \
  do {                                                                                            \
    const cudnnStatus_t zengen_cudnn_status_ = (call);                                            \
    if (zengen_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                             \
      throw ::zengen::DeviceError(::zengen::detail::concat(#call, " failed at ", __FILE__, ":", __LINE__, \
                                                           ": ", cudnnGetErrorString(zengen_cudnn_status_))); \
  } while (0)
