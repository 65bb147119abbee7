// Normalisation ops: batch normalisation with the batch's own statistics
// (what BatchNorm layers compute in training), as one fused op.
#pragma once

#include "zengen/core/tensor.hpp"

namespace zengen {

/// The result of batch_norm_training: the normalised output, and the
/// batch's per-channel statistics for running averages.
struct BatchNormOutput {
  Tensor output;  ///< x's shape, differentiable w.r.t. x, weight and bias
  Tensor mean;    ///< [C], not differentiable
  Tensor var;     ///< [C], the biased variance, not differentiable
};

/// Batch normalisation of x [N, C, ...] over every dim but 1 with the
/// batch's statistics: y = (x - mean_c) / sqrt(var_c + eps) weight_c + bias_c
/// (biased variance; weight and bias [C] optional: 1 and 0). Float32 or
/// float64; needs more than one value per channel. On the CPU one fused
/// pass computes the statistics and one writes y, and the gradient is two
/// fused passes; with create_graph the gradient is written with ops, so it
/// can be differentiated again.
BatchNormOutput batch_norm_training(const Tensor& x, const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                                    double eps = 1e-5);

}  // namespace zengen
