// The Fréchet distance between two sets of feature vectors (FID's formula,
// Heusel et al. 2017), each summarised by the mean and covariance of a
// Gaussian:
//
//   d^2 = |mu_1 - mu_2|^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))
//
// computed in float64. tr (S_1 S_2)^(1/2) is taken on the symmetric form
// tr (S_1^(1/2) S_2 S_1^(1/2))^(1/2) (the same eigenvalues), through Eigen's
// self-adjoint eigensolver, with eigenvalues below zero (rounding) clamped to
// zero. On zengen's own feature networks (zengen::metrics feature nets), not
// Inception: the figures are not comparable with published FIDs.
#pragma once

#include "zengen/core/tensor.hpp"
#include "zengen/metrics/feature_statistics.hpp"

namespace zengen::metrics {

/// The Fréchet distance d^2 between N(mean_1, cov_1) and N(mean_2, cov_2):
/// means [D], covariances [D, D] (symmetric positive semi-definite; float32
/// or float64). Throws ShapeError or ValueError (sizes that disagree, a
/// non-finite value, an asymmetric covariance).
double frechet_distance(const Tensor& mean_1, const Tensor& cov_1, const Tensor& mean_2, const Tensor& cov_2);
/// The Fréchet distance between the Gaussians two feature sets were summarised by.
/// Each needs more vectors than dimensions (else its covariance is singular
/// and the distance means little): ValueError otherwise, naming both sizes.
double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b);
/// The Fréchet distance between the features of two sets ([N_1, D], [N_2, D]).
double frechet_distance(const Tensor& features_1, const Tensor& features_2);

}  // namespace zengen::metrics
