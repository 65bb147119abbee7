// CUDA batch normalisation: see normalization.hpp.
#include "normalization.hpp"

#include <cmath>

#include "reduce.cuh"
#include "validate.hpp"
#include "kernels/functors.hpp"

namespace zengen::cuda {

namespace {

/// x as [N, C, S].
struct Layout {
  std::int64_t n, c, s;
};

Layout layout_of(const TensorRef& x) {
  Layout l{x.sizes[0], x.sizes[1], 1};
  for (int d = 2; d < x.ndim; ++d) l.s *= x.sizes[d];
  return l;
}

/// The activation fused into the output (leaky_relu with `slope` when `on`),
/// and the gradient it passes back: g (pre > 0 ? 1 : slope), pre = the
/// normalised output recomputed from x.
template <typename T>
struct Activation {
  bool on;
  double slope;
  __device__ T operator()(T pre) const {
    if (!on) return pre;
    return slope == 0.0 ? functors::ReLU{}(pre) : functors::LeakyReLU{slope}(pre);  // ReLU: +0 below zero
  }
  __device__ T gradient(T g, T pre) const { return on ? functors::LeakyReLUBackward{slope}(g, pre) : g; }
};

/// The output's per-channel scale (invstd weight) and offset (bias).
template <typename T>
__device__ __forceinline__ T scale_of(const T* invstd, const T* weight, std::int64_t c) {
  return static_cast<T>(static_cast<double>(invstd[c]) * (weight ? static_cast<double>(weight[c]) : 1.0));
}
template <typename T>
__device__ __forceinline__ T offset_of(const T* bias, std::int64_t c) {
  return bias ? bias[c] : T(0);
}

/// Element r (in [0, N S)) of channel c.
__device__ __forceinline__ std::int64_t channel_element(const Layout& l, std::int64_t c, std::int64_t r) {
  const std::int64_t n = r / l.s;
  return (n * l.c + c) * l.s + (r - n * l.s);
}

/// Block c: the statistics of channel c.
template <typename T>
__global__ void statistics(Layout l, const T* x, T* mean, T* var, T* invstd, double eps) {
  const std::int64_t c = blockIdx.x, m = l.n * l.s;
  const double shift = static_cast<double>(x[c * l.s]);
  double sum = 0.0, squares = 0.0;
  for (std::int64_t r = threadIdx.x; r < m; r += blockDim.x) {
    const double d = static_cast<double>(x[channel_element(l, c, r)]) - shift;
    sum += d;
    squares += d * d;
  }
  sum = block_sum(sum);
  squares = block_sum(squares);
  if (threadIdx.x == 0) {
    const double centred = sum / static_cast<double>(m);
    // Clamped at 0 as the CPU's std::max does: a NaN stays NaN (fmax would make it 0).
    const double raw = squares / static_cast<double>(m) - centred * centred;
    const double v = raw < 0.0 ? 0.0 : raw;
    mean[c] = static_cast<T>(shift + centred);
    var[c] = static_cast<T>(v);
    invstd[c] = static_cast<T>(1.0 / sqrt(v + eps));
  }
}

/// y = act((x - mean) a + b), a = invstd weight (the mean is not folded
/// into the offset: that would cancel when |mean| >> std).
template <typename T>
__global__ void normalise(std::int64_t total, Layout l, const T* x, const T* mean, const T* invstd, const T* weight,
                          const T* bias, Activation<T> act, T* y) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t c = (i / l.s) % l.c;
    y[i] = act((x[i] - mean[c]) * scale_of(invstd, weight, c) + offset_of(bias, c));
  }
}

/// Block c: channel c's sums, grad_bias and grad_weight, and grad_x's
/// coefficients k [3 C]: grad_x = g k1 + (x - mean) k2 + k3, g the gradient
/// of the normalised output (through the activation, when fused).
template <typename T>
__global__ void gradient_sums(Layout l, const T* gy, const T* x, const T* weight, const T* bias, const T* mean,
                              const T* invstd, Activation<T> act, T* grad_weight, T* grad_bias, T* k) {
  const std::int64_t c = blockIdx.x, m = l.n * l.s;
  const T mu = mean[c], scale = scale_of(invstd, weight, c), offset = offset_of(bias, c);
  double sum_g = 0.0, sum_gx = 0.0;
  for (std::int64_t r = threadIdx.x; r < m; r += blockDim.x) {
    const std::int64_t i = channel_element(l, c, r);
    const T centred = x[i] - mu;
    const double g = static_cast<double>(act.gradient(gy[i], centred * scale + offset));
    sum_g += g;
    sum_gx += g * static_cast<double>(centred);
  }
  sum_g = block_sum(sum_g);
  sum_gx = block_sum(sum_gx);
  if (threadIdx.x == 0) {
    const double inv = static_cast<double>(invstd[c]);
    if (grad_bias) grad_bias[c] = static_cast<T>(sum_g);
    if (grad_weight) grad_weight[c] = static_cast<T>(sum_gx * inv);
    const double k1 = (weight ? static_cast<double>(weight[c]) : 1.0) * inv;
    k[3 * c] = static_cast<T>(k1);
    k[3 * c + 1] = static_cast<T>(-k1 * inv * inv * sum_gx / static_cast<double>(m));
    k[3 * c + 2] = static_cast<T>(-k1 * sum_g / static_cast<double>(m));
  }
}

template <typename T>
__global__ void gradient_input(std::int64_t total, Layout l, const T* gy, const T* x, const T* weight, const T* bias,
                               const T* mean, const T* invstd, Activation<T> act, const T* k, T* gx) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t c = (i / l.s) % l.c;
    const T centred = x[i] - mean[c];
    const T g = act.gradient(gy[i], centred * scale_of(invstd, weight, c) + offset_of(bias, c));
    gx[i] = g * k[3 * c] + centred * k[3 * c + 1] + k[3 * c + 2];
  }
}

/// A checked slope (>= 0: the backward reads the sign of the output's
/// pre-activation) as the kernels' Activation.
template <typename T>
Activation<T> activation_of(const char* op, std::optional<double> leaky_slope) {
  if (!leaky_slope) return {false, 0.0};
  ZENGEN_CHECK(*leaky_slope >= 0.0, ValueError, "cuda ", op, ": the fused leaky_relu's slope must be >= 0, got ",
               *leaky_slope);
  return {true, *leaky_slope};
}

template <typename T>
const T* optional(const TensorRef& t) {
  return t.data ? static_cast<const T*>(t.data) : nullptr;
}

/// x: a contiguous floating [N, C, ...] tensor with values in each channel.
Layout check_input(const char* op, const TensorRef& x) {
  validate::operand(op, "input", x);
  validate::floating(op, "input", x);
  validate::contiguous(op, "input", x);
  ZENGEN_CHECK(x.ndim >= 2, ShapeError, "cuda ", op, ": input must be [N, C, ...], got ", x.shape_str());
  const Layout l = layout_of(x);
  ZENGEN_CHECK(l.n * l.s > 0, ValueError, "cuda ", op, ": input ", x.shape_str(), " has no values per channel");
  ZENGEN_CHECK(l.c < (std::int64_t{1} << 31), ShapeError, "cuda ", op, ": ", l.c, " channels is too many for one launch");
  return l;
}

/// A per-channel operand: [C], contiguous, x's dtype and device.
void check_channels(const char* op, const char* name, const TensorRef& t, const TensorRef& x, std::int64_t channels) {
  validate::companion(op, name, t, x);
  ZENGEN_CHECK(t.numel() == channels, ShapeError, "cuda ", op, ": ", name, " of shape ", t.shape_str(), " for ",
               channels, " channels");
}

}  // namespace

void batch_norm_forward(const TensorRef& y, const TensorRef& mean, const TensorRef& var, const TensorRef& invstd,
                        const TensorRef& x, const TensorRef& weight, const TensorRef& bias, double eps,
                        std::optional<double> leaky_slope) {
  const char* op = "batch_norm";
  const Layout l = check_input(op, x);
  validate::like(op, "output", y, x);
  check_channels(op, "mean", mean, x, l.c);
  check_channels(op, "var", var, x, l.c);
  check_channels(op, "invstd", invstd, x, l.c);
  if (weight.data) check_channels(op, "weight", weight, x, l.c);
  if (bias.data) check_channels(op, "bias", bias, x, l.c);
  ZENGEN_CHECK(eps > 0.0, ValueError, "cuda ", op, ": eps must be positive, got ", eps);
  activation_of<float>(op, leaky_slope);
  if (l.c == 0) return;
  DeviceScope scope(x.device);
  cudaStream_t st = stream(x.device);
  dispatch_float(x.dtype, op, [&]<typename T>() {
    statistics<T><<<static_cast<unsigned>(l.c), kBlockThreads, 0, st>>>(
        l, static_cast<const T*>(x.data), static_cast<T*>(mean.data), static_cast<T*>(var.data),
        static_cast<T*>(invstd.data), eps);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
    const std::int64_t total = x.numel();
    normalise<T><<<blocks_for(total), kBlockThreads, 0, st>>>(
        total, l, static_cast<const T*>(x.data), static_cast<const T*>(mean.data), static_cast<const T*>(invstd.data),
        optional<T>(weight), optional<T>(bias), activation_of<T>(op, leaky_slope), static_cast<T*>(y.data));
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

void batch_norm_backward(const TensorRef& grad_x, const TensorRef& grad_weight, const TensorRef& grad_bias,
                         const TensorRef& grad_y, const TensorRef& x, const TensorRef& weight, const TensorRef& bias,
                         const TensorRef& mean, const TensorRef& invstd, std::optional<double> leaky_slope) {
  const char* op = "batch_norm backward";
  const Layout l = check_input(op, x);
  validate::like(op, "grad_output", grad_y, x);
  if (grad_x.data) validate::like(op, "grad_input", grad_x, x);
  check_channels(op, "mean", mean, x, l.c);
  check_channels(op, "invstd", invstd, x, l.c);
  if (weight.data) check_channels(op, "weight", weight, x, l.c);
  if (grad_weight.data) check_channels(op, "grad_weight", grad_weight, x, l.c);
  if (grad_bias.data) check_channels(op, "grad_bias", grad_bias, x, l.c);
  if (bias.data) check_channels(op, "bias", bias, x, l.c);
  activation_of<float>(op, leaky_slope);
  if (l.c == 0) return;
  DeviceScope scope(x.device);
  cudaStream_t st = stream(x.device);
  dispatch_float(x.dtype, op, [&]<typename T>() {
    const std::size_t k_bytes = static_cast<std::size_t>(3 * l.c) * sizeof(T);
    T* k = static_cast<T*>(allocate(k_bytes, x.device));
    const Activation<T> act = activation_of<T>(op, leaky_slope);
    gradient_sums<T><<<static_cast<unsigned>(l.c), kBlockThreads, 0, st>>>(
        l, static_cast<const T*>(grad_y.data), static_cast<const T*>(x.data), optional<T>(weight), optional<T>(bias),
        static_cast<const T*>(mean.data), static_cast<const T*>(invstd.data), act,
        grad_weight.data ? static_cast<T*>(grad_weight.data) : nullptr,
        grad_bias.data ? static_cast<T*>(grad_bias.data) : nullptr, k);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
    if (grad_x.data) {
      const std::int64_t total = x.numel();
      gradient_input<T><<<blocks_for(total), kBlockThreads, 0, st>>>(
          total, l, static_cast<const T*>(grad_y.data), static_cast<const T*>(x.data), optional<T>(weight),
          optional<T>(bias), static_cast<const T*>(mean.data), static_cast<const T*>(invstd.data), act, k,
          static_cast<T*>(grad_x.data));
      ZENGEN_CUDA_CHECK(cudaGetLastError());
    }
    deallocate(k, k_bytes, x.device);  // reused only by later work on this stream
  });
}

}  // namespace zengen::cuda
