// CUDA log_softmax (cuda/softmax.cu): fused forward and backward kernels.
// Plain C++: no CUDA header.
//
// A contiguous tensor seen along `dim` is [outer, n, inner]. With inner == 1
// (the last dim) each softmax is a contiguous row and one block takes it:
// a block max, the sum of exp(x - max) in double, then the row is written.
// Otherwise one thread takes one (outer, inner) column and walks its n values
// `inner` apart (neighbouring threads read neighbouring memory).
#pragma once

#include <cstdint>

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// y = (x - max) - log(sum(exp(x - max))) along dim; x and y contiguous, of
/// the same shape, floating dtype and device.
void log_softmax(const TensorRef& y, const TensorRef& x, std::int64_t dim);
/// grad_x = grad_y - exp(y) * sum(grad_y along dim), y the forward's output;
/// all three contiguous and alike.
void log_softmax_backward(const TensorRef& grad_x, const TensorRef& grad_y, const TensorRef& y, std::int64_t dim);

}  // namespace zengen::cuda
