// ZENGEN_CUDA_CHECK: every CUDA runtime and cuBLAS call goes through it and
// throws a zengen::DeviceError naming the call, the file, the line and the
// library's error string. The status type picks the overloads of
// zengen_cuda_ok / zengen_cuda_error_string (cuBLAS's are in cublas.cuh).
#pragma once

#include <cuda_runtime.h>

#include "zengen/core/error.hpp"

namespace zengen::cuda {
inline bool zengen_cuda_ok(cudaError_t status) { return status == cudaSuccess; }
inline const char* zengen_cuda_error_string(cudaError_t status) { return cudaGetErrorString(status); }
}  // namespace zengen::cuda

#define ZENGEN_CUDA_CHECK(call)                                                                        \
  do {                                                                                                 \
    const auto zengen_status_ = (call);                                                                \
    if (!::zengen::cuda::zengen_cuda_ok(zengen_status_))                                               \
      throw ::zengen::DeviceError(::zengen::detail::concat(#call, " failed at ", __FILE__, ":", __LINE__, \
                                                           ": ",                                       \
                                                           ::zengen::cuda::zengen_cuda_error_string(zengen_status_))); \
  } while (0)
