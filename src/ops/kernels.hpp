// Internal: the ops' door to the kernels of a tensor's device.
//
// Each function has the signature of its CPU kernel (src/cpu/*.hpp): with
// the output on the CPU it calls that kernel; with the output on a CUDA
// device it turns the tensors into cuda::TensorRef (pointer, dtype, device,
// sizes, strides) and calls the CUDA launcher of cuda/<family>.hpp through
// the CUDA module's table (cuda/backend.hpp, loaded by src/core/cuda_module),
// which validates them and launches on the device's stream. Operands on
// another device than the output are a DeviceError naming the op. Without
// the module no CUDA tensor can exist. src/ops/kernels.cpp and
// src/ops/conv.cpp are the only ops files that use the launchers' table.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cpu/activation.hpp"
#include "cpu/elementwise.hpp"
#include "cpu/loss.hpp"
#include "zengen/core/tensor.hpp"
#include "kernels/optim_functors.hpp"

namespace zengen::kernels {

// ---- copies and fills (any dtype; src broadcast to dst) ----
void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, double value);

// ---- element-wise ----
void binary(cpu::BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
void unary(cpu::UnaryOp op, const Tensor& out, const Tensor& x);
void scalar(cpu::ScalarOp op, const Tensor& out, const Tensor& x, double s);
void pow(const Tensor& out, const Tensor& x, double exponent);
void clamp(const Tensor& out, const Tensor& x, double low, double high);
void compare(cpu::CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
void activation(cpu::Activation kind, const Tensor& out, const Tensor& x);
void leaky_relu(const Tensor& out, const Tensor& x, double slope);
void leaky_relu_backward(const Tensor& out, const Tensor& grad, const Tensor& x, double slope);
/// out (contiguous) = leaky_relu(x + bias along dim); x made contiguous here.
void bias_leaky_relu(const Tensor& out, const Tensor& x, const Tensor& bias, std::int64_t dim, double slope);
void sigmoid_backward(const Tensor& out, const Tensor& grad, const Tensor& y);
void tanh_backward(const Tensor& out, const Tensor& grad, const Tensor& y);
/// log_softmax along dim into a contiguous out; x may be strided.
void log_softmax(const Tensor& out, const Tensor& x, std::int64_t dim);
/// out (contiguous) = grad - exp(y) * sum(grad along dim); grad may be strided.
void log_softmax_backward(const Tensor& out, const Tensor& grad, const Tensor& y, std::int64_t dim);

// ---- reductions ----
void sum(const Tensor& out, const Tensor& x, const std::vector<bool>& reduce);
void max(const Tensor& values, const Tensor& indices, const Tensor& x, std::int64_t dim);

// ---- matmul ----
void matmul(const Tensor& out, const Tensor& a, const Tensor& b);

// ---- losses on CUDA (the CPU path keeps calling src/cpu/loss.hpp) ----
/// out: the input's shape (terms) or one element (reduce: scale * sum).
void cuda_pointwise_loss(cpu::PointwiseLoss kind, const Tensor& out, const Tensor& x, const Tensor& t,
                         const Tensor& w, bool reduce, double scale);
/// grad_out: one element or one per input element (contiguous).
void cuda_pointwise_loss_backward(cpu::PointwiseLoss kind, const Tensor& gx, const Tensor& gt, const Tensor& grad_out,
                                  double scale, const Tensor& x, const Tensor& t, const Tensor& w);
void cuda_gaussian_kl(const Tensor& out, const Tensor& mu, const Tensor& logvar, bool reduce, double scale);
void cuda_gaussian_kl_backward(const Tensor& gmu, const Tensor& glv, const Tensor& grad_out, double scale,
                               const Tensor& mu, const Tensor& logvar);
/// lse [N] and out ([N], or one element = scale * sum when reduce).
void cuda_cross_entropy(const Tensor& out, const Tensor& lse, const Tensor& logits, const Tensor& target, bool reduce,
                        double scale);
void cuda_cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_out, double scale,
                                 const Tensor& logits, const Tensor& target, const Tensor& lse);

// ---- indexing: contiguous tensors, indices checked and wrapped (see cpu/index.hpp) ----
void index_select(const Tensor& out, const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& idx);
void index_add_(const Tensor& out, std::int64_t dim, const std::vector<std::int64_t>& idx, const Tensor& source);

// ---- batch normalisation on CUDA (the CPU path calls src/cpu/normalization.hpp) ----
void cuda_batch_norm_forward(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& invstd,
                             const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                             std::optional<double> leaky_slope);
void cuda_batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& gy, const Tensor& x,
                              const Tensor& weight, const Tensor& bias, const Tensor& mean, const Tensor& invstd,
                              std::optional<double> leaky_slope);

// ---- random (contiguous floating out) ----
void fill_uniform(const Tensor& out, std::uint64_t seed, std::uint64_t block, double low, double high);
void fill_normal(const Tensor& out, std::uint64_t seed, std::uint64_t block, double mean, double std);
void fill_randint(const Tensor& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high);
void fill_bernoulli(const Tensor& out, const Tensor& p, std::uint64_t seed, std::uint64_t block);
void fill_bernoulli(const Tensor& out, double p, std::uint64_t seed, std::uint64_t block);

// ---- optimizers ----
void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first);
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars);
double abs_pow_sum(const Tensor& g, double p);
void scale_in_place(const Tensor& g, double coef);
void clamp_in_place(const Tensor& g, double clip);

}  // namespace zengen::kernels
