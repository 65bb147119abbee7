// CUDA reduction launchers (cuda/reduction.cu): sum over any set of dims and
// max/argmax over one dim, both with the deterministic block reduction of
// cuda/reduce.cuh. Plain C++: no CUDA header.
#pragma once

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// out (contiguous; the kept dims in order) = sum of x over the dims whose
/// `reduce` flag is set (x.ndim flags). Float32 sums accumulate in double.
void sum(const TensorRef& out, const TensorRef& x, const bool* reduce);
/// values (x's dtype) and indices (int64), contiguous, of the largest
/// element of x along `dim`; NaN wins, the first of equal values wins.
void max(const TensorRef& values, const TensorRef& indices, const TensorRef& x, int dim);

}  // namespace zengen::cuda
