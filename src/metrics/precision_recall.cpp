#include "zengen/metrics/precision_recall.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "metrics/matrix.hpp"
#include "zengen/core/error.hpp"

namespace zengen::metrics {

using detail::Matrix;

namespace {

constexpr std::int64_t kBlock = 256;  // rows per block of the distance matrix

// Squared distances between rows [begin, begin + rows) of a and every row of
// b, by |a|^2 + |b|^2 - 2 a.b (one matrix product per block), clamped at 0.
Matrix squared_distances(const Matrix& a, std::int64_t begin, std::int64_t rows, const Matrix& b,
                         const Eigen::VectorXd& a_norms, const Eigen::VectorXd& b_norms) {
  Matrix d = -2.0 * (a.middleRows(begin, rows) * b.transpose());
  d.colwise() += a_norms.segment(begin, rows);
  d.rowwise() += b_norms.transpose();
  return d.cwiseMax(0.0);
}

// For each row of x, the squared distance to its k-th nearest other row
// (the row itself, at distance 0, is the 0-th).
Eigen::VectorXd kth_neighbour_radii(const Matrix& x, const Eigen::VectorXd& norms, std::int64_t k) {
  Eigen::VectorXd radii(x.rows());
  std::vector<double> row;
  for (std::int64_t begin = 0; begin < x.rows(); begin += kBlock) {
    const std::int64_t rows = std::min(kBlock, x.rows() - begin);
    const Matrix d = squared_distances(x, begin, rows, x, norms, norms);
    for (std::int64_t i = 0; i < rows; ++i) {
      row.assign(d.row(i).data(), d.row(i).data() + d.cols());
      row[static_cast<std::size_t>(begin + i)] = 0.0;  // itself, exactly
      std::nth_element(row.begin(), row.begin() + k, row.end());
      radii(begin + i) = row[static_cast<std::size_t>(k)];
    }
  }
  return radii;
}

// The fraction of rows of `query` inside some ball (centre row of `ref`,
// squared radius `radii`). The slack covers the rounding of the expanded
// distance formula, so a vector repeated in both sets is always inside.
double fraction_inside(const Matrix& query, const Eigen::VectorXd& query_norms, const Matrix& ref,
                       const Eigen::VectorXd& ref_norms, const Eigen::VectorXd& radii) {
  std::int64_t inside = 0;
  for (std::int64_t begin = 0; begin < query.rows(); begin += kBlock) {
    const std::int64_t rows = std::min(kBlock, query.rows() - begin);
    const Matrix d = squared_distances(query, begin, rows, ref, query_norms, ref_norms);
    for (std::int64_t i = 0; i < rows; ++i) {
      const double slack = 1e-12 * query_norms(begin + i);
      for (std::int64_t j = 0; j < d.cols(); ++j)
        if (d(i, j) <= radii(j) + slack + 1e-12 * ref_norms(j)) {
          ++inside;
          break;
        }
    }
  }
  return static_cast<double>(inside) / static_cast<double>(query.rows());
}

}  // namespace

PrecisionRecall precision_recall(const Tensor& real, const Tensor& fake, std::int64_t k) {
  constexpr const char* kOp = "precision_recall";
  if (k < 1) throw ValueError(std::string(kOp) + ": k must be at least 1, got " + std::to_string(k));
  const Matrix r = detail::feature_matrix(real, kOp, "real", k + 1);
  const Matrix f = detail::feature_matrix(fake, kOp, "fake", k + 1);
  detail::require_same_dim(kOp, r, "real", f, "fake");
  const Eigen::VectorXd r_norms = r.rowwise().squaredNorm(), f_norms = f.rowwise().squaredNorm();
  const Eigen::VectorXd r_radii = kth_neighbour_radii(r, r_norms, k);
  const Eigen::VectorXd f_radii = kth_neighbour_radii(f, f_norms, k);
  return {.precision = fraction_inside(f, f_norms, r, r_norms, r_radii),
          .recall = fraction_inside(r, r_norms, f, f_norms, f_radii),
          .k = k};
}

}  // namespace zengen::metrics
