// Activations. All are numerically stable for large |x| (sigmoid, softplus
// and log_softmax give finite, correct values at +-100 and beyond).
#pragma once

#include <cstdint>

#include "zengen/core/tensor.hpp"

namespace zengen {

Tensor relu(const Tensor& x);
/// x if x > 0 else slope * x.
Tensor leaky_relu(const Tensor& x, double slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)).
Tensor softplus(const Tensor& x);
/// x - logsumexp(x) along dim.
Tensor log_softmax(const Tensor& x, std::int64_t dim = -1);

/// leaky_relu(x + bias) in one pass, bias [x.size(dim)] added along dim: a
/// Linear's (dim -1) or a convolution's (dim 1) bias with the LeakyReLU that
/// follows (nn::Sequential runs Linear + ReLU / LeakyReLU through it). The
/// slope must be >= 0 (the backward reads the sign of x + bias from the
/// output); 0 gives relu(x + bias).
Tensor bias_leaky_relu(const Tensor& x, const Tensor& bias, double slope = 0.01, std::int64_t dim = 1);

/// The gradients of relu and leaky_relu as ops of their own, so that
/// double backward works: grad * (x > 0 ? 1 : slope).
Tensor leaky_relu_backward(const Tensor& grad, const Tensor& x, double slope);

}  // namespace zengen
