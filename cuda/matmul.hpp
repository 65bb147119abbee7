// CUDA matrix product (cuda/matmul.cu) through cuBLAS: plain C++, no CUDA
// header.
#pragma once

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// out [..., n, m] (contiguous) = a [..., n, k] @ b [..., k, m]; out's batch
/// dims are the broadcast of a's and b's (a batch dim of size 1, or a missing
/// one, is reused). An operand whose last two dims are row- or column-major
/// (a transpose view included) is read in place; others are copied first.
/// Float32 runs in full float32 (no TF32).
void matmul(const TensorRef& out, const TensorRef& a, const TensorRef& b);

}  // namespace zengen::cuda
