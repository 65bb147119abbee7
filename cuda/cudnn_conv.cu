// cuDNN as a second convolution backend (conv.hpp, namespace cudnn): the
// oracle of the CUDA tests and the bar of bench_cuda_conv. One direction per
// function, through cuDNN's legacy convolution API (cudnnConvolutionForward,
// BackwardData, BackwardFilter), every call checked.
//
// - Math: FP32 only (CUDNN_FMA_MATH: no tensor cores, so it is comparable to
//   zengen's Simt kernel) or TF32 tensor cores allowed (CUDNN_DEFAULT_MATH,
//   which permits TF32 for float data on Ampere and later, as PyTorch asks
//   for it; comparable to zengen's TensorCore). Without tensor cores an
//   algorithm cuDNN offers with another math type than FMA is skipped.
// - Algorithm: the usable ones of cuDNN's heuristics
//   (cudnnGet*Algorithm_v7), or of its measurements (cudnnFind*Algorithm,
//   which runs each candidate) when `measure` is set, in cuDNN's order;
//   cached per geometry, direction, math and device, so the ranking is paid
//   once. A call runs the first; one that cuDNN refuses at run time
//   (heuristics can rank an algorithm that then reports NOT_SUPPORTED) is
//   dropped from the cached list and the next one runs.
// - Workspace: the size cuDNN gives for the algorithm and math type
//   (cudnnGet*WorkspaceSize), allocated stream-ordered (cudaMallocAsync)
//   for the call.
// - Handles: one per thread and device, created on first use and never
//   destroyed (destroying them from static destructors, after the CUDA
//   runtime may have shut down, is what would crash).
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "check.cuh"
#include "conv.hpp"
#include "cudnn_check.cuh"
#include "stream.cuh"

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
std::map<Key, std::vector<Choice>>& cache() {
  static std::map<Key, std::vector<Choice>> choices;
  return choices;
}

std::string describe(const ConvShape& s) {
  return detail::concat("input [", s.batch, ", ", s.in_channels, ", ", s.in_h, ", ", s.in_w, "], weight [",
                        s.out_channels, ", ", s.in_channels, ", ", s.kernel_h, ", ", s.kernel_w, "]");
}

// The results cuDNN ranked that succeeded with an acceptable math type, a
// workspace within 1 GiB and, when asked, a deterministic result, in its
// order.
template <typename Perf>
std::vector<Choice> usable(Direction d, const ConvShape& s, const Perf* results, int count, bool tensor_cores,
                           bool deterministic) {
  constexpr std::size_t kMaxWorkspace = std::size_t{1} << 30;
  std::vector<Choice> choices;
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > kMaxWorkspace) continue;
    if (!tensor_cores && r.mathType != CUDNN_FMA_MATH) continue;
    if (deterministic && r.determinism != CUDNN_DETERMINISTIC) continue;
    choices.push_back({static_cast<int>(r.algo), r.memory, r.mathType});
  }
  ZENGEN_CHECK(!choices.empty(), DeviceError, name(d), ": cuDNN offers no ", deterministic ? "deterministic " : "",
               tensor_cores ? "" : "FP32 (FMA) ", "algorithm for ", describe(s));
  return choices;
}

std::vector<Choice> choose(Direction d, const Key& key, const ConvShape& s, const Descriptors& desc, cudnnHandle_t h,
                           bool tensor_cores, bool measure, bool deterministic) {
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (auto it = cache().find(key); it != cache().end()) return it->second;
  }
  constexpr int kMax = 16;
  int count = 0;
  std::vector<Choice> choices;
  if (d == Direction::Forward) {
    cudnnConvolutionFwdAlgoPerf_t results[kMax];
    if (measure)
      ZENGEN_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(h, desc.x, desc.w, desc.conv, desc.y, kMax, &count, results));
    else
      ZENGEN_CUDNN_CHECK(
          cudnnGetConvolutionForwardAlgorithm_v7(h, desc.x, desc.w, desc.conv, desc.y, kMax, &count, results));
    choices = usable(d, s, results, count, tensor_cores, deterministic);
  } else if (d == Direction::BackwardData) {
    cudnnConvolutionBwdDataAlgoPerf_t results[kMax];
    if (measure)
      ZENGEN_CUDNN_CHECK(
          cudnnFindConvolutionBackwardDataAlgorithm(h, desc.w, desc.y, desc.conv, desc.x, kMax, &count, results));
    else
      ZENGEN_CUDNN_CHECK(
          cudnnGetConvolutionBackwardDataAlgorithm_v7(h, desc.w, desc.y, desc.conv, desc.x, kMax, &count, results));
    choices = usable(d, s, results, count, tensor_cores, deterministic);
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t results[kMax];
    if (measure)
      ZENGEN_CUDNN_CHECK(
          cudnnFindConvolutionBackwardFilterAlgorithm(h, desc.x, desc.y, desc.conv, desc.w, kMax, &count, results));
    else
      ZENGEN_CUDNN_CHECK(
          cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, desc.x, desc.y, desc.conv, desc.w, kMax, &count, results));
    choices = usable(d, s, results, count, tensor_cores, deterministic);
  }
  std::lock_guard<std::mutex> lock(cache_mutex);
  cache()[key] = choices;
  return choices;
}

// Drops a candidate cuDNN refused at run time from the cached ranking.
void drop_choice(const Key& key, int algo) {
  std::lock_guard<std::mutex> lock(cache_mutex);
  auto it = cache().find(key);
  if (it == cache().end()) return;
  std::erase_if(it->second, [algo](const Choice& c) { return c.algo == algo; });
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

// cuDNN's workspace size for `algo` under the descriptor's math type, or
// an error status when it cannot run it.
cudnnStatus_t workspace_size(Direction d, cudnnHandle_t h, const Descriptors& desc, int algo, std::size_t* bytes) {
  switch (d) {
    case Direction::Forward:
      return cudnnGetConvolutionForwardWorkspaceSize(h, desc.x, desc.w, desc.conv, desc.y,
                                                     static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
    case Direction::BackwardData:
      return cudnnGetConvolutionBackwardDataWorkspaceSize(h, desc.w, desc.y, desc.conv, desc.x,
                                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
    case Direction::BackwardWeight:
      return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, desc.x, desc.y, desc.conv, desc.w,
                                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), bytes);
  }
  return CUDNN_STATUS_BAD_PARAM;
}

// One convolution with one algorithm; cuDNN's status.
cudnnStatus_t convolve(Direction d, cudnnHandle_t h, const Descriptors& desc, const Choice& choice, void* workspace,
                       std::size_t workspace_bytes, float* out, const float* first, const float* second) {
  const float alpha = 1.0f, beta = 0.0f;
  switch (d) {
    case Direction::Forward:  // first = input, second = weight
      return cudnnConvolutionForward(h, &alpha, desc.x, first, desc.w, second, desc.conv,
                                     static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo), workspace, workspace_bytes,
                                     &beta, desc.y, out);
    case Direction::BackwardData:  // first = grad_output, second = weight
      return cudnnConvolutionBackwardData(h, &alpha, desc.w, second, desc.y, first, desc.conv,
                                          static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo), workspace,
                                          workspace_bytes, &beta, desc.x, out);
    case Direction::BackwardWeight:  // first = input, second = grad_output
      return cudnnConvolutionBackwardFilter(h, &alpha, desc.x, first, desc.y, second, desc.conv,
                                            static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo), workspace,
                                            workspace_bytes, &beta, desc.w, out);
  }
  return CUDNN_STATUS_BAD_PARAM;
}

// Statuses that say "not this algorithm here" rather than a broken call.
bool refused(cudnnStatus_t status) {
  return status == CUDNN_STATUS_NOT_SUPPORTED || status == CUDNN_STATUS_EXECUTION_FAILED;
}

void run(Direction d, const ConvShape& s, float* out, const float* first, const float* second, bool tensor_cores,
         void* stream_ptr, bool measure, bool deterministic = false) {
  ZENGEN_CHECK(cudnn_supports(s), ShapeError, name(d), ": cuDNN needs non-empty dims and the output size of the ",
               "size rule, got output ", s.out_h, "x", s.out_w, " for ", describe(s), " (input ", s.in_h, "x", s.in_w,
               ", kernel ", s.kernel_h, "x", s.kernel_w, "); use the zengen kernels for these");
  const cudaStream_t stream = stream_or_current(stream_ptr);
  const cudnnHandle_t h = handle(stream);
  const Descriptors desc(s, tensor_cores ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH);
  int device = 0;
  ZENGEN_CUDA_CHECK(cudaGetDevice(&device));
  const Key key = key_of(d, s, tensor_cores, measure, deterministic, device);
  cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
  for (const Choice& choice : choose(d, key, s, desc, h, tensor_cores, measure, deterministic)) {
    ZENGEN_CUDNN_CHECK(cudnnSetConvolutionMathType(desc.conv, choice.math));
    std::size_t bytes = 0;
    last = workspace_size(d, h, desc, choice.algo, &bytes);
    if (last == CUDNN_STATUS_SUCCESS) {
      const Workspace workspace(bytes, stream);
      last = convolve(d, h, desc, choice, workspace.ptr, bytes, out, first, second);
      if (last == CUDNN_STATUS_SUCCESS) return;
    }
    if (!refused(last) && last != CUDNN_STATUS_BAD_PARAM)
      throw DeviceError(detail::concat(name(d), ": cuDNN algorithm ", choice.algo, " failed for ", describe(s), ": ",
                                       cudnnGetErrorString(last)));
    drop_choice(key, choice.algo);
  }
  throw DeviceError(detail::concat(name(d), ": every algorithm cuDNN ranked was refused for ", describe(s),
                                   " (last: ", cudnnGetErrorString(last), ")"));
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
