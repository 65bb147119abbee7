// CUDA optimizer kernels: grid-stride loops calling the shared update
// functors, one thread per element. See optim.hpp.
#include "optim.hpp"

#include <cmath>
#include <vector>

#include "reduce.cuh"
#include "validate.hpp"

namespace zengen::cuda {

namespace of = zengen::optim::functors;

namespace {

template <typename T>
__global__ void sgd_kernel(std::int64_t n, T* p, const T* g, T* buf, of::SGDStep<T> step, bool first) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    if (buf)
      step(p[i], g[i], buf[i], first);
    else
      step(p[i], g[i]);
  }
}

template <typename T>
__global__ void adam_kernel(std::int64_t n, T* p, const T* g, T* m, T* v, T* vmax, of::AdamStep<T> step) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    if (vmax)
      step(p[i], g[i], m[i], v[i], vmax[i]);
    else
      step(p[i], g[i], m[i], v[i]);
  }
}

template <typename T, typename F>
__global__ void in_place(std::int64_t n, T* g, F fn) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    fn(g[i]);
}

template <typename T>
struct AbsPow {
  const T* g;
  double p;
  __device__ double operator()(std::int64_t, std::int64_t i) const {
    const double a = fabs(static_cast<double>(g[i]));
    return p == 1.0 ? a : (p == 2.0 ? a * a : pow(a, p));
  }
};

/// Largest |g| per block, NaN winning; one block per chunk, then the host
/// takes the maximum of the few partial results.
template <typename T>
__global__ void abs_max(std::int64_t n, const T* g, double* partial) {
  __shared__ double best[kBlockThreads];
  double m = 0.0;
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const double a = fabs(static_cast<double>(g[i]));
    m = (a > m || a != a) && m == m ? a : m;
  }
  best[threadIdx.x] = m;
  __syncthreads();
  if (threadIdx.x == 0) {
    double r = 0.0;
    for (int t = 0; t < blockDim.x; ++t) r = (best[t] > r || best[t] != best[t]) && r == r ? best[t] : r;
    partial[blockIdx.x] = r;
  }
}

void check_param(const char* op, const TensorRef& p, const TensorRef& g) {
  validate::operand(op, "param", p);
  validate::floating(op, "param", p);
  validate::contiguous(op, "param", p);
  validate::like(op, "grad", g, p);
}

}  // namespace

void sgd_update(const TensorRef& param, const TensorRef& grad, const TensorRef& momentum_buffer,
                const of::SGDScalars& scalars, bool first) {
  check_param("SGD", param, grad);
  if (momentum_buffer.data) validate::like("SGD", "momentum_buffer", momentum_buffer, param);
  const std::int64_t n = param.numel();
  if (n == 0) return;
  DeviceScope scope(param.device);
  dispatch_float(param.dtype, "SGD", [&]<typename T>() {
    sgd_kernel<<<blocks_for(n), kBlockThreads, 0, stream(param.device)>>>(
        n, static_cast<T*>(param.data), static_cast<const T*>(grad.data), static_cast<T*>(momentum_buffer.data),
        of::SGDStep<T>(scalars), first);
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

void adam_update(const TensorRef& param, const TensorRef& grad, const TensorRef& exp_avg, const TensorRef& exp_avg_sq,
                 const TensorRef& max_exp_avg_sq, const of::AdamScalars& scalars) {
  check_param("Adam", param, grad);
  validate::like("Adam", "exp_avg", exp_avg, param);
  validate::like("Adam", "exp_avg_sq", exp_avg_sq, param);
  if (max_exp_avg_sq.data) validate::like("Adam", "max_exp_avg_sq", max_exp_avg_sq, param);
  const std::int64_t n = param.numel();
  if (n == 0) return;
  DeviceScope scope(param.device);
  dispatch_float(param.dtype, "Adam", [&]<typename T>() {
    adam_kernel<<<blocks_for(n), kBlockThreads, 0, stream(param.device)>>>(
        n, static_cast<T*>(param.data), static_cast<const T*>(grad.data), static_cast<T*>(exp_avg.data),
        static_cast<T*>(exp_avg_sq.data), static_cast<T*>(max_exp_avg_sq.data), of::AdamStep<T>(scalars));
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

double abs_pow_sum(const TensorRef& g, double p) {
  validate::operand("clip_grad_norm_", "grad", g);
  validate::floating("clip_grad_norm_", "grad", g);
  validate::contiguous("clip_grad_norm_", "grad", g);
  const std::int64_t n = g.numel();
  if (n == 0) return 0.0;
  DeviceScope scope(g.device);
  const bool inf = std::isinf(p);
  const unsigned blocks = inf ? std::min(blocks_for(n), 1024u) : 1u;
  const std::size_t bytes = blocks * sizeof(double);
  double* result = static_cast<double*>(allocate(bytes, g.device));
  dispatch_float(g.dtype, "clip_grad_norm_", [&]<typename T>() {
    if (inf) {
      abs_max<<<blocks, kBlockThreads, 0, stream(g.device)>>>(n, static_cast<const T*>(g.data), result);
      ZENGEN_CUDA_CHECK(cudaGetLastError());
    } else {
      launch_reduce_rows(g.device, 1, n, AbsPow<T>{static_cast<const T*>(g.data), p}, result, 1.0);
    }
  });
  std::vector<double> host(blocks);
  copy(host.data(), result, bytes, /*device to host*/ 1, g.device);
  deallocate(result, bytes, g.device);
  double total = 0.0;
  for (double v : host) total = (v > total || v != v) && total == total ? v : total;
  return total;
}

void scale_in_place(const TensorRef& g, double coef) {
  validate::operand("clip_grad_norm_", "grad", g);
  validate::contiguous("clip_grad_norm_", "grad", g);
  const std::int64_t n = g.numel();
  if (n == 0) return;
  DeviceScope scope(g.device);
  dispatch_float(g.dtype, "clip_grad_norm_", [&]<typename T>() {
    in_place<<<blocks_for(n), kBlockThreads, 0, stream(g.device)>>>(n, static_cast<T*>(g.data),
                                                                     of::Scale<T>{static_cast<T>(coef)});
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

void clamp_in_place(const TensorRef& g, double clip) {
  validate::operand("clip_grad_value_", "grad", g);
  validate::contiguous("clip_grad_value_", "grad", g);
  const std::int64_t n = g.numel();
  if (n == 0) return;
  DeviceScope scope(g.device);
  dispatch_float(g.dtype, "clip_grad_value_", [&]<typename T>() {
    in_place<<<blocks_for(n), kBlockThreads, 0, stream(g.device)>>>(n, static_cast<T*>(g.data),
                                                                     of::ClampValue<T>{static_cast<T>(clip)});
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace zengen::cuda
