// cuDNN as a second convolution backend (conv.hpp, namespace cudnn): the
// oracle of the CUDA tests and the bar of bench_cuda_conv. One direction per
// function, through cuDNN's legacy convolution API (cudnnConvolutionForward,
// BackwardData, BackwardFilter), every call checked.
//
// - Math: FP32 only (CUDNN_FMA_MATH: no tensor cores, so it is comparable to
//   zengen's Simt kernel) or tensor cores allowed (CUDNN_TENSOR_OP_MATH: TF32
//   for float data on Ampere and later, comparable to zengen's TensorCore).
//   An algorithm cuDNN offers with another math type than asked is skipped.
// - Algorithm: the first usable one of cuDNN's heuristics
//   (cudnnGet*Algorithm_v7), or of its measurements (cudnnFind*Algorithm,
//   which runs each candidate) when `measure` is set; cached per geometry,
//   direction, math and device, so the choice is paid once.
// - Workspace: allocated stream-ordered (cudaMallocAsync) for the call.
// - Handles: one per thread and device, created on first use and never
//   destroyed (destroying them from static destructors, after the CUDA
//   runtime may have shut down, is what would crash).
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "check.cuh"
#include "conv.hpp"
#include "cudnn_check.cuh"

namespace zengen::cuda {

bool cudnn_built() { return true; }

namespace cudnn {
namespace {

enum class Direction { Forward, BackwardData, BackwardWeight };

const char* name(Direction d) {
  return d == Direction::Forward ? "cudnn::forward" : d == Direction::BackwardData ? "cudnn::backward_data"
                                                                                   : "cudnn::backward_weight";
}

cudnnHandle_t handle(cudaStream_t stream) {
  thread_local std::vector<cudnnHandle_t> handles;
  int device = 0;
  ZENGEN_CUDA_CHECK(cudaGetDevice(&device));
  if (handles.size() <= static_cast<std::size_t>(device)) handles.resize(static_cast<std::size_t>(device) + 1, nullptr);
  cudnnHandle_t& h = handles[static_cast<std::size_t>(device)];
  if (h == nullptr) ZENGEN_CUDNN_CHECK(cudnnCreate(&h));
  ZENGEN_CUDNN_CHECK(cudnnSetStream(h, stream));
  return h;
}

// The four descriptors of one geometry, destroyed with it.
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  Descriptors(const ConvShape& s, cudnnMathType_t math) {
    ZENGEN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    ZENGEN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    ZENGEN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    ZENGEN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    ZENGEN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.batch, s.in_channels,
                                                  s.in_h, s.in_w));
    ZENGEN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.batch, s.out_channels,
                                                  s.out_h, s.out_w));
    ZENGEN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.out_channels,
                                                  s.in_channels, s.kernel_h, s.kernel_w));
    ZENGEN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, s.pad_h, s.pad_w, s.stride_h, s.stride_w, s.dilation_h,
                                                       s.dilation_w, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    ZENGEN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, math));
  }
  ~Descriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

struct Choice {
  int algo = 0;
  std::size_t workspace = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;
};

using Key =
    std::tuple<int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, bool, bool, bool>;
Key key_of(Direction d, const ConvShape& s, bool tensor_cores, bool measure, bool deterministic, int device) {
  return {static_cast<int>(d), device, s.batch, s.in_channels, s.in_h, s.in_w, s.out_channels, s.kernel_h,
          s.kernel_w, s.out_h, s.out_w, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h, s.dilation_w,
          tensor_cores, measure, deterministic};
}

std::mutex cache_mutex;
std::map<Key, Choice>& cache() {
  static std::map<Key, Choice> choices;
  return choices;
}

// The first result cuDNN ranked that succeeded with an acceptable math type,
// a workspace within 1 GiB and, when asked, a deterministic result.
template <typename Perf>
Choice first_usable(Direction d, const ConvShape& s, const Perf* results, int count, bool tensor_cores,
                    bool deterministic) {
  constexpr std::size_t kMaxWorkspace = std::size_t{1} << 30;
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > kMaxWorkspace) continue;
    if (!tensor_cores && r.mathType != CUDNN_FMA_MATH) continue;
    if (deterministic && r.determinism != CUDNN_DETERMINISTIC) continue;
    return {static_cast<int>(r.algo), r.memory, r.mathType};
  }
  throw DeviceError(detail::concat(name(d), ": cuDNN offers no ", deterministic ? "deterministic " : "",
                                   tensor_cores ? "" : "FP32 (FMA) ",
                                   "algorithm for input [", s.batch, ", ", s.in_channels, ", ", s.in_h, ", ", s.in_w,
                                   "], weight [", s.out_channels, ", ", s.in_channels, ", ", s.kernel_h, ", ",
                                   s.kernel_w, "]"));
}

Choice choose(Direction d, const ConvShape& s, const Descriptors& desc, cudnnHandle_t h, bool tensor_cores,
              bool measure, bool deterministic) {
  int device = 0;
  ZENGEN_CUDA_CHECK(cudaGetDevice(&device));
  const Key key = key_of(d, s, tensor_cores, measure, deterministic, device);
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (auto it = cache().find(key); it != cache().end()) return it->second;
  }
  constexpr int kMax = 16;
  int count = 0;
  Choice choice;
  if (d == Direction::Forward) {
    cudnnConvolutionFwdAlgoPerf_t results[kMax];
    if (measure)
      ZENGEN_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(h, desc.x, desc.w, desc.conv, desc.y, kMax, &count, results));
    else
      ZENGEN_CUDNN_CHECK(
          cudnnGetConvolutionForwardAlgorithm_v7(h, desc.x, desc.w, desc.conv, desc.y, kMax, &count, results));
    choice = first_usable(d, s, results, count, tensor_cores, deterministic);
  } else if (d == Direction::BackwardData) {
    cudnnConvolutionBwdDataAlgoPerf_t results[kMax];
    if (measure)
      ZENGEN_CUDNN_CHECK(
          cudnnFindConvolutionBackwardDataAlgorithm(h, desc.w, desc.y, desc.conv, desc.x, kMax, &count, results));
    else
      ZENGEN_CUDNN_CHECK(
          cudnnGetConvolutionBackwardDataAlgorithm_v7(h, desc.w, desc.y, desc.conv, desc.x, kMax, &count, results));
    choice = first_usable(d, s, results, count, tensor_cores, deterministic);
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t results[kMax];
    if (measure)
      ZENGEN_CUDNN_CHECK(
          cudnnFindConvolutionBackwardFilterAlgorithm(h, desc.x, desc.y, desc.conv, desc.w, kMax, &count, results));
    else
      ZENGEN_CUDNN_CHECK(
          cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, desc.x, desc.y, desc.conv, desc.w, kMax, &count, results));
    choice = first_usable(d, s, results, count, tensor_cores, deterministic);
  }
  std::lock_guard<std::mutex> lock(cache_mutex);
  cache()[key] = choice;
  return choice;
}

// A stream-ordered workspace for one call.
struct Workspace {
  void* ptr = nullptr;
  cudaStream_t stream;
  Workspace(std::size_t bytes, cudaStream_t s) : stream(s) {
    if (bytes > 0) ZENGEN_CUDA_CHECK(cudaMallocAsync(&ptr, bytes, stream));
  }
  ~Workspace() {
    if (ptr) cudaFreeAsync(ptr, stream);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
};

void run(Direction d, const ConvShape& s, float* out, const float* first, const float* second, bool tensor_cores,
         void* stream_ptr, bool measure, bool deterministic = false) {
  ZENGEN_CHECK(cudnn_supports(s), ShapeError, name(d), ": cuDNN needs the output size of the size rule, got ",
               s.out_h, "x", s.out_w, " (input ", s.in_h, "x", s.in_w, ", kernel ", s.kernel_h, "x", s.kernel_w,
               "); use the zengen kernels for a restricted output");
  const auto stream = static_cast<cudaStream_t>(stream_ptr);
  const cudnnHandle_t h = handle(stream);
  const Descriptors desc(s, tensor_cores ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
  const Choice choice = choose(d, s, desc, h, tensor_cores, measure, deterministic);
  ZENGEN_CUDNN_CHECK(cudnnSetConvolutionMathType(desc.conv, choice.math));
  const Workspace workspace(choice.workspace, stream);
  const float alpha = 1.0f, beta = 0.0f;
  switch (d) {
    case Direction::Forward:  // first = input, second = weight
      ZENGEN_CUDNN_CHECK(cudnnConvolutionForward(h, &alpha, desc.x, first, desc.w, second, desc.conv,
                                                 static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo), workspace.ptr,
                                                 choice.workspace, &beta, desc.y, out));
      break;
    case Direction::BackwardData:  // first = grad_output, second = weight
      ZENGEN_CUDNN_CHECK(cudnnConvolutionBackwardData(h, &alpha, desc.w, second, desc.y, first, desc.conv,
                                                      static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo),
                                                      workspace.ptr, choice.workspace, &beta, desc.x, out));
      break;
    case Direction::BackwardWeight:  // first = input, second = grad_output
      ZENGEN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &alpha, desc.x, first, desc.y, second, desc.conv,
                                                        static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo),
                                                        workspace.ptr, choice.workspace, &beta, desc.w, out));
      break;
  }
}

}  // namespace

void forward(const ConvShape& s, float* output, const float* input, const float* weight, bool tensor_cores,
             void* stream, bool measure) {
  run(Direction::Forward, s, output, input, weight, tensor_cores, stream, measure);
}

void backward_data(const ConvShape& s, float* grad_input, const float* grad_output, const float* weight,
                   bool tensor_cores, void* stream, bool measure, bool deterministic) {
  run(Direction::BackwardData, s, grad_input, grad_output, weight, tensor_cores, stream, measure, deterministic);
}

void backward_weight(const ConvShape& s, float* grad_weight, const float* input, const float* grad_output,
                     bool tensor_cores, void* stream, bool measure, bool deterministic) {
  run(Direction::BackwardWeight, s, grad_weight, input, grad_output, tensor_cores, stream, measure, deterministic);
}

}  // namespace cudnn
}  // namespace zengen::cuda
