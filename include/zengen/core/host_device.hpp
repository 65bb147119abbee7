// ZENGEN_HOST_DEVICE marks functions compiled for both the CPU and, under nvcc,
// the GPU: the element-wise math both backends share is written once.
#pragma once

#if defined(__CUDACC__)
#define ZENGEN_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define ZENGEN_HOST_DEVICE inline
#endif
