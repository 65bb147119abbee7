// Matrix products on Eigen's GEMM. matmul follows NumPy: 2-d x 2-d is a
// matrix product; with more dims the leading ones are batch dims and
// broadcast; a 1-d operand is treated as a row (left) or column (right).
#pragma once

#include "zengen/core/tensor.hpp"

namespace zengen {

/// [.., n, k] x [.., k, m] -> [.., n, m].
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace zengen
