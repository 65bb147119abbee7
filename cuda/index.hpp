// CUDA index_select / index_add launchers (cuda/index.cu): one launch each,
// whatever the number of indices. Every operand is contiguous; the index is
// an int64 tensor on the same device whose values src/ops/index.cpp has
// checked and wrapped (0 <= index[i] < the indexed dim's size). The indexed
// dim splits a tensor into [outer, size, inner]. Plain C++: no CUDA header.
#pragma once

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// out [outer, n, inner] = x [outer, size, inner] at rows index along `dim`
/// (any dtype): one thread per output element.
void index_select(const TensorRef& out, const TensorRef& x, int dim, const TensorRef& index);

/// out [outer, size, inner] += source [outer, n, inner] at rows index along
/// `dim` (floating): one thread per (outer, inner) lane walks the indices in
/// order, so repeated indices add up in a fixed order (no atomics; the
/// result is the same on every run).
void index_add_(const TensorRef& out, int dim, const TensorRef& index, const TensorRef& source);

}  // namespace zengen::cuda
