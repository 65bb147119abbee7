// Normalisation ops: batch normalisation with the batch's own statistics
// (what BatchNorm layers compute in training), as one fused op.
#pragma once

#include <optional>

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
///
/// With leaky_slope (>= 0; 0 is relu(y)) the output is leaky_relu(y, slope),
/// fused into the same passes: what BatchNorm followed by ReLU or LeakyReLU
/// computes (nn::Sequential runs that pair through it), with one pass over
/// the output fewer each way. The backward recomputes y's sign from x, so
/// an element whose y is within rounding of 0 may take either side's slope.
BatchNormOutput batch_norm_training(const Tensor& x, const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                                    double eps = 1e-5, std::optional<double> leaky_slope = std::nullopt);

}  // namespace zengen
