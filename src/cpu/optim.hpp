// Internal: fused CPU kernels of the optimizers and gradient clipping. Each
// update reads and writes parameter, gradient and state in one pass; the
// operands share the parameter's shape and dtype, may be strided (the
// gradient may even be broadcast, stride 0), and the state buffers are
// contiguous. The per-element math is in src/kernels/optim_functors.hpp.
#pragma once

#include "cpu/isa.hpp"

#include "zengen/core/tensor.hpp"
#include "kernels/optim_functors.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// p (and momentum_buffer, when defined) updated in place from grad.
/// `first`: the parameter's first step (the buffer is set to d).
void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first);

/// p, exp_avg, exp_avg_sq (and max_exp_avg_sq, when defined: AMSGrad)
/// updated in place from grad.
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars);

/// sum |g|^p over the elements (in double), or max |g| when p is infinite.
double abs_pow_sum(const Tensor& g, double p);

/// g *= coef in place (g has no overlapping elements).
void scale_in_place(const Tensor& g, double coef);
/// g = clamp(g, -clip, clip) in place (g has no overlapping elements).
void clamp_in_place(const Tensor& g, double clip);

/// The plain loops the fused kernels are tested against: one element at a
/// time, by index, on one thread, through the same functors.
namespace reference {
void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first);
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars);
}  // namespace reference

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
