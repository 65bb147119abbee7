#include "metrics/matrix.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "zengen/core/error.hpp"

namespace zengen::metrics::detail {

Matrix feature_matrix(const Tensor& features, std::string_view op, std::string_view name, std::int64_t min_rows) {
  const std::string where = std::string(op) + ": " + std::string(name);
  if (features.dim() != 2)
    throw ShapeError(where + " must be a [samples, features] matrix, got shape " + features.shape().str());
  if (!is_floating(features.dtype()))
    throw DTypeError(where + " must be float32 or float64, got " + std::string(dtype_name(features.dtype())));
  const std::int64_t rows = features.size(0), cols = features.size(1);
  if (rows < min_rows)
    throw ValueError(where + " has " + std::to_string(rows) + " samples, at least " + std::to_string(min_rows) +
                     " needed");
  if (cols < 1) throw ValueError(where + " has no features (shape " + features.shape().str() + ")");
  const std::vector<double> values = features.to(Device::cpu()).to_vector<double>();
  Matrix m(rows, cols);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) {
      const double v = values[static_cast<std::size_t>(i * cols + j)];
      if (!std::isfinite(v))
        throw ValueError(where + " has a non-finite value (" + std::to_string(v) + ") at [" + std::to_string(i) +
                         ", " + std::to_string(j) + "]");
      m(i, j) = v;
    }
  return m;
}

void require_same_dim(std::string_view op, const Matrix& a, std::string_view a_name, const Matrix& b,
                      std::string_view b_name) {
  if (a.cols() != b.cols())
    throw ValueError(std::string(op) + ": " + std::string(a_name) + " has " + std::to_string(a.cols()) +
                     " features per sample, " + std::string(b_name) + " has " + std::to_string(b.cols()) +
                     ": both must come from the same feature network");
}

}  // namespace zengen::metrics::detail
