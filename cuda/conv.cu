// The convolution launchers (conv.hpp): argument checks, the choice of tile
// size and K split, the backward-data stride phases, the bias kernels, and
// the dispatch to cuDNN (cudnn_conv.cu) when asked for. The kernels
// themselves are in conv_kernels.cuh, their index math in conv_index.hpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "check.cuh"
#include "conv.hpp"
#include "conv_kernels.cuh"
#include "runtime.hpp"
#include "stream.cuh"

namespace zengen::cuda {

namespace {

using namespace conv_gemm;

std::string describe(const ConvShape& s) {
  return detail::concat("input [", s.batch, ", ", s.in_channels, ", ", s.in_h, ", ", s.in_w, "], weight [",
                        s.out_channels, ", ", s.in_channels, ", ", s.kernel_h, ", ", s.kernel_w, "], output [",
                        s.batch, ", ", s.out_channels, ", ", s.out_h, ", ", s.out_w, "], stride (", s.stride_h, ", ",
                        s.stride_w, "), padding (", s.pad_h, ", ", s.pad_w, "), dilation (", s.dilation_h, ", ",
                        s.dilation_w, ")");
}

// The output size rule of one dim (floor division, as src/ops/conv.cpp).
std::int64_t rule_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad,
                       std::int64_t dilation) {
  const std::int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

void check_shape(const char* op, const ConvShape& s) {
  ZENGEN_CHECK(s.batch >= 0 && s.in_channels >= 0 && s.out_channels >= 0 && s.in_h >= 0 && s.in_w >= 0 &&
                   s.out_h >= 0 && s.out_w >= 0,
               ShapeError, op, ": negative size in ", describe(s));
  ZENGEN_CHECK(s.kernel_h > 0 && s.kernel_w > 0, ShapeError, op, ": empty kernel in ", describe(s));
  ZENGEN_CHECK(s.stride_h > 0 && s.stride_w > 0 && s.dilation_h > 0 && s.dilation_w > 0 && s.pad_h >= 0 &&
                   s.pad_w >= 0,
               ShapeError, op, ": expected stride and dilation >= 1 and padding >= 0, got ", describe(s));
  const std::int64_t rule_h = rule_size(s.in_h, s.kernel_h, s.stride_h, s.pad_h, s.dilation_h);
  const std::int64_t rule_w = rule_size(s.in_w, s.kernel_w, s.stride_w, s.pad_w, s.dilation_w);
  ZENGEN_CHECK(s.out_h <= rule_h && s.out_w <= rule_w, ShapeError, op, ": output ", s.out_h, "x", s.out_w,
               " is larger than the size rule allows (", rule_h, "x", rule_w, ") for ", describe(s));
  // The kernels index in int32.
  const auto fits = [](std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d) {
    return a * b * c * d < (std::int64_t{1} << 31);
  };
  ZENGEN_CHECK(fits(s.batch, s.in_channels, s.in_h, s.in_w) && fits(s.batch, s.out_channels, s.out_h, s.out_w) &&
                   fits(s.out_channels, s.in_channels, s.kernel_h, s.kernel_w),
               ShapeError, op, ": a tensor has 2^31 elements or more (the kernels index in int32): ", describe(s));
}

void check_device_pointer(const char* op, const char* name, const void* ptr, bool optional = false) {
  if (ptr == nullptr) {
    ZENGEN_CHECK(optional, DeviceError, op, ": ", name, " is a null pointer");
    return;
  }
  cudaPointerAttributes attributes{};
  ZENGEN_CUDA_CHECK(cudaPointerGetAttributes(&attributes, ptr));
  ZENGEN_CHECK(attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged, DeviceError,
               op, ": ", name, " is not device memory (pass the data of a CUDA tensor)");
}

int sm_count() {
  int device = 0, count = 0;
  ZENGEN_CUDA_CHECK(cudaGetDevice(&device));
  ZENGEN_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
  return count;
}

// The K depth of one tile of the kernel that `kernel` runs.
int tile_depth(ConvKernel kernel) {
  return kernel == ConvKernel::TensorCore || kernel == ConvKernel::TensorCoreBf16 ? 16 : 8;
}

template <class Ops, bool kAtomic, class Problem>
void launch_wmma(const Problem& p, float* out, const GemmPlan& plan, cudaStream_t stream, std::int64_t split_stride) {
  const dim3 grid(plan.grid_x, plan.grid_y, plan.grid_z);
  if (plan.tile == 128)
    implicit_gemm_wmma<Ops, 128, 128, kAtomic><<<grid, kGemmThreads, 0, stream>>>(p, out, plan.k_per_split, split_stride);
  else
    implicit_gemm_wmma<Ops, 64, 64, kAtomic><<<grid, kGemmThreads, 0, stream>>>(p, out, plan.k_per_split, split_stride);
}

// Runs one problem with the chosen kernel, as plan_gemm (conv_block.hpp)
// lays it out; `splits` > 1 divides K: then either the output is zeroed and
// kAtomic set, or each split stores its partial result split_stride floats
// after the previous one's (a workspace, added by sum_splits).
template <bool kAtomic, class Problem>
void run_gemm(const Problem& p, float* out, ConvKernel kernel, int splits, cudaStream_t stream,
              std::int64_t split_stride = 0) {
  if (p.M == 0 || p.N == 0) return;
  const GemmPlan plan = plan_gemm(p.M, p.N, p.K, tile_depth(kernel), splits, sm_count());
  ZENGEN_CHECK(plan.grid_y <= 65535 && plan.grid_z <= 65535, ShapeError, "conv: ", p.M,
               " channels or a K split of ", plan.grid_z, " do not fit one grid");
  const dim3 grid(plan.grid_x, plan.grid_y, plan.grid_z);
  const bool large = plan.tile == 128;
  if (kernel == ConvKernel::TensorCore) {
    launch_wmma<Tf32Operands, kAtomic>(p, out, plan, stream, split_stride);
  } else if (kernel == ConvKernel::TensorCoreBf16) {
    launch_wmma<Bf16Operands, kAtomic>(p, out, plan, stream, split_stride);
  } else {
    if (large)
      implicit_gemm_simt<128, 128, 8, 8, 8, kAtomic><<<grid, kGemmThreads, 0, stream>>>(p, out, plan.k_per_split, split_stride);
    else
      implicit_gemm_simt<64, 64, 8, 4, 4, kAtomic><<<grid, kGemmThreads, 0, stream>>>(p, out, plan.k_per_split, split_stride);
  }
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

// out[i] = the sum over s of slices[s * n + i], in split order (the
// deterministic weight gradient).
__global__ void sum_splits(float* out, const float* slices, int splits, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    float acc = slices[i];
    for (int s = 1; s < splits; ++s) acc += slices[s * n + i];
    out[i] = acc;
  }
}

// out[n, c, :] += bias[c] (after cuDNN, which has no bias in these calls).
__global__ void add_channel_bias(float* out, const float* bias, int channels, int plane, std::int64_t total) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] += bias[(i / plane) % channels];
}

void add_bias(float* out, const float* bias, int batch, int channels, int plane, cudaStream_t stream) {
  const std::int64_t total = std::int64_t{batch} * channels * plane;
  if (bias == nullptr || total == 0) return;
  const int blocks = static_cast<int>(std::min<std::int64_t>((total + 255) / 256, 8 * 1024));
  add_channel_bias<<<blocks, 256, 0, stream>>>(out, bias, channels, plane, total);
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

// One block per channel; a fixed strided order per thread, then a fixed
// tree (warp shuffles, then the warps' sums): deterministic.
__global__ void channel_sum(float* out, const float* g, int batch, int channels, int plane) {
  const int c = blockIdx.x;
  const int count = batch * plane;
  double sum = 0;
  for (int idx = threadIdx.x; idx < count; idx += blockDim.x) {
    const int img = idx / plane;
    sum += g[(static_cast<std::int64_t>(img) * channels + c) * plane + (idx - img * plane)];
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  __shared__ double warp_sums[32];
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x < 32) {
    sum = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.0;
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (threadIdx.x == 0) out[c] = static_cast<float>(sum);
  }
}

bool is_cudnn(ConvKernel k) { return k == ConvKernel::Cudnn || k == ConvKernel::CudnnTensorCore; }

}  // namespace

const char* to_string(ConvKernel kernel) {
  switch (kernel) {
    case ConvKernel::Simt: return "zengen";
    case ConvKernel::TensorCore: return "zengen-tf32";
    case ConvKernel::Cudnn: return "cudnn";
    case ConvKernel::CudnnTensorCore: return "cudnn-tf32";
    case ConvKernel::TensorCoreBf16: return "zengen-bf16";
  }
  return "unknown";
}

ConvKernel conv_kernel_from_env() {
  const char* value = std::getenv("ZENGEN_CONV_BACKEND");
  if (value == nullptr || *value == '\0') return ConvKernel::Simt;
  const std::string name(value);
  for (ConvKernel k : {ConvKernel::Simt, ConvKernel::TensorCore, ConvKernel::TensorCoreBf16, ConvKernel::Cudnn,
                       ConvKernel::CudnnTensorCore})
    if (name == to_string(k)) return k;
  throw ValueError(detail::concat("ZENGEN_CONV_BACKEND=", name,
                                  ": expected zengen, zengen-tf32, zengen-bf16, cudnn or cudnn-tf32 (unset means "
                                  "zengen)"));
}

void conv_set_device(int device) { ZENGEN_CUDA_CHECK(cudaSetDevice(device)); }

bool cudnn_supports(const ConvShape& s) {
  // cuDNN's descriptors refuse empty dims (zengen's kernels write the bias or zeros then).
  if (s.batch == 0 || s.in_channels == 0 || s.out_channels == 0 || s.in_h == 0 || s.in_w == 0 || s.out_h == 0 ||
      s.out_w == 0)
    return false;
  return s.out_h == rule_size(s.in_h, s.kernel_h, s.stride_h, s.pad_h, s.dilation_h) &&
         s.out_w == rule_size(s.in_w, s.kernel_w, s.stride_w, s.pad_w, s.dilation_w);
}

void conv2d_forward(const ConvShape& s, float* output, const float* input, const float* weight, const float* bias,
                    ConvKernel kernel, void* stream_ptr) {
  const char* op = "cuda::conv2d_forward";
  check_shape(op, s);
  if (std::int64_t{s.batch} * s.out_channels * s.out_h * s.out_w == 0) return;
  check_device_pointer(op, "output", output);
  check_device_pointer(op, "input", input, s.batch * s.in_channels * s.in_h * s.in_w == 0);
  check_device_pointer(op, "weight", weight, s.in_channels == 0);
  check_device_pointer(op, "bias", bias, true);
  const cudaStream_t stream = stream_or_current(stream_ptr);
  if (is_cudnn(kernel)) {
    cudnn::forward(s, output, input, weight, kernel == ConvKernel::CudnnTensorCore, stream);
    add_bias(output, bias, s.batch, s.out_channels, s.out_h * s.out_w, stream);
    return;
  }
  run_gemm<false>(forward_problem(s, input, weight, bias, output), output, kernel, 1, stream);
}

void conv2d_backward_data(const ConvShape& s, float* grad_input, const float* grad_output, const float* weight,
                          const float* bias, ConvKernel kernel, void* stream_ptr, bool deterministic) {
  const char* op = "cuda::conv2d_backward_data";
  check_shape(op, s);
  if (std::int64_t{s.batch} * s.in_channels * s.in_h * s.in_w == 0) return;
  check_device_pointer(op, "grad_input", grad_input);
  check_device_pointer(op, "grad_output", grad_output, s.batch * s.out_channels * s.out_h * s.out_w == 0);
  check_device_pointer(op, "weight", weight, s.out_channels == 0);
  check_device_pointer(op, "bias", bias, true);
  const cudaStream_t stream = stream_or_current(stream_ptr);
  if (is_cudnn(kernel)) {
    cudnn::backward_data(s, grad_input, grad_output, weight, kernel == ConvKernel::CudnnTensorCore, stream,
                         /*measure=*/false, deterministic);
    add_bias(grad_input, bias, s.batch, s.in_channels, s.in_h * s.in_w, stream);
    return;
  }
  // One GEMM per stride phase; the phases' inputs partition grad_input.
  for (int rh = 0; rh < s.stride_h; ++rh)
    for (int rw = 0; rw < s.stride_w; ++rw)
      run_gemm<false>(backward_data_phase(s, grad_output, weight, bias, grad_input, rh, rw), grad_input, kernel, 1,
                      stream);
}

void conv2d_backward_weight(const ConvShape& s, float* grad_weight, const float* input, const float* grad_output,
                            ConvKernel kernel, void* stream_ptr, bool deterministic) {
  const char* op = "cuda::conv2d_backward_weight";
  check_shape(op, s);
  const std::int64_t weight_elements = std::int64_t{s.out_channels} * s.in_channels * s.kernel_h * s.kernel_w;
  if (weight_elements == 0) return;
  check_device_pointer(op, "grad_weight", grad_weight);
  const bool no_positions = std::int64_t{s.batch} * s.out_h * s.out_w == 0;
  check_device_pointer(op, "input", input, no_positions);
  check_device_pointer(op, "grad_output", grad_output, no_positions);
  const cudaStream_t stream = stream_or_current(stream_ptr);
  if (is_cudnn(kernel) && !no_positions) {
    cudnn::backward_weight(s, grad_weight, input, grad_output, kernel == ConvKernel::CudnnTensorCore, stream,
                           /*measure=*/false, deterministic);
    return;
  }
  // Split K so that the few output tiles still fill the GPU
  // (weight_grad_splits); the splits add into a zeroed grad_weight, or, for
  // deterministic algorithms, go to slices of a workspace added in order.
  const auto p = backward_weight_problem(s, input, grad_output, grad_weight);
  const int splits = no_positions ? 1 : weight_grad_splits(p.M, p.N, p.K, sm_count());
  if (deterministic && splits > 1) {
    // The launch's own split count (K rounded to whole tiles can need fewer
    // splits than asked): one slice each, every one written.
    const int slices_count = plan_gemm(p.M, p.N, p.K, tile_depth(kernel), splits, sm_count()).grid_z;
    int device = 0;
    ZENGEN_CUDA_CHECK(cudaGetDevice(&device));
    const std::size_t bytes =
        static_cast<std::size_t>(slices_count) * static_cast<std::size_t>(weight_elements) * sizeof(float);
    auto* slices = static_cast<float*>(allocate(bytes, device));
    run_gemm<false>(p, slices, kernel, splits, stream, weight_elements);
    const auto blocks = static_cast<unsigned>(std::min<std::int64_t>((weight_elements + 255) / 256, 65536));
    sum_splits<<<blocks, 256, 0, stream>>>(grad_weight, slices, slices_count, weight_elements);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
    deallocate(slices, bytes, device);  // reused only by later work on this stream
    return;
  }
  ZENGEN_CUDA_CHECK(cudaMemsetAsync(grad_weight, 0, static_cast<std::size_t>(weight_elements) * sizeof(float), stream));
  if (no_positions) return;
  run_gemm<true>(p, grad_weight, kernel, splits, stream);
}

void conv_bias_grad(float* grad_bias, const float* grad_output, int batch, int channels, int plane,
                    void* stream_ptr) {
  const char* op = "cuda::conv_bias_grad";
  ZENGEN_CHECK(batch >= 0 && channels >= 0 && plane >= 0, ShapeError, op, ": negative size in grad_output [", batch,
               ", ", channels, ", ", plane, "]");
  ZENGEN_CHECK(std::int64_t{batch} * plane < (std::int64_t{1} << 31), ShapeError, op, ": grad_output [", batch, ", ",
               channels, ", ", plane, "] has 2^31 or more elements per channel");
  if (channels == 0) return;
  check_device_pointer(op, "grad_bias", grad_bias);
  check_device_pointer(op, "grad_output", grad_output, std::int64_t{batch} * plane == 0);
  channel_sum<<<channels, 256, 0, stream_or_current(stream_ptr)>>>(grad_bias, grad_output, batch, channels, plane);
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

#ifndef ZENGEN_WITH_CUDNN
// Without cuDNN at configure time: the cuDNN kernels are named but missing.
bool cudnn_built() { return false; }
namespace cudnn {
namespace {
[[noreturn]] void missing(const char* op) {
  throw DeviceError(detail::concat(op, ": this build of zengen has no cuDNN (it was not found when configuring; "
                                       "set CUDNN_ROOT or use ZENGEN_CONV_BACKEND=zengen)"));
}
}  // namespace
void forward(const ConvShape&, float*, const float*, const float*, bool, void*, bool) { missing("cudnn::forward"); }
void backward_data(const ConvShape&, float*, const float*, const float*, bool, void*, bool, bool) {
  missing("cudnn::backward_data");
}
void backward_weight(const ConvShape&, float*, const float*, const float*, bool, void*, bool, bool) {
  missing("cudnn::backward_weight");
}
}  // namespace cudnn
#endif

}  // namespace zengen::cuda
