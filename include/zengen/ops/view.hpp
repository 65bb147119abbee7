// Shape operations. All but cat/stack (and reshape of a tensor whose strides
// do not allow a view) return views sharing the input's storage.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen {

/// Same elements in a new shape; one size may be -1 (inferred). A view when
/// the strides allow it, else a copy.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Like reshape, but throws ShapeError when a view is impossible.
Tensor view(const Tensor& x, const Shape& shape);
/// Merges dims start_dim..end_dim into one.
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
/// Reorders dims: out.shape[i] = x.shape[dims[i]].
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
/// Inserts a size-1 dim at `dim` (in [-ndim-1, ndim]).
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
/// Removes size-1 dims (all of them, or only `dim` if it has size 1).
Tensor squeeze(const Tensor& x, std::optional<std::int64_t> dim = std::nullopt);
/// Broadcasts size-1 dims (and new leading dims) to `shape` without copying;
/// -1 keeps a size.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor expand_as(const Tensor& x, const Tensor& other);
/// Elements start..start+length-1 along dim.
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
/// Elements start, start+step, ... before end along dim (Python's x[start:end:step];
/// negative start/end count from the end, and are clamped to the size).
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end,
             std::int64_t step = 1);
/// The sub-tensor at `index` along dim; dim is removed.
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
/// Joins tensors along an existing dim (all other sizes equal).
Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim = 0);
/// Joins equal-shape tensors along a new dim.
Tensor stack(const std::vector<Tensor>& xs, std::int64_t dim = 0);
/// A contiguous copy if x is not contiguous (differentiable).
Tensor contiguous(const Tensor& x);

}  // namespace zengen
