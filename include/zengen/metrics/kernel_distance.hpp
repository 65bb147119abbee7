// The kernel distance (KID, Bińkowski et al. 2018): the unbiased estimate of
// the squared maximum mean discrepancy between two feature sets under the
// cubic polynomial kernel k(x, y) = (x.y / D + 1)^3, averaged over random
// subsets as torch-fidelity and StudioGAN report it. Unbiased: its
// expectation is 0 when both sets come from one distribution, so it can be
// slightly negative. On zengen's feature networks, not Inception.
#pragma once

#include <cstdint>

#include "zengen/core/tensor.hpp"

namespace zengen::metrics {

/// How kernel_distance draws its subsets.
struct KernelDistanceOptions {
  /// Number of random subsets the estimate is averaged over.
  std::int64_t subsets = 100;
  /// Vectors drawn from each set per subset, without replacement (both sets
  /// need at least this many).
  std::int64_t subset_size = 1000;
  /// Seed of the subsets' draws (its own generator: zengen's global one is untouched).
  std::uint64_t seed = 0;
};

/// KID over the subsets: mean and spread of the unbiased MMD^2 estimates.
struct KernelDistance {
  double mean = 0;  ///< mean over the subsets of the unbiased MMD^2 estimate
  double std = 0;   ///< standard deviation over the subsets (population, as numpy's std)
  std::int64_t subsets = 0, subset_size = 0;
};

/// The unbiased MMD^2 estimate between x [M, D] and y [N, D] (M, N >= 2)
/// under the cubic polynomial kernel, on all of both sets.
double polynomial_mmd2(const Tensor& x, const Tensor& y);

/// KID between real and fake features ([N_r, D], [N_f, D]). Throws ValueError
/// naming the sizes when a set has fewer than subset_size vectors (or the
/// options are not positive), and for NaN features or different D.
KernelDistance kernel_distance(const Tensor& real, const Tensor& fake, const KernelDistanceOptions& options = {});

}  // namespace zengen::metrics
