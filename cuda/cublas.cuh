// Inside the CUDA backend: the cuBLAS handle of each device (bound to the
// device's stream) and cuBLAS statuses for ZENGEN_CUDA_CHECK.
#pragma once

#include <cublas_v2.h>

#include "check.cuh"

namespace zengen::cuda {
inline bool zengen_cuda_ok(cublasStatus_t status) { return status == CUBLAS_STATUS_SUCCESS; }
inline const char* zengen_cuda_error_string(cublasStatus_t status) { return cublasGetStatusString(status); }

/// The handle of `device` (created on first use, on the device's stream).
cublasHandle_t cublas_handle(int device);
}  // namespace zengen::cuda
