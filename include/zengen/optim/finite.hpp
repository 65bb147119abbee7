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

#include "zengen/autograd/grad_mode.hpp"
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
/// Parameters without a gradient are passed over. Gradients on a GPU are
/// checked on the device with one value read per device (no gradient is
/// copied to the host unless one holds NaN or Inf).
std::optional<std::string> first_non_finite_grad(const std::vector<std::pair<std::string, Tensor>>& named_params);

/// The device half of that check, left on the device: a float64 scalar on
/// the device of the first gradient that is not on the CPU, 0 when every
/// such gradient is finite and NaN otherwise (undefined when all gradients
/// are on the CPU). A train step reads it with its loss in one copy
/// (read_scalars) instead of waiting for the GPU once more.
Tensor device_gradients_flag(const std::vector<std::pair<std::string, Tensor>>& named_params);
/// first_non_finite_grad when the device flag's value is known: with
/// `device_grads_finite` only the CPU's gradients are scanned.
std::optional<std::string> first_non_finite_grad(const std::vector<std::pair<std::string, Tensor>>& named_params,
                                                 bool device_grads_finite);

/// The values of some one-element tensors (undefined ones read as 0), with
/// one copy to the host per device instead of one wait per item().
std::vector<double> read_scalars(const std::vector<Tensor>& scalars);

/// Copies of the buffers (BatchNorm's running statistics) of some networks,
/// taken before an update's forward passes so that a skipped update can put
/// them back. With `policy` Raise it holds nothing: a raised step leaves the
/// buffers as they are, and the copies would only cost time.
class BufferSnapshot {
 public:
  template <typename... Nets>
  explicit BufferSnapshot(NonFinitePolicy policy, const Nets&... nets) {
    if (policy != NonFinitePolicy::Skip) return;
    NoGradGuard no_grad;
    (keep(nets), ...);
  }

  /// Writes the copies back into the buffers.
  void restore() const {
    NoGradGuard no_grad;
    for (const auto& [buffer, saved] : saved_) buffer.copy_(saved);
  }

 private:
  template <typename Net>
  void keep(const Net& net) {
    // A user's network need not have buffers (the Module concept does not ask for them).
    if constexpr (requires { net.named_buffers(); })
      for (const auto& [name, b] : net.named_buffers())
        if (b.defined()) saved_.emplace_back(b, b.clone());
  }

  std::vector<std::pair<Tensor, Tensor>> saved_;  // (buffer, its copy)
};

}  // namespace zengen::optim
