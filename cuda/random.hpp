// CUDA samplers (cuda/random.cu) over the Philox generator: element i of a
// call starting at counter block `block` is philox_uniform / philox_normal /
// philox_randint (zengen/core/generator.hpp), the very functions the CPU
// samplers call, so a seed gives the same numbers on both devices (uniform,
// bernoulli and randint bit for bit; normal to a few ulp of log/sin/cos).
// Plain C++: no CUDA header.
#pragma once

#include <cstdint>

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// out (contiguous, floating) = low + (high - low) * U[0, 1).
void fill_uniform(const TensorRef& out, std::uint64_t seed, std::uint64_t block, double low, double high);
/// out (contiguous, floating) = mean + std * N(0, 1).
void fill_normal(const TensorRef& out, std::uint64_t seed, std::uint64_t block, double mean, double std);
/// out (contiguous, any dtype) = uniform integers in [low, high), from
/// philox_randint (two words per element).
void fill_randint(const TensorRef& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high);
/// out (contiguous, floating) = uniform < p ? 1 : 0, with p a tensor like out
/// (contiguous, same shape, dtype and device) or one value. The range of p
/// is the caller's to check.
void fill_bernoulli(const TensorRef& out, const TensorRef& p, std::uint64_t seed, std::uint64_t block);
void fill_bernoulli(const TensorRef& out, double p, std::uint64_t seed, std::uint64_t block);

}  // namespace zengen::cuda
