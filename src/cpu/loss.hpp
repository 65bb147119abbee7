// Internal: fused CPU kernels of the losses (forward and backward each in one
// pass over their operands). The per-element math is in
// src/kernels/loss_functors.hpp. Kernels trust their arguments: every
// tensor is contiguous, on the CPU, of one floating dtype (targets of
// cross_entropy: int64, in range), with the shapes documented below; the
// checks live in src/ops/loss.cpp. Sums are accumulated in double, over fixed
// blocks combined in order, so results do not depend on the thread count.
#pragma once

#include "cpu/isa.hpp"

#include <cstdint>

#include "kernels/op_kinds.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::cpu {

using kernels::PointwiseLoss;  // src/kernels/op_kinds.hpp, the CUDA launchers' too

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// The weighted terms w * loss(input, target) of an element-wise loss.
/// `target` and (when defined) `weight` have input's shape. When `out` is
/// defined (reduction None, input's shape) the terms are written there and 0
/// is returned; otherwise nothing is written and their sum is returned.
/// For BCE, `*bad` receives the first flat index whose input is not in
/// [0, 1] (NaN included), or -1; the values are then meaningless.
double pointwise_loss(PointwiseLoss kind, const Tensor& out, const Tensor& input, const Tensor& target,
                      const Tensor& weight, std::int64_t* bad = nullptr);

/// grad_input = c * w * d loss / d input and grad_target = c * w * d loss / d
/// target, each written only when defined (input's shape). c is
/// scale * grad_out[i] when grad_out is defined (input's shape), else scale.
void pointwise_loss_backward(PointwiseLoss kind, const Tensor& grad_input, const Tensor& grad_target,
                             const Tensor& grad_out, double scale, const Tensor& input, const Tensor& target,
                             const Tensor& weight);

/// KL terms of mu and logvar seen as [rows, D] (D = the last dim): with `out`
/// defined ([rows]) each row's sum is written there and 0 returned; otherwise
/// the sum over everything is returned.
double gaussian_kl(const Tensor& out, const Tensor& mu, const Tensor& logvar);

/// grad_mu, grad_logvar (when defined; mu's shape) from c_r = scale *
/// grad_out[r] (grad_out defined, [rows]) or c = scale.
void gaussian_kl_backward(const Tensor& grad_mu, const Tensor& grad_logvar, const Tensor& grad_out, double scale,
                          const Tensor& mu, const Tensor& logvar);

/// Cross-entropy of logits [N, K] with int64 targets [N] in [0, K): writes
/// each row's log-sum-exp to lse ([N]); with `out` defined ([N]) writes each
/// row's loss there and returns 0, otherwise returns the sum of the losses.
double cross_entropy(const Tensor& out, const Tensor& lse, const Tensor& logits, const Tensor& target);

/// grad_logits [N, K] = c_r * (softmax(logits) - onehot(target)) from the
/// forward's lse, with c_r = scale * grad_out[r] (grad_out defined, [N]) or c = scale.
void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_out, double scale, const Tensor& logits,
                            const Tensor& target, const Tensor& lse);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
