// CUDA optimizer updates (cuda/optim.cu): one fused pass over parameter,
// gradient and state per parameter, on the shared functors of
// src/kernels/optim_functors.hpp (compiled with --fmad=false so each operation
// rounds on its own, as on the CPU). Every operand is contiguous with the
// parameter's shape and dtype. Plain C++: no CUDA header.
#pragma once

#include "tensor_ref.hpp"
#include "kernels/optim_functors.hpp"

namespace zengen::cuda {

/// param (and momentum_buffer, when it has data) updated in place.
void sgd_update(const TensorRef& param, const TensorRef& grad, const TensorRef& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first);
/// param, exp_avg, exp_avg_sq (and max_exp_avg_sq when it has data: AMSGrad).
void adam_update(const TensorRef& param, const TensorRef& grad, const TensorRef& exp_avg, const TensorRef& exp_avg_sq,
                 const TensorRef& max_exp_avg_sq, const optim::functors::AdamScalars& scalars);

/// sum |g|^p over a contiguous g (or max |g| when p is infinite); waits for
/// the device (the host needs the number).
double abs_pow_sum(const TensorRef& g, double p);
/// g *= coef / g = clamp(g, -clip, clip), in place, g contiguous.
void scale_in_place(const TensorRef& g, double coef);
void clamp_in_place(const TensorRef& g, double clip);

}  // namespace zengen::cuda
