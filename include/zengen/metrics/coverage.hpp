// Coverage of known modes and classes: the mode-collapse checks of
// low-dimensional toy data (the ring of 8 Gaussians of Metz et al.'s unrolled
// GANs, VEEGAN, PacGAN) and the classifier agreement of conditional models.
#pragma once

#include <cstdint>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::metrics {

/// What mode_coverage found: samples per mode, modes covered, high-quality fraction.
struct ModeCoverage {
  /// Per mode, the high-quality samples that belong to it.
  std::vector<std::int64_t> per_mode;
  /// Modes with at least min_fraction of all samples.
  std::int64_t covered = 0;
  /// Fraction of samples within `radius` of their nearest mode's centre.
  double high_quality = 0;
  std::int64_t samples = 0;
};

/// Assigns each sample [N, d] to its nearest centre [K, d]; a sample is of
/// high quality when that centre is within `radius` (e.g. 3 standard
/// deviations of the mode), and a mode is covered when at least
/// `min_fraction` of the N samples are high-quality samples of it. Throws
/// ShapeError/ValueError for sizes that disagree, no samples or centres,
/// a radius <= 0 or a fraction outside (0, 1].
ModeCoverage mode_coverage(const Tensor& samples, const Tensor& centres, double radius, double min_fraction = 0.01);

/// What classifier_agreement found: overall and per-class agreement, confusion counts.
struct ClassAgreement {
  std::int64_t classes = 0;
  /// Fraction of samples the classifier assigns to the class they were generated for.
  double agreement = 0;
  /// Per conditioned class: samples, and those the classifier agreed on.
  std::vector<std::int64_t> per_class_samples, per_class_agreed;
  /// classes x classes counts, row = conditioned class, column = predicted class.
  std::vector<std::int64_t> confusion;
  /// Agreement within one conditioned class (0 when it had no samples).
  double class_agreement(std::int64_t c) const;
};

/// How often a classifier recognises the class a conditional model was asked
/// for: `predicted` is [N] class indices or [N, classes] logits/scores
/// (argmax), `conditioned` the [N] requested classes, each in [0, classes).
/// Throws naming the op, the shapes and any index out of range.
ClassAgreement classifier_agreement(const Tensor& predicted, const Tensor& conditioned, std::int64_t classes);

}  // namespace zengen::metrics
