// ZENGEN_CUDA_CHECK: every CUDA runtime call goes through it and throws a
// zengen::DeviceError naming the call, the file, the line and CUDA's message.
#pragma once

#include <cuda_runtime.h>

#include "zengen/core/error.hpp"

#define ZENGEN_CUDA_CHECK(call)                                                          \
  do {                                                                                   \
    const cudaError_t zengen_status_ = (call);                                           \
    if (zengen_status_ != cudaSuccess)                                                   \
      throw ::zengen::DeviceError(::zengen::detail::concat(                              \
          #call, " failed at ", __FILE__, ":", __LINE__, ": ", cudaGetErrorString(zengen_status_))); \
  } while (0)
