#include "cpu/activation.hpp"

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/copy.hpp"
#include "cpu/loops.hpp"
#include "cpu/vecmath.hpp"
#include "kernels/functors.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

namespace f = zengen::functors;

namespace {

// Sigmoid, tanh and softplus on contiguous float32 are bound by exp/log, not
// memory: they run the vectorised cpu::vecmath versions (AVX2) over chunks
// split across the threads. Returns false when the operands do not fit.
bool vectorised_activation(Activation kind, const Tensor& out, const Tensor& x) {
  if (kind == Activation::ReLU || out.dtype() != DType::Float32 || x.dtype() != DType::Float32 ||
      out.shape() != x.shape() || !out.is_contiguous() || !x.is_contiguous())
    return false;
  auto* f = kind == Activation::Sigmoid ? vecmath::sigmoid : kind == Activation::Tanh ? vecmath::tanh : vecmath::softplus;
  const float* px = x.data<float>();
  float* py = out.data<float>();
  const std::int64_t n = out.numel();
  // exp costs tens of cycles per element: a smaller grain than copies get.
  const int threads = threads_for(n, 8192);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    f(px + begin, py + begin, end - begin);
  }
  return true;
}

}  // namespace

void activation(Activation kind, const Tensor& out, const Tensor& x) {
  if (vectorised_activation(kind, out, x)) return;
  dispatch_floating(out.dtype(), "activation", [&]<typename T>() {
    switch (kind) {
      case Activation::ReLU: return map1<T, T>(out, f::ReLU{}, x);
      case Activation::Sigmoid: return map1<T, T>(out, f::Sigmoid{}, x);
      case Activation::Tanh: return map1<T, T>(out, f::Tanh{}, x);
      case Activation::Softplus: return map1<T, T>(out, f::Softplus{}, x);
    }
  });
}

void leaky_relu(const Tensor& out, const Tensor& x, double slope) {
  dispatch_floating(out.dtype(), "leaky_relu", [&]<typename T>() { map1<T, T>(out, f::LeakyReLU{slope}, x); });
}

namespace {

// y = fn(x, bias[c]) over contiguous x seen as [outer, C, inner].
template <typename T, typename F>
void add_bias_activate(T* py, const T* px, const T* pb, std::int64_t n, std::int64_t channels, std::int64_t inner,
                       F fn) {
  const int threads = threads_for(n);
  if (inner == 1) {  // rows of C values (a Linear's output): the bias row runs along
    const std::int64_t rows = n / channels;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* xr = px + r * channels;
      T* yr = py + r * channels;
#pragma omp simd
      for (std::int64_t c = 0; c < channels; ++c) yr[c] = fn(xr[c], pb[c]);
    }
    return;
  }
  const std::int64_t planes = n / inner;  // (outer, c) planes of `inner` values, one bias each
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
  for (std::int64_t p = 0; p < planes; ++p) {
    const T b = pb[p % channels];
    const T* xp = px + p * inner;
    T* yp = py + p * inner;
#pragma omp simd
    for (std::int64_t i = 0; i < inner; ++i) yp[i] = fn(xp[i], b);
  }
}

}  // namespace

void bias_leaky_relu(const Tensor& out, const Tensor& x, const Tensor& bias, std::int64_t dim, double slope) {
  const DimSplit split = split_at_dim(x.shape(), dim);
  const std::int64_t n = x.numel();
  if (n == 0) return;
  dispatch_floating(out.dtype(), "bias_leaky_relu", [&]<typename T>() {
    T* y = out.data<T>();
    const T *px = x.data<T>(), *pb = bias.data<T>();
    if (slope == 0.0)
      add_bias_activate(y, px, pb, n, split.size, split.inner, f::BiasReLU{});
    else
      add_bias_activate(y, px, pb, n, split.size, split.inner, f::BiasLeakyReLU{slope});
  });
}

void leaky_relu_backward(const Tensor& out, const Tensor& grad, const Tensor& x, double slope) {
  dispatch_floating(out.dtype(), "leaky_relu_backward",
                    [&]<typename T>() { map2<T, T, T>(out, f::LeakyReLUBackward{slope}, grad, x); });
}

void sigmoid_backward(const Tensor& out, const Tensor& grad, const Tensor& y) {
  dispatch_floating(out.dtype(), "sigmoid_backward",
                    [&]<typename T>() { map2<T, T, T>(out, f::SigmoidBackward{}, grad, y); });
}

void tanh_backward(const Tensor& out, const Tensor& grad, const Tensor& y) {
  dispatch_floating(out.dtype(), "tanh_backward", [&]<typename T>() { map2<T, T, T>(out, f::TanhBackward{}, grad, y); });
}

// ---- log_softmax ----
//
// A contiguous tensor seen along `dim` is [outer, n, inner]: `outer` blocks,
// each holding n slices of `inner` consecutive elements. When inner == 1
// (the last dim) each softmax is one contiguous row; otherwise the n values
// of one softmax are `inner` apart, and a block is swept slice by slice so the
// inner loops run over consecutive memory.

namespace {

Tensor compacted(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor c = Tensor::empty(x.shape(), {.dtype = x.dtype(), .device = x.device()});
  copy(c, x);
  return c;
}

// Threads for `units` independent pieces of `work_per_unit` elements each.
int threads_for_units(std::int64_t units, std::int64_t work_per_unit) {
  return static_cast<int>(std::min<std::int64_t>(std::max(units, std::int64_t{1}),
                                                   threads_for(units * work_per_unit)));
}

// Columns of a strided block processed together: enough to vectorise, few
// enough that the per-column max/sum buffers stay in L1.
constexpr std::int64_t kColumnChunk = 512;

// Elements of a row handled per call of the vectorised exp.
constexpr std::int64_t kExpChunk = 256;

// sum_j exp(x[j] - shift); float32 through vecmath::exp in chunks.
template <typename T>
T sum_exp_shifted(const T* x, std::int64_t n, T shift) {
  T sum = 0;
  if constexpr (std::is_same_v<T, float>) {
    alignas(32) float chunk[kExpChunk];
    for (std::int64_t j0 = 0; j0 < n; j0 += kExpChunk) {
      const std::int64_t len = std::min(kExpChunk, n - j0);
      for (std::int64_t j = 0; j < len; ++j) chunk[j] = x[j0 + j] - shift;
      vecmath::exp(chunk, chunk, len);
#pragma omp simd reduction(+ : sum)
      for (std::int64_t j = 0; j < len; ++j) sum += chunk[j];
    }
  } else {
#pragma omp simd reduction(+ : sum)
    for (std::int64_t j = 0; j < n; ++j) sum += std::exp(x[j] - shift);
  }
  return sum;
}

// out[j] = g[j] - exp(y[j]) * sum; float32 through vecmath::exp in chunks.
template <typename T>
void subtract_exp_scaled(T* out, const T* g, const T* y, std::int64_t n, T sum) {
  if constexpr (std::is_same_v<T, float>) {
    alignas(32) float chunk[kExpChunk];
    for (std::int64_t j0 = 0; j0 < n; j0 += kExpChunk) {
      const std::int64_t len = std::min(kExpChunk, n - j0);
      vecmath::exp(y + j0, chunk, len);
#pragma omp simd
      for (std::int64_t j = 0; j < len; ++j) out[j0 + j] = g[j0 + j] - chunk[j] * sum;
    }
  } else {
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) out[j] = g[j] - std::exp(y[j]) * sum;
  }
}

template <typename T>
void log_softmax_kernel(T* out, const T* x, const DimSplit& e) {
  const std::int64_t n = e.size, inner = e.inner;
  if (inner == 1) {
    const int threads = threads_for_units(e.outer, n);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::int64_t row = 0; row < e.outer; ++row) {
      const T* xr = x + row * n;
      T* yr = out + row * n;
      T mx = -std::numeric_limits<T>::infinity();
      for (std::int64_t j = 0; j < n; ++j) mx = std::max(mx, xr[j]);
      const T sum = sum_exp_shifted(xr, n, mx);
      // (x - max) - log(sum), not x - (max + log(sum)): near a large max the
      // latter rounds log(sum) to max's precision.
      const T log_sum = std::log(sum);
#pragma omp simd
      for (std::int64_t j = 0; j < n; ++j) yr[j] = (xr[j] - mx) - log_sum;
    }
    return;
  }
  const std::int64_t chunks = (inner + kColumnChunk - 1) / kColumnChunk;
  const int threads = threads_for_units(e.outer * chunks, n * std::min(inner, kColumnChunk));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    // Per column: the max, then the sum of exp(x - max), then its log.
    std::vector<T> mx(static_cast<std::size_t>(kColumnChunk)), log_sum(static_cast<std::size_t>(kColumnChunk));
#pragma omp for schedule(static)
    for (std::int64_t task = 0; task < e.outer * chunks; ++task) {
      const std::int64_t o = task / chunks, c0 = task % chunks * kColumnChunk;
      const std::int64_t width = std::min(kColumnChunk, inner - c0);
      const T* xb = x + o * n * inner + c0;
      T* yb = out + o * n * inner + c0;
      std::fill(mx.begin(), mx.begin() + width, -std::numeric_limits<T>::infinity());
      std::fill(log_sum.begin(), log_sum.begin() + width, T(0));
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t c = 0; c < width; ++c) mx[c] = std::max(mx[c], xb[j * inner + c]);
      for (std::int64_t j = 0; j < n; ++j)
#pragma omp simd
        for (std::int64_t c = 0; c < width; ++c) log_sum[c] += std::exp(xb[j * inner + c] - mx[c]);
      for (std::int64_t c = 0; c < width; ++c) log_sum[c] = std::log(log_sum[c]);
      for (std::int64_t j = 0; j < n; ++j)
#pragma omp simd
        for (std::int64_t c = 0; c < width; ++c) yb[j * inner + c] = (xb[j * inner + c] - mx[c]) - log_sum[c];
    }
  }
}

template <typename T>
void log_softmax_backward_kernel(T* out, const T* g, const T* y, const DimSplit& e) {
  const std::int64_t n = e.size, inner = e.inner;
  if (inner == 1) {
    const int threads = threads_for_units(e.outer, n);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::int64_t row = 0; row < e.outer; ++row) {
      const T* gr = g + row * n;
      const T* yr = y + row * n;
      T* outr = out + row * n;
      T sum = 0;
#pragma omp simd reduction(+ : sum)
      for (std::int64_t j = 0; j < n; ++j) sum += gr[j];
      subtract_exp_scaled(outr, gr, yr, n, sum);
    }
    return;
  }
  const std::int64_t chunks = (inner + kColumnChunk - 1) / kColumnChunk;
  const int threads = threads_for_units(e.outer * chunks, n * std::min(inner, kColumnChunk));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    std::vector<T> sum(static_cast<std::size_t>(kColumnChunk));
#pragma omp for schedule(static)
    for (std::int64_t task = 0; task < e.outer * chunks; ++task) {
      const std::int64_t o = task / chunks, c0 = task % chunks * kColumnChunk;
      const std::int64_t width = std::min(kColumnChunk, inner - c0);
      const std::int64_t base = o * n * inner + c0;
      std::fill(sum.begin(), sum.begin() + width, T(0));
      for (std::int64_t j = 0; j < n; ++j)
#pragma omp simd
        for (std::int64_t c = 0; c < width; ++c) sum[c] += g[base + j * inner + c];
      for (std::int64_t j = 0; j < n; ++j)
#pragma omp simd
        for (std::int64_t c = 0; c < width; ++c) {
          const std::int64_t i = base + j * inner + c;
          out[i] = g[i] - std::exp(y[i]) * sum[c];
        }
    }
  }
}

}  // namespace

void log_softmax(const Tensor& out, const Tensor& x, std::int64_t dim) {
  if (out.numel() == 0) return;
  const Tensor xc = compacted(x);
  dispatch_floating(out.dtype(), "log_softmax", [&]<typename T>() {
    log_softmax_kernel<T>(static_cast<T*>(out.data_ptr()), static_cast<const T*>(xc.data_ptr()),
                          split_at_dim(out.shape(), dim));
  });
}

void log_softmax_backward(const Tensor& out, const Tensor& grad, const Tensor& y, std::int64_t dim) {
  if (out.numel() == 0) return;
  const Tensor gc = compacted(grad), yc = compacted(y);
  dispatch_floating(out.dtype(), "log_softmax_backward", [&]<typename T>() {
    log_softmax_backward_kernel<T>(static_cast<T*>(out.data_ptr()), static_cast<const T*>(gc.data_ptr()),
                                   static_cast<const T*>(yc.data_ptr()), split_at_dim(out.shape(), dim));
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
