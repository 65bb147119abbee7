// Gradient clipping, in place on the parameters' gradients (parameters
// without a gradient are skipped), as torch.nn.utils.clip_grad_*_.
#pragma once

#include <vector>

#include "zengen/core/tensor.hpp"

namespace zengen::optim {

/// Scales every gradient by max_norm / (total_norm + 1e-6) when that is
/// below 1, total_norm being the norm of all gradients together, as if
/// concatenated: (sum |g|^p)^(1/p), or max |g| for norm_type = infinity.
/// Returns total_norm (before clipping). norm_type must be > 0 or infinity;
/// error_if_nonfinite throws ValueError when the norm is NaN or infinite.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Limits every gradient element to [-clip, clip] (clip >= 0).
void clip_grad_value_(const std::vector<Tensor>& params, double clip);

}  // namespace zengen::optim
