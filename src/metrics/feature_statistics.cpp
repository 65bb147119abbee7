#include "zengen/metrics/feature_statistics.hpp"

#include <string>
#include <utility>

#include "metrics/matrix.hpp"
#include "zengen/core/error.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::metrics {

using detail::Matrix;
using Vector = Eigen::Matrix<double, 1, Eigen::Dynamic>;

FeatureStatistics::FeatureStatistics(std::int64_t dim) : dim_(dim) {
  if (dim < 1) throw ValueError("FeatureStatistics: the feature size must be at least 1, got " + std::to_string(dim));
  mean_.assign(static_cast<std::size_t>(dim), 0.0);
  comoment_.assign(static_cast<std::size_t>(dim * dim), 0.0);
}

FeatureStatistics FeatureStatistics::of(const Tensor& features) {
  if (features.dim() != 2)
    throw ShapeError("FeatureStatistics::of: features must be a [samples, features] matrix, got shape " +
                     features.shape().str());
  FeatureStatistics stats(features.size(1));
  stats.add(features);
  return stats;
}

namespace {
// Chan et al.: merges (n_b, mean_b, M_b) into (n_a, mean_a, M_a) in place.
void merge_moments(std::int64_t dim, std::int64_t& n_a, std::vector<double>& mean_a, std::vector<double>& m_a,
                   std::int64_t n_b, const double* mean_b, const double* m_b) {
  if (n_b == 0) return;
  const double na = static_cast<double>(n_a), nb = static_cast<double>(n_b), n = na + nb;
  Eigen::Map<Vector> ma(mean_a.data(), dim);
  Eigen::Map<Matrix> ca(m_a.data(), dim, dim);
  const Eigen::Map<const Vector> mb(mean_b, dim);
  const Eigen::Map<const Matrix> cb(m_b, dim, dim);
  const Vector delta = mb - ma;
  ca += cb + (delta.transpose() * delta) * (na * nb / n);
  ma += delta * (nb / n);
  n_a += n_b;
}
}  // namespace

void FeatureStatistics::add(const Tensor& features) {
  const Matrix x = detail::feature_matrix(features, "FeatureStatistics::add", "features", 0);
  if (x.cols() != dim_)
    throw ValueError("FeatureStatistics::add: features have " + std::to_string(x.cols()) +
                     " values per sample, these statistics " + std::to_string(dim_));
  if (x.rows() == 0) return;
  const Vector batch_mean = x.colwise().mean();
  const Matrix centred = x.rowwise() - batch_mean;
  const Matrix batch_comoment = centred.transpose() * centred;
  merge_moments(dim_, count_, mean_, comoment_, x.rows(), batch_mean.data(), batch_comoment.data());
}

void FeatureStatistics::merge(const FeatureStatistics& other) {
  if (other.dim_ != dim_)
    throw ValueError("FeatureStatistics::merge: statistics of " + std::to_string(other.dim_) +
                     " features cannot join statistics of " + std::to_string(dim_));
  merge_moments(dim_, count_, mean_, comoment_, other.count_, other.mean_.data(), other.comoment_.data());
}

Tensor FeatureStatistics::mean() const {
  if (count_ == 0) throw ValueError("FeatureStatistics::mean: no features were added");
  return from_vector(mean_, {dim_});
}

Tensor FeatureStatistics::covariance() const {
  if (count_ < 2)
    throw ValueError("FeatureStatistics::covariance: " + std::to_string(count_) +
                     " feature vectors added, at least 2 needed");
  std::vector<double> cov = comoment_;
  for (double& v : cov) v /= static_cast<double>(count_ - 1);
  return from_vector(cov, {dim_, dim_});
}

FeatureStatistics FeatureStatistics::from_state(std::int64_t count, std::vector<double> mean,
                                                std::vector<double> comoment) {
  const auto dim = static_cast<std::int64_t>(mean.size());
  FeatureStatistics stats(dim);
  if (count < 0 || comoment.size() != static_cast<std::size_t>(dim * dim))
    throw ValueError("FeatureStatistics::from_state: count " + std::to_string(count) + ", " +
                     std::to_string(mean.size()) + " mean values and " + std::to_string(comoment.size()) +
                     " co-moments: expected a count >= 0 and D x D co-moments for D means");
  stats.count_ = count;
  stats.mean_ = std::move(mean);
  stats.comoment_ = std::move(comoment);
  return stats;
}

}  // namespace zengen::metrics
