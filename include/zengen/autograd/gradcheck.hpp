// gradcheck: compares the analytic gradients of a function with central
// finite differences, in float64.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::autograd {

/// Tolerances and the finite-difference step for gradcheck().
struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
};

/// What gradcheck() found: ok, or a message naming the first mismatch.
struct GradcheckResult {
  bool ok = true;
  std::string message;  // the first mismatch: input, element, both values
  explicit operator bool() const { return ok; }
};

/// fn maps the inputs to one output tensor (any shape). Every input must be a
/// float64 tensor; those with requires_grad are checked. The analytic
/// Jacobian is built row by row with backward(), the numeric one by
/// perturbing each input element by +-eps.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace zengen::autograd
