// Indexing by integer tensors.
#pragma once

#include <cstdint>

#include "zengen/core/tensor.hpp"

namespace zengen {

/// The slices of x at `index` (1-d int64) along dim: out.shape[dim] =
/// index.numel(). Its gradient adds each slice's gradient back at its index
/// (repeated indices accumulate), which is how Embedding learns.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);

/// Adds source's slices into a copy of x at `index` along dim (the adjoint
/// of index_select); differentiable in x and source.
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& source);

}  // namespace zengen
