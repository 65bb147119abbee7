// Losses as ops. Each reduces per `reduction`: the mean over all elements
// (the default), the sum, or none (the element-wise losses, input's shape).
#pragma once

#include "zengen/core/tensor.hpp"

namespace zengen {

enum class Reduction { Mean, Sum, None };

/// -(t log p + (1 - t) log(1 - p)), p probabilities in [0, 1]; each log is
/// clamped at -100 as PyTorch does, so p = 0 or 1 gives finite values.
/// target has input's shape; weight (optional) broadcasts to it.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                            const Tensor& weight = Tensor());
/// The same on logits x, computed stably as max(x, 0) - x t + log(1 + exp(-|x|))
/// (finite and exact for |x| of 1000 and more).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction = Reduction::Mean, const Tensor& weight = Tensor());
/// (input - target)^2
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// |input - target|
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
/// KL(N(mu, exp(logvar)) || N(0, 1)) = -0.5 sum_j (1 + logvar - mu^2 - exp(logvar)), summed over
/// the last dim (the latent dims) of [N, D] inputs: None gives [N], Mean the mean over N, Sum the sum.
Tensor gaussian_kl(const Tensor& mu, const Tensor& logvar, Reduction reduction = Reduction::Mean);
/// -log_softmax(logits)[target] for logits [N, K] and int64 targets [N] in [0, K).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction = Reduction::Mean);

}  // namespace zengen
