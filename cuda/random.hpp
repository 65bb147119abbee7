// CUDA samplers (cuda/random.cu) over the Philox generator: element i of a
// call starting at counter block `block` is philox_uniform / philox_normal
// (zengen/core/generator.hpp), the very functions the CPU samplers call, so a
// seed gives the same numbers on both devices (uniform bit for bit; normal
// to a few ulp of log/sin/cos). Plain C++: no CUDA header.
#pragma once

#include <cstdint>

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// out (contiguous, floating) = low + (high - low) * U[0, 1).
void fill_uniform(const TensorRef& out, std::uint64_t seed, std::uint64_t block, double low, double high);
/// out (contiguous, floating) = mean + std * N(0, 1).
void fill_normal(const TensorRef& out, std::uint64_t seed, std::uint64_t block, double mean, double std);

}  // namespace zengen::cuda
