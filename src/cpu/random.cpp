#include "cpu/random.hpp"

#include <cmath>

#include "cpu/loops.hpp"
#include "zengen/core/generator.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
namespace {

// Float32 uses one 32-bit word per element (4 per block); float64 and the
// integer samplers use two (2 per block).
int per_block(DType t) { return t == DType::Float32 ? 4 : 2; }

template <typename T, typename F>
void parallel_fill(const Tensor& out, F value_at) {
  T* p = static_cast<T*>(out.data_ptr());
  const std::int64_t n = out.numel();
  const int threads = threads_for(n, 4096);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) p[i] = value_at(i);
}

}  // namespace

std::uint64_t random_blocks(std::int64_t n, int elements_per_block) {
  return static_cast<std::uint64_t>((n + elements_per_block - 1) / elements_per_block);
}

std::uint64_t random_blocks(std::int64_t n, DType t) { return random_blocks(n, per_block(t)); }

void fill_uniform(const Tensor& out, std::uint64_t seed, std::uint64_t block, double low, double high) {
  dispatch_floating(out.dtype(), "uniform_", [&]<typename T>() {
    const T lo = static_cast<T>(low), span = static_cast<T>(high - low);
    parallel_fill<T>(out, [&](std::int64_t i) { return lo + span * philox_uniform<T>(seed, block, i); });
  });
}

// Box-Muller on pairs: float32 element i takes words (2j, 2j+1) of its block
// with j = (i % 4) / 2 and the cosine (even i) or sine (odd i) branch;
// float64 element i takes all four words of block i / 2.
void fill_normal(const Tensor& out, std::uint64_t seed, std::uint64_t block, double mean, double std) {
  dispatch_floating(out.dtype(), "normal_", [&]<typename T>() {
    const T m = static_cast<T>(mean), s = static_cast<T>(std);
    parallel_fill<T>(out, [&](std::int64_t i) { return m + s * philox_normal<T>(seed, block, i); });
  });
}

void fill_randint(const Tensor& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high) {
  const auto span = static_cast<std::uint64_t>(high - low);
  dispatch_all(out.dtype(), [&]<typename T>() {
    parallel_fill<T>(out, [&](std::int64_t i) { return static_cast<T>(philox_randint(seed, block, i, low, span)); });
  });
}

void fill_bernoulli(const Tensor& out, const Tensor& p, std::uint64_t seed, std::uint64_t block) {
  dispatch_floating(out.dtype(), "bernoulli", [&]<typename T>() {
    const T* prob = static_cast<const T*>(p.data_ptr());
    parallel_fill<T>(out, [&](std::int64_t i) { return philox_uniform<T>(seed, block, i) < prob[i] ? T(1) : T(0); });
  });
}

void fill_bernoulli(const Tensor& out, double p, std::uint64_t seed, std::uint64_t block) {
  dispatch_floating(out.dtype(), "bernoulli", [&]<typename T>() {
    const T prob = static_cast<T>(p);
    parallel_fill<T>(out, [&](std::int64_t i) { return philox_uniform<T>(seed, block, i) < prob ? T(1) : T(0); });
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
