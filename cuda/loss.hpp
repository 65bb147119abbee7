// CUDA loss launchers (cuda/loss.cu): each loss's forward is one pass over
// its operands (per-element terms through the shared functors of
// src/kernels/loss_functors.hpp, summed by the deterministic block reduction
// of cuda/reduce.cuh), and each backward one element-wise pass. Every
// operand is contiguous with the input's shape (src/ops/loss.cpp makes them
// so); the result of a reduction stays on the device (no host sync).
// Plain C++: no CUDA header.
#pragma once

#include "kernels/op_kinds.hpp"
#include "tensor_ref.hpp"

namespace zengen::cuda {

using kernels::PointwiseLoss;  // src/kernels/op_kinds.hpp, the CPU kernels' too

/// With `reduce`, out (one element) = scale * sum_i w_i * term(x_i, t_i);
/// otherwise out (input's shape) holds the weighted terms. `w` may be
/// undefined (no data: weight 1). For BCE an input outside [0, 1] gives a
/// NaN term (the CPU raises an error; checking here would need a host sync).
void pointwise_loss(PointwiseLoss kind, const TensorRef& out, const TensorRef& x, const TensorRef& t,
                    const TensorRef& w, bool reduce, double scale);
/// grad_x / grad_t (each may be undefined) = c_i * w_i * d term / d x (t),
/// c_i = scale * g_i, where grad_out holds one g for every element or a
/// single g for all.
void pointwise_loss_backward(PointwiseLoss kind, const TensorRef& grad_x, const TensorRef& grad_t,
                             const TensorRef& grad_out, double scale, const TensorRef& x, const TensorRef& t,
                             const TensorRef& w);

/// KL(N(mu, exp(logvar)) || N(0, 1)) summed over the last dim: out [rows]
/// (no reduce) or one element = scale * the sum over everything (reduce).
void gaussian_kl(const TensorRef& out, const TensorRef& mu, const TensorRef& logvar, bool reduce, double scale);
/// grad_mu / grad_logvar (each may be undefined) from c_r = scale * g_r,
/// grad_out holding one g per row or a single g.
void gaussian_kl_backward(const TensorRef& grad_mu, const TensorRef& grad_logvar, const TensorRef& grad_out,
                          double scale, const TensorRef& mu, const TensorRef& logvar);

/// Cross-entropy of logits [N, K] with int64 class targets [N] (in [0, K):
/// src/ops/loss.cpp checks them). One block per row: its max, the sum of
/// exp(x - max), lse [N] = the row's log-sum-exp, and the row's loss
/// lse - x[target]; out holds the N losses (no reduce) or one value = scale
/// * their sum (reduce, by the deterministic reduction).
void cross_entropy(const TensorRef& out, const TensorRef& lse, const TensorRef& logits, const TensorRef& target,
                   bool reduce, double scale);
/// grad_logits [N, K] = c_r (exp(x - lse[r]) - [k == target[r]]) in one
/// element-wise pass, c_r = scale * g_r with grad_out holding one g per row
/// or a single g.
void cross_entropy_backward(const TensorRef& grad_logits, const TensorRef& grad_out, double scale,
                            const TensorRef& logits, const TensorRef& target, const TensorRef& lse);

}  // namespace zengen::cuda
