#include "zengen/metrics/frechet.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "metrics/matrix.hpp"
#include "zengen/core/error.hpp"

namespace zengen::metrics {

using detail::Matrix;

namespace {

constexpr const char* kOp = "frechet_distance";

Matrix checked_matrix(const Tensor& t, const char* name, std::int64_t rows, std::int64_t cols) {
  if (t.dim() != (cols == 0 ? 1 : 2))
    throw ShapeError(std::string(kOp) + ": " + name + " must be " + (cols == 0 ? "a vector [D]" : "a matrix [D, D]") +
                     ", got shape " + t.shape().str());
  const Tensor as_matrix = cols == 0 ? t.reshape({1, t.size(0)}) : t;
  Matrix m = detail::feature_matrix(as_matrix, kOp, name);
  if (rows >= 0 && (m.cols() != rows || (cols != 0 && m.rows() != rows)))
    throw ShapeError(std::string(kOp) + ": " + name + " has shape " + t.shape().str() + ", expected " +
                     (cols == 0 ? "[" + std::to_string(rows) + "]"
                                : "[" + std::to_string(rows) + ", " + std::to_string(rows) + "]"));
  return m;
}

void require_symmetric(const Matrix& cov, const char* name) {
  const double scale = std::max(1.0, cov.cwiseAbs().maxCoeff());
  const double asymmetry = (cov - cov.transpose()).cwiseAbs().maxCoeff();
  if (asymmetry > 1e-6 * scale)
    throw ValueError(std::string(kOp) + ": " + name + " is not symmetric (largest |S - S^T| = " +
                     std::to_string(asymmetry) + "): expected a covariance matrix");
}

// tr (S1 S2)^(1/2) = sum of sqrt(eigenvalues of S1^(1/2) S2 S1^(1/2)), a
// symmetric positive semi-definite matrix.
double trace_sqrt_product(const Matrix& s1, const Matrix& s2) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e1(Eigen::MatrixXd(s1), Eigen::ComputeEigenvectors);
  const Eigen::VectorXd root_values = e1.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  const Eigen::MatrixXd root_1 = e1.eigenvectors() * root_values.asDiagonal() * e1.eigenvectors().transpose();
  Eigen::MatrixXd inner = root_1 * s2 * root_1;
  inner = (inner + inner.transpose()) * 0.5;  // symmetric up to rounding
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> e2(inner, Eigen::EigenvaluesOnly);
  return e2.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
}

double frechet(const Matrix& mu1, const Matrix& s1, const Matrix& mu2, const Matrix& s2) {
  const double mean_term = (mu1 - mu2).squaredNorm();
  return mean_term + s1.trace() + s2.trace() - 2.0 * trace_sqrt_product(s1, s2);
}

}  // namespace

double frechet_distance(const Tensor& mean_1, const Tensor& cov_1, const Tensor& mean_2, const Tensor& cov_2) {
  const Matrix mu1 = checked_matrix(mean_1, "mean_1", -1, 0);
  const std::int64_t d = mu1.cols();
  const Matrix s1 = checked_matrix(cov_1, "cov_1", d, d);
  const Matrix mu2 = checked_matrix(mean_2, "mean_2", d, 0);
  const Matrix s2 = checked_matrix(cov_2, "cov_2", d, d);
  require_symmetric(s1, "cov_1");
  require_symmetric(s2, "cov_2");
  return frechet(mu1, s1, mu2, s2);
}

double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b) {
  if (a.dim() != b.dim())
    throw ValueError(std::string(kOp) + ": the first set has " + std::to_string(a.dim()) +
                     " features per sample, the second " + std::to_string(b.dim()) +
                     ": both must come from the same feature network");
  for (const auto* s : {&a, &b})
    if (s->count() <= s->dim())
      throw ValueError(std::string(kOp) + ": " + (s == &a ? "the first" : "the second") + " set has " +
                       std::to_string(s->count()) + " samples of " + std::to_string(s->dim()) +
                       " features: a covariance needs more samples than dimensions (at least " +
                       std::to_string(s->dim() + 1) + ")");
  return frechet_distance(a.mean(), a.covariance(), b.mean(), b.covariance());
}

double frechet_distance(const Tensor& features_1, const Tensor& features_2) {
  if (features_1.dim() != 2 || features_2.dim() != 2)
    throw ShapeError(std::string(kOp) + ": features must be [samples, features] matrices, got shapes " +
                     features_1.shape().str() + " and " + features_2.shape().str());
  return frechet_distance(FeatureStatistics::of(features_1), FeatureStatistics::of(features_2));
}

}  // namespace zengen::metrics
