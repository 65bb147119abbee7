// CUDA batch normalisation with the batch's own statistics
// (cuda/normalization.cu), the device side of zengen::batch_norm_training.
// x is viewed as [N, C, S] (S the product of the dims after the channels);
// every operand is contiguous (src/ops/normalization.cpp makes them so).
// Same contracts and arithmetic as cpu::batch_norm_forward / backward: the
// statistics are sums in double of values shifted by the channel's first
// one, so E[x^2] - E[x]^2 does not cancel when |mean| >> std; each channel
// is reduced by one block in a fixed order (the result does not depend on
// the run). Plain C++: no CUDA header.
#pragma once

#include <optional>

#include "tensor_ref.hpp"

namespace zengen::cuda {

/// mean [C], var [C] (biased), invstd [C] = 1 / sqrt(var + eps) of x over N
/// and S, and y = (x - mean) invstd weight + bias (weight, bias [C] may be
/// undefined: 1 and 0), then leaky_relu(y, slope) when leaky_slope (>= 0)
/// is set. Two kernels: one block per channel for the statistics, one
/// element-wise pass for y.
void batch_norm_forward(const TensorRef& y, const TensorRef& mean, const TensorRef& var, const TensorRef& invstd,
                        const TensorRef& x, const TensorRef& weight, const TensorRef& bias, double eps,
                        std::optional<double> leaky_slope = std::nullopt);

/// The gradients from grad_y, each written only when defined:
///   grad_bias [C] = sum grad_y, grad_weight [C] = sum grad_y (x - mean) invstd,
///   grad_x = weight invstd (grad_y - grad_bias / M - (x - mean) invstd grad_weight / M).
/// One block per channel for the sums, one element-wise pass for grad_x.
/// With leaky_slope, grad_y is the activated output's gradient: each element
/// first becomes grad_y (pre > 0 ? 1 : slope), pre recomputed from x, the
/// statistics, weight and bias.
void batch_norm_backward(const TensorRef& grad_x, const TensorRef& grad_weight, const TensorRef& grad_bias,
                         const TensorRef& grad_y, const TensorRef& x, const TensorRef& weight, const TensorRef& bias,
                         const TensorRef& mean, const TensorRef& invstd,
                         std::optional<double> leaky_slope = std::nullopt);

}  // namespace zengen::cuda
