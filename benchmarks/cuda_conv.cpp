// The CUDA convolution kernels on the DCGAN layers at batch 64, beside cuDNN.
//
// Layers (the discriminator's; kernel 4, stride 2, padding 1): 3->64 at
// 64x64, 64->128 at 32x32, 128->256 at 16x16, 256->512 at 8x8. The
// generator's transposed convolutions are their adjoints, so they run the
// same three kernels: conv_transpose2d's forward is the layer's
// backward-data, its backward-data the layer's forward, and both share
// backward-weight. Each direction runs with zengen's float32 kernel
// ("zengen"), zengen's TF32 tensor-core kernel ("zengen-tf32"), cuDNN with
// FP32 math ("cudnn"), cuDNN with TF32 allowed ("cudnn-tf32") and zengen's
// bfloat16 tensor-core kernel ("zengen-bf16": float32 tensors, operands
// rounded to bfloat16, float32 accumulation; cuDNN has no such mode for
// float32 tensors, so it is set beside cudnn-tf32); cuDNN's algorithm is the
// fastest of its own measurements (cudnnFind*), picked once before timing.
//
// Backward-weight also runs zengen's float32 kernel in deterministic mode
// ("zengen-deterministic": the K splits stored to a workspace and added in
// order instead of atomically), to show what reproducibility costs.
//
// Timing: cudaEvents around each call (UseManualTime), recorded on
// zengen's stream of device 0, where the launchers enqueue their work (and
// cuDNN's, through its handle), so the figure is GPU time; GFLOP/s counts 2 N O C kh kw Ho Wo per direction. After the runs a
// table gives each zengen kernel's throughput as a fraction of cuDNN's with
// the same math (the targets: >= 0.8 for float32, >= 1.0 for TF32).
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench_common.hpp"
#include "conv.hpp"
#include "runtime.hpp"

namespace zc = zengen::cuda;

namespace {

#define BENCH_CUDA(call)                                                                       \
  do {                                                                                         \
    const cudaError_t status_ = (call);                                                        \
    if (status_ != cudaSuccess) throw std::runtime_error(std::string(#call ": ") + cudaGetErrorString(status_)); \
  } while (0)

struct Layer {
  const char* name;
  int in_channels, out_channels, size;
  zc::ConvShape shape() const {
    zc::ConvShape s;
    s.batch = 64;
    s.in_channels = in_channels;
    s.in_h = s.in_w = size;
    s.out_channels = out_channels;
    s.kernel_h = s.kernel_w = 4;
    s.stride_h = s.stride_w = 2;
    s.pad_h = s.pad_w = 1;
    s.out_h = s.out_w = size / 2;
    return s;
  }
  double flops() const {
    const zc::ConvShape s = shape();
    return 2.0 * s.batch * s.out_channels * s.in_channels * 16.0 * s.out_h * s.out_w;
  }
};

const Layer kLayers[] = {
    {"3->64@64", 3, 64, 64}, {"64->128@32", 64, 128, 32}, {"128->256@16", 128, 256, 16}, {"256->512@8", 256, 512, 8}};
const char* const kDirections[] = {"forward (convT backward-data)", "backward-data (convT forward)",
                                   "backward-weight (both)"};
const zc::ConvKernel kKernels[] = {zc::ConvKernel::Simt, zc::ConvKernel::TensorCore, zc::ConvKernel::Cudnn,
                                   zc::ConvKernel::CudnnTensorCore, zc::ConvKernel::TensorCoreBf16};
constexpr int kKernelCount = 5;
bool is_cudnn(zc::ConvKernel k) { return k == zc::ConvKernel::Cudnn || k == zc::ConvKernel::CudnnTensorCore; }

// A device buffer of n floats with values in [-1, 1).
struct DeviceBuffer {
  float* ptr = nullptr;
  explicit DeviceBuffer(std::size_t n) {
    std::vector<float> host(n);
    unsigned state = 12345u;
    for (float& v : host) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
    }
    BENCH_CUDA(cudaMalloc(&ptr, n * sizeof(float)));
    BENCH_CUDA(cudaMemcpy(ptr, host.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

// GFLOP/s per (layer, direction, kernel), for the table at the end.
std::map<std::tuple<int, int, int>, double>& results() {
  static std::map<std::tuple<int, int, int>, double> r;
  return r;
}

// kernel_index 5: zengen's float32 kernel, deterministic (backward-weight).
constexpr int kDeterministic = kKernelCount;

void run_once(const zc::ConvShape& s, int direction, zc::ConvKernel kernel, bool deterministic, float* x, float* w,
              float* y) {
  const bool tf32 = kernel == zc::ConvKernel::CudnnTensorCore;
  if (is_cudnn(kernel)) {  // straight to the wrappers: the measured (cudnnFind) algorithm, no bias
    if (direction == 0) zc::cudnn::forward(s, y, x, w, tf32, nullptr, true);
    if (direction == 1) zc::cudnn::backward_data(s, x, y, w, tf32, nullptr, true);
    if (direction == 2) zc::cudnn::backward_weight(s, w, x, y, tf32, nullptr, true);
    return;
  }
  if (direction == 0) zc::conv2d_forward(s, y, x, w, nullptr, kernel);
  if (direction == 1) zc::conv2d_backward_data(s, x, y, w, nullptr, kernel);
  if (direction == 2) zc::conv2d_backward_weight(s, w, x, y, kernel, nullptr, deterministic);
}

void BM_cuda_conv(benchmark::State& state, int layer, int direction, int kernel_index) {
  const Layer& l = kLayers[layer];
  const zc::ConvShape s = l.shape();
  const bool deterministic = kernel_index == kDeterministic;
  const zc::ConvKernel kernel = deterministic ? zc::ConvKernel::Simt : kKernels[kernel_index];
  DeviceBuffer x(std::size_t(s.batch) * s.in_channels * s.in_h * s.in_w);
  DeviceBuffer w(std::size_t(s.out_channels) * s.in_channels * 16);
  DeviceBuffer y(std::size_t(s.batch) * s.out_channels * s.out_h * s.out_w);
  const auto stream = static_cast<cudaStream_t>(zc::stream_handle(0));
  cudaEvent_t start, stop;
  BENCH_CUDA(cudaEventCreate(&start));
  BENCH_CUDA(cudaEventCreate(&stop));
  try {
    run_once(s, direction, kernel, deterministic, x.ptr, w.ptr, y.ptr);  // warm-up (and cuDNN's algorithm search)
    BENCH_CUDA(cudaDeviceSynchronize());
    double seconds = 0;
    for (auto _ : state) {
      BENCH_CUDA(cudaEventRecord(start, stream));
      run_once(s, direction, kernel, deterministic, x.ptr, w.ptr, y.ptr);
      BENCH_CUDA(cudaEventRecord(stop, stream));
      BENCH_CUDA(cudaEventSynchronize(stop));
      float ms = 0;
      BENCH_CUDA(cudaEventElapsedTime(&ms, start, stop));
      state.SetIterationTime(ms / 1e3);
      seconds += ms / 1e3;
    }
    zengen::bench::set_gflops(state, l.flops());
    if (seconds > 0) results()[{layer, direction, kernel_index}] = l.flops() * state.iterations() / seconds / 1e9;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
}

void print_ratio_table() {
  if (results().empty()) return;
  std::printf("\nzengen / cuDNN throughput (same math; targets: float32 >= 0.80, TF32 >= 1.00;\n"
              "bf16: zengen-bf16 against cudnn-tf32, no target)\n");
  std::printf("%-12s %-31s %14s %14s %14s\n", "layer", "direction", "fp32 ratio", "tf32 ratio", "bf16 ratio");
  for (int layer = 0; layer < 4; ++layer)
    for (int direction = 0; direction < 3; ++direction) {
      auto ratio = [&](int ours, int theirs) {
        const auto a = results().find({layer, direction, ours}), b = results().find({layer, direction, theirs});
        return a != results().end() && b != results().end() && b->second > 0 ? a->second / b->second : -1.0;
      };
      std::printf("%-12s %-31s %14.2f %14.2f %14.2f\n", kLayers[layer].name, kDirections[direction], ratio(0, 2),
                  ratio(1, 3), ratio(4, 3));
    }
  std::printf("\nbackward-weight, deterministic / atomic split-K (zengen float32)\n");
  for (int layer = 0; layer < 4; ++layer) {
    const auto a = results().find({layer, 2, kDeterministic}), b = results().find({layer, 2, 0});
    if (a != results().end() && b != results().end() && b->second > 0)
      std::printf("%-12s %14.2f\n", kLayers[layer].name, a->second / b->second);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device: skipping\n");
    return 77;
  }
  for (int layer = 0; layer < 4; ++layer)
    for (int direction = 0; direction < 3; ++direction)
      for (int k = 0; k < kKernelCount; ++k) {
        if (is_cudnn(kKernels[k]) && !zc::cudnn_built()) continue;
        const std::string name = std::string("cuda_conv/") + kLayers[layer].name + "/" +
                                 (direction == 0 ? "forward" : direction == 1 ? "backward_data" : "backward_weight") +
                                 "/" + zc::to_string(kKernels[k]);
        benchmark::RegisterBenchmark(name.c_str(), BM_cuda_conv, layer, direction, k)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
  for (int layer = 0; layer < 4; ++layer) {
    const std::string name = std::string("cuda_conv/") + kLayers[layer].name + "/backward_weight/zengen-deterministic";
    benchmark::RegisterBenchmark(name.c_str(), BM_cuda_conv, layer, 2, kDeterministic)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  print_ratio_table();
  return 0;
}
