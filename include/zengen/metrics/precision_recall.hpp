// Improved precision and recall (Kynkäänniemi et al. 2019): each set's
// manifold is the union of balls around its vectors, each ball's radius the
// distance to that vector's k-th nearest neighbour in its own set.
// Precision: the fraction of fake vectors inside the real manifold (are the
// samples realistic?). Recall: the fraction of real vectors inside the fake
// manifold (is the data's variety covered?). Exact k-NN, blocked so memory
// stays O(block x N). On zengen's feature networks, not VGG/Inception.
#pragma once

#include <cstdint>

#include "zengen/core/tensor.hpp"

namespace zengen::metrics {

/// Improved precision and recall, and the k that defined the manifolds.
struct PrecisionRecall {
  double precision = 0;
  double recall = 0;
  std::int64_t k = 0;  ///< the neighbourhood size used
};

/// Precision and recall of `fake` [N_f, D] against `real` [N_r, D], with
/// k-th-nearest-neighbour radii (k = 3 as the paper). Both sets need more
/// than k vectors. Throws ValueError naming sizes, D or the non-finite value.
PrecisionRecall precision_recall(const Tensor& real, const Tensor& fake, std::int64_t k = 3);

}  // namespace zengen::metrics
