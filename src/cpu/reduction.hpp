// Internal: CPU reduction kernels. A reduction sees its input as a matrix
// [M, R]: M kept positions (the output's elements, in order) times R reduced
// elements, each axis with one stride (see as_matrix in reduction.cpp).
#pragma once

#include "cpu/isa.hpp"

#include <cstdint>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// out (contiguous, M elements) = sum of x over the dims flagged in `reduce`.
void sum(const Tensor& out, const Tensor& x, const std::vector<bool>& reduce);
/// values and indices (contiguous, M elements each) of the largest element
/// over one dim; NaN wins, and the first of equal values wins.
void max(const Tensor& values, const Tensor& indices, const Tensor& x, std::int64_t dim);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
