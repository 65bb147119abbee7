// Internal: CPU samplers over the Philox generator. Element i of a call that
// starts at counter block `block` depends only on (seed, block, i), so the
// CUDA samplers reproduce the same numbers.
#pragma once

#include "cpu/isa.hpp"

#include <cstdint>

#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// Counter blocks one uniform / normal / bernoulli call over n elements of
/// dtype t uses.
std::uint64_t random_blocks(std::int64_t n, DType t);
/// Counter blocks a call drawing per_block elements from each block uses.
std::uint64_t random_blocks(std::int64_t n, int elements_per_block);

/// Fills a contiguous floating tensor.
void fill_uniform(const Tensor& out, std::uint64_t seed, std::uint64_t block, double low, double high);
void fill_normal(const Tensor& out, std::uint64_t seed, std::uint64_t block, double mean, double std);
/// Uniform integers in [low, high), any dtype.
void fill_randint(const Tensor& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high);
/// out[i] = uniform(i) < p[i] ? 1 : 0; p contiguous, same shape and dtype as out.
void fill_bernoulli(const Tensor& out, const Tensor& p, std::uint64_t seed, std::uint64_t block);
/// out[i] = uniform(i) < p ? 1 : 0 (p in out's dtype).
void fill_bernoulli(const Tensor& out, double p, std::uint64_t seed, std::uint64_t block);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
