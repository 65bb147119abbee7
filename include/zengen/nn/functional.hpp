// Stateless forms of the layers, composed from ops (autograd derives their
// gradients). Layers in layers.hpp call these.
#pragma once

#include <cstdint>
#include <optional>

#include "zengen/core/tensor.hpp"

namespace zengen::nn::functional {

/// x [..., in] times weight [out, in] transposed, plus bias [out] if defined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

/// Batch normalisation over every dim but 1 (channels) of x [N, C, ...].
/// In training, normalises with the batch's statistics (biased variance) and
/// updates running_mean/running_var in place when defined:
/// running = (1 - momentum) running + momentum batch (unbiased variance).
/// Otherwise normalises with the running statistics. With leaky_slope
/// (>= 0; 0 is ReLU) the result then goes through leaky_relu, fused into
/// batch_norm_training's passes in training.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5,
                  std::optional<double> leaky_slope = std::nullopt);

/// Zeroes elements with probability p in training and scales the rest by
/// 1 / (1 - p); the identity otherwise.
Tensor dropout(const Tensor& x, double p, bool training);

/// Nearest-neighbour upsampling of [N, C, H, W] by an integer factor.
Tensor upsample_nearest(const Tensor& x, std::int64_t scale);

/// Rows of weight [num, dim] at int64 indices of any shape -> [..., dim].
Tensor embedding(const Tensor& indices, const Tensor& weight);

}  // namespace zengen::nn::functional
