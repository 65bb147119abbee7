// Tensors of feature vectors as Eigen matrices in float64, checked once at
// the door of every metric (src/metrics/ only; Eigen stays private).
#pragma once

#include <Eigen/Core>
#include <string_view>

#include "zengen/core/tensor.hpp"

namespace zengen::metrics::detail {

/// Row-major float64 matrix: one feature vector per row.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// `features` ([N, D], float32 or float64, any device) as an N x D float64
/// matrix. Throws, naming `op` and `name`: ShapeError unless 2-d, DTypeError
/// unless floating point, ValueError on a NaN or infinite value (with its
/// row and column) or on fewer than `min_rows` rows.
Matrix feature_matrix(const Tensor& features, std::string_view op, std::string_view name, std::int64_t min_rows = 1);

/// Throws ValueError naming `op` unless a and b have the same feature size.
void require_same_dim(std::string_view op, const Matrix& a, std::string_view a_name, const Matrix& b,
                      std::string_view b_name);

}  // namespace zengen::metrics::detail
