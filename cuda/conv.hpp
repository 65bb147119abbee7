// The CUDA convolution launchers, seen from plain C++ (no CUDA header is
// included, so src/ops/conv.cpp and the tests can call them).
//
// Every launcher works on raw device pointers to contiguous float32 NCHW
// tensors with the shapes of one conv2d (see ConvShape): input [N, C, H, W],
// weight [O, C, kh, kw], output [N, O, out_h, out_w]. The three directions
// are those of src/cpu/conv.hpp:
//   conv2d_forward          output      = conv(input, weight) (+ bias[O])
//   conv2d_backward_data    grad_input  = conv^T(grad_output, weight) (+ bias[C])
//   conv2d_backward_weight  grad_weight = sum over n, positions of grad_output x input patch
// and conv_transpose2d is made of the same three (its forward is
// backward_data; src/ops/conv.cpp does the role swap).
//
// `kernel` picks who computes: zengen's implicit-GEMM kernels in float32
// (Simt) or on tensor cores with float32 accumulation and inputs rounded to
// TF32 (TensorCore) or to bfloat16 (TensorCoreBf16), or cuDNN with FP32
// math (Cudnn) or with TF32 tensor cores allowed (CudnnTensorCore). The
// environment variable ZENGEN_CONV_BACKEND (zengen, zengen-tf32,
// zengen-bf16, cudnn, cudnn-tf32; default zengen) names one for the ops:
// conv_kernel_from_env().
//
// `stream` is a cudaStream_t; nullptr means the current device's zengen
// stream, the one every other op and copy of that device uses (not CUDA's
// legacy default stream, which would not be ordered with it). The launchers
// only enqueue work (no device-wide synchronisation). Every launcher checks
// its shapes (ShapeError naming the op and the shapes) and that its
// pointers are device memory (DeviceError).
#pragma once

#include "conv_index.hpp"

namespace zengen::cuda {

/// The geometry of one conv2d, in the kernels' int32 (conv_index.hpp).
using ConvShape = conv_gemm::Geometry;

enum class ConvKernel {
  Simt,             ///< zengen, float32 FMA (the default)
  TensorCore,       ///< zengen, TF32 tensor cores (wmma m16n16k8), float32 accumulation
  Cudnn,            ///< cuDNN, FP32 math only
  CudnnTensorCore,  ///< cuDNN, TF32 tensor cores allowed
  TensorCoreBf16,   ///< zengen, bfloat16 tensor cores (wmma m16n16k16), float32 accumulation
};

/// "zengen", "zengen-tf32", "cudnn", "cudnn-tf32" or "zengen-bf16".
const char* to_string(ConvKernel kernel);
/// The kernel named by ZENGEN_CONV_BACKEND (read at every call; unset or
/// empty: Simt). An unknown value throws ValueError listing the valid ones.
ConvKernel conv_kernel_from_env();
/// Whether this build has the cuDNN wrappers (cuDNN found at configure time).
bool cudnn_built();
/// Whether cuDNN can run this geometry: no empty dim, and out_h/out_w
/// exactly the size rule's (a restricted output is zengen-only).
bool cudnn_supports(const ConvShape& shape);

/// Makes `device` the calling thread's current CUDA device (the launchers
/// run on the current device).
void conv_set_device(int device);

void conv2d_forward(const ConvShape& shape, float* output, const float* input, const float* weight,
                    const float* bias, ConvKernel kernel = ConvKernel::Simt, void* stream = nullptr);
/// `deterministic` (zengen::deterministic()): the same bits on every run.
/// zengen's backward-data kernels always are; cuDNN is then limited to its
/// deterministic algorithms.
void conv2d_backward_data(const ConvShape& shape, float* grad_input, const float* grad_output, const float* weight,
                          const float* bias, ConvKernel kernel = ConvKernel::Simt, void* stream = nullptr,
                          bool deterministic = false);
/// `deterministic`: the K splits go to slices of a workspace added in split
/// order, instead of atomicAdd into the zeroed output (and cuDNN as above).
void conv2d_backward_weight(const ConvShape& shape, float* grad_weight, const float* input,
                            const float* grad_output, ConvKernel kernel = ConvKernel::Simt, void* stream = nullptr,
                            bool deterministic = false);

/// grad_bias[c] = sum over n, positions of grad_output[n, c, :] (a bias's
/// gradient), grad_output [batch, channels, plane]; summed in double in a
/// fixed order (deterministic).
void conv_bias_grad(float* grad_bias, const float* grad_output, int batch, int channels, int plane,
                    void* stream = nullptr);

namespace cudnn {
/// cuDNN's legacy convolution API (cudnn_conv.cu), one direction each; the
/// algorithm is the fastest by cuDNN's heuristics (or measured by
/// cudnnFind* when `measure` is set, as the benchmarks do), cached per
/// geometry; the workspace is allocated on the stream. Throw DeviceError when
/// the build has no cuDNN.
void forward(const ConvShape& shape, float* output, const float* input, const float* weight, bool tensor_cores,
             void* stream, bool measure = false);
void backward_data(const ConvShape& shape, float* grad_input, const float* grad_output, const float* weight,
                   bool tensor_cores, void* stream, bool measure = false, bool deterministic = false);
void backward_weight(const ConvShape& shape, float* grad_weight, const float* input, const float* grad_output,
                     bool tensor_cores, void* stream, bool measure = false, bool deterministic = false);
}  // namespace cudnn

}  // namespace zengen::cuda
