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

template <typename T>
struct RandintAt {
  std::uint64_t seed, block;
  std::int64_t low;
  std::uint64_t span;
  __device__ T operator()(std::int64_t i) const { return static_cast<T>(philox_randint(seed, block, i, low, span)); }
};

// p is a tensor of probabilities (prob != nullptr) or one value.
template <typename T>
struct BernoulliAt {
  std::uint64_t seed, block;
  const T* prob;
  T p;
  __device__ T operator()(std::int64_t i) const {
    return philox_uniform<T>(seed, block, i) < (prob != nullptr ? prob[i] : p) ? T(1) : T(0);
  }
};

template <typename T, typename F>
__global__ void fill_by_index(std::int64_t n, T* out, F value_at) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = value_at(i);
}

void check_output(const char* op, const TensorRef& out) {
  validate::operand(op, "output", out);
  validate::contiguous(op, "output", out);
}

template <typename T, typename F>
void launch_fill(const TensorRef& out, F value_at) {
  const std::int64_t n = out.numel();
  if (n == 0) return;
  DeviceScope scope(out.device);
  fill_by_index<<<blocks_for(n), kBlockThreads, 0, stream(out.device)>>>(n, static_cast<T*>(out.data), value_at);
  ZENGEN_CUDA_CHECK(cudaGetLastError());
}

// A floating sample: make<T>() builds the per-element functor.
template <typename Make>
void sample(const char* op, const TensorRef& out, Make make) {
  check_output(op, out);
  validate::floating(op, "output", out);
  dispatch_float(out.dtype, op, [&]<typename T>() { launch_fill<T>(out, make.template operator()<T>()); });
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

void fill_randint(const TensorRef& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high) {
  check_output("randint", out);
  ZENGEN_CHECK(low < high, ValueError, "cuda randint: low (", low, ") must be less than high (", high, ")");
  const auto span = static_cast<std::uint64_t>(high - low);
  dispatch_any(out.dtype, [&]<typename T>() { launch_fill<T>(out, RandintAt<T>{seed, block, low, span}); });
}

void fill_bernoulli(const TensorRef& out, const TensorRef& p, std::uint64_t seed, std::uint64_t block) {
  validate::like("bernoulli", "probabilities", p, out);
  sample("bernoulli", out, [&]<typename T>() {
    return BernoulliAt<T>{seed, block, static_cast<const T*>(p.data), T(0)};
  });
}

void fill_bernoulli(const TensorRef& out, double p, std::uint64_t seed, std::uint64_t block) {
  sample("bernoulli", out, [&]<typename T>() { return BernoulliAt<T>{seed, block, nullptr, static_cast<T>(p)}; });
}

}  // namespace zengen::cuda
