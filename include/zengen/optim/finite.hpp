// Finiteness checks for a training step: is a loss or every gradient free of
// NaN and Inf, and what a trainer does when one is not (NonFinitePolicy).
// GAN<>::train_step and VAE<>::train_step use them before each optimizer
// step, so a bad batch or a diverging loss is caught before it reaches the
// weights.
//
//   if (auto bad = optim::first_non_finite_grad(net.named_parameters()))
//     throw ValueError("step 12: the gradient of '" + *bad + "' is not finite");
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::optim {

/// What a train_step does when a loss or a gradient holds NaN or Inf.
enum class NonFinitePolicy {
  Raise,  ///< throw ValueError naming the step and the loss or parameter
  Skip,   ///< leave that update out (weights, optimizer state and buffers unchanged) and count it
};

/// True when every element of `t` is finite (integer and bool tensors always
/// are; an undefined tensor counts as finite). Reads CUDA tensors via a copy.
bool all_finite(const Tensor& t);

/// "NaN", "Inf", "-Inf" or the number: a loss value for an error message.
std::string describe_value(double value);

/// The name of the first parameter whose gradient holds NaN or Inf, or none.
/// Parameters without a gradient are passed over.
std::optional<std::string> first_non_finite_grad(const std::vector<std::pair<std::string, Tensor>>& named_params);

}  // namespace zengen::optim
