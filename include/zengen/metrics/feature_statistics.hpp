// Streaming mean and covariance of feature vectors, in float64: features are
// added batch by batch, so the images behind 50,000 samples never sit in
// memory at once. The statistics the Fréchet distance compares.
#pragma once

#include <cstdint>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::metrics {

/// Count, mean and co-moment matrix of D-dimensional feature vectors, kept
/// in float64 and updated one batch at a time (each batch's own mean and
/// centred co-moments merged in by Chan et al.'s pairwise formula, so no
/// large sums cancel).
class FeatureStatistics {
 public:
  /// Statistics of `dim`-dimensional features, empty. Throws ValueError for dim < 1.
  explicit FeatureStatistics(std::int64_t dim);
  /// The statistics of `features` ([N, D], float32 or float64, any device).
  static FeatureStatistics of(const Tensor& features);

  /// Adds a batch of features [B, D] (float32 or float64, any device). Throws
  /// ShapeError or ValueError (a different D, a NaN or infinite value) and
  /// then leaves the statistics as they were.
  void add(const Tensor& features);
  /// Adds everything `other` has seen (the same D), as if its batches were added here.
  void merge(const FeatureStatistics& other);

  std::int64_t dim() const { return dim_; }
  /// Number of feature vectors added.
  std::int64_t count() const { return count_; }
  /// The mean [D] (float64). Throws ValueError when nothing was added.
  Tensor mean() const;
  /// The unbiased covariance [D, D] (float64, divided by count - 1). Throws
  /// ValueError with fewer than two vectors.
  Tensor covariance() const;

  /// The raw state, row-major: mean (D values) and co-moments (D x D values,
  /// the sum of outer products of centred vectors); for saving and tests.
  const std::vector<double>& mean_values() const { return mean_; }
  const std::vector<double>& comoment_values() const { return comoment_; }
  /// Statistics from a saved state (count, mean, co-moments as above).
  static FeatureStatistics from_state(std::int64_t count, std::vector<double> mean, std::vector<double> comoment);

 private:
  std::int64_t dim_;
  std::int64_t count_ = 0;
  std::vector<double> mean_;      // [D]
  std::vector<double> comoment_;  // [D, D]
};

}  // namespace zengen::metrics
