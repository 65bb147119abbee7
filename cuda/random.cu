// CUDA samplers: one thread per element, each computing its own Philox
// block (counter-based: no state is carried between elements or threads).
// Compiled with --fmad=false (cuda/CMakeLists.txt) so that low + span * u
// rounds as the CPU's does.
#include "random.hpp"

#include "loops.cuh"
#include "validate.hpp"
#include "zengen/core/generator.hpp"

namespace zengen::cuda {

namespace {

template <typename T>
struct UniformAt {
  std::uint64_t seed, block;
  T low, span;
  __device__ T operator()(std::int64_t i) const { return low + span * philox_uniform<T>(seed, block, i); }
};

template <typename T>
struct NormalAt {
  std::uint64_t seed, block;
  T mean, std;
  __device__ T operator()(std::int64_t i) const { return mean + std * philox_normal<T>(seed, block, i); }
};

template <typename T, typename F>
__global__ void fill_by_index(std::int64_t n, T* out, F value_at) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = value_at(i);
}

template <typename Make>
void sample(const char* op, const TensorRef& out, Make make) {
  validate::operand(op, "output", out);
  validate::floating(op, "output", out);
  validate::contiguous(op, "output", out);
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceScope scope(out.device);
  dispatch_float(out.dtype, op, [&]<typename T>() {
    fill_by_index<<<blocks_for(n), kBlockThreads, 0, stream(out.device)>>>(n, static_cast<T*>(out.data),
                                                                           make.template operator()<T>());
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace

void fill_uniform(const TensorRef& out, std::uint64_t seed, std::uint64_t block, double low, double high) {
  sample("uniform_", out, [&]<typename T>() {
    return UniformAt<T>{seed, block, static_cast<T>(low), static_cast<T>(high - low)};
  });
}

void fill_normal(const TensorRef& out, std::uint64_t seed, std::uint64_t block, double mean, double std) {
  sample("normal_", out, [&]<typename T>() {
    return NormalAt<T>{seed, block, static_cast<T>(mean), static_cast<T>(std)};
  });
}

}  // namespace zengen::cuda
