// Internal: every CPU kernel entry point, once, and the table of one ISA
// level's kernels (see cpu/isa.hpp).
//
// ZENGEN_CPU_KERNELS(X) calls X(return type, name, table member, (parameters),
// (arguments)) for each function that src/cpu/*.hpp declares; from it
// src/cpu/kernel_table.cpp fills each level's KernelTable and
// src/cpu/dispatch/dispatch.cpp writes the forwarding functions. A kernel
// added to a header and not here fails to link (its dispatch version is
// missing), so the list cannot fall behind.
#pragma once

#include "cpu/activation.hpp"
#include "cpu/conv.hpp"
#include "cpu/copy.hpp"
#include "cpu/elementwise.hpp"
#include "cpu/gemm.hpp"
#include "cpu/index.hpp"
#include "cpu/loss.hpp"
#include "cpu/matmul.hpp"
#include "cpu/normalization.hpp"
#include "cpu/optim.hpp"
#include "cpu/random.hpp"
#include "cpu/reduction.hpp"
#include "cpu/vecmath.hpp"

// clang-format off
#define ZENGEN_CPU_KERNELS(X)                                                                                   \
  /* copy.hpp */                                                                                                \
  X(void, copy, copy, (const Tensor& dst, const Tensor& src), (dst, src))                                       \
  X(void, fill, fill, (const Tensor& dst, double value), (dst, value))                                          \
  /* elementwise.hpp */                                                                                         \
  X(void, binary, binary, (BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b), (op, out, a, b)) \
  X(void, unary, unary, (UnaryOp op, const Tensor& out, const Tensor& x), (op, out, x))                         \
  X(void, scalar, scalar, (ScalarOp op, const Tensor& out, const Tensor& x, double s), (op, out, x, s))         \
  X(void, pow, pow, (const Tensor& out, const Tensor& x, double exponent), (out, x, exponent))                  \
  X(void, clamp, clamp, (const Tensor& out, const Tensor& x, double low, double high), (out, x, low, high))     \
  X(void, compare, compare, (CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b),                \
    (op, out, a, b))                                                                                            \
  X(void, where, where, (const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b),              \
    (out, cond, a, b))                                                                                          \
  /* activation.hpp */                                                                                          \
  X(void, activation, activation, (Activation kind, const Tensor& out, const Tensor& x), (kind, out, x))        \
  X(void, leaky_relu, leaky_relu, (const Tensor& out, const Tensor& x, double slope), (out, x, slope))          \
  X(void, bias_leaky_relu, bias_leaky_relu,                                                                     \
    (const Tensor& out, const Tensor& x, const Tensor& bias, std::int64_t dim, double slope),                   \
    (out, x, bias, dim, slope))                                                                                 \
  X(void, leaky_relu_backward, leaky_relu_backward,                                                             \
    (const Tensor& out, const Tensor& grad, const Tensor& x, double slope), (out, grad, x, slope))              \
  X(void, sigmoid_backward, sigmoid_backward, (const Tensor& out, const Tensor& grad, const Tensor& y),         \
    (out, grad, y))                                                                                             \
  X(void, tanh_backward, tanh_backward, (const Tensor& out, const Tensor& grad, const Tensor& y),               \
    (out, grad, y))                                                                                             \
  X(void, log_softmax, log_softmax, (const Tensor& out, const Tensor& x, std::int64_t dim), (out, x, dim))      \
  X(void, log_softmax_backward, log_softmax_backward,                                                           \
    (const Tensor& out, const Tensor& grad, const Tensor& y, std::int64_t dim), (out, grad, y, dim))            \
  /* loss.hpp */                                                                                                \
  X(double, pointwise_loss, pointwise_loss,                                                                     \
    (PointwiseLoss kind, const Tensor& out, const Tensor& input, const Tensor& target, const Tensor& weight,     \
     std::int64_t* bad),                                                                                        \
    (kind, out, input, target, weight, bad))                                                                    \
  X(void, pointwise_loss_backward, pointwise_loss_backward,                                                     \
    (PointwiseLoss kind, const Tensor& grad_input, const Tensor& grad_target, const Tensor& grad_out,           \
     double scale, const Tensor& input, const Tensor& target, const Tensor& weight),                            \
    (kind, grad_input, grad_target, grad_out, scale, input, target, weight))                                    \
  X(double, gaussian_kl, gaussian_kl, (const Tensor& out, const Tensor& mu, const Tensor& logvar),              \
    (out, mu, logvar))                                                                                          \
  X(void, gaussian_kl_backward, gaussian_kl_backward,                                                           \
    (const Tensor& grad_mu, const Tensor& grad_logvar, const Tensor& grad_out, double scale, const Tensor& mu,   \
     const Tensor& logvar),                                                                                     \
    (grad_mu, grad_logvar, grad_out, scale, mu, logvar))                                                        \
  X(double, cross_entropy, cross_entropy,                                                                       \
    (const Tensor& out, const Tensor& lse, const Tensor& logits, const Tensor& target),                         \
    (out, lse, logits, target))                                                                                 \
  X(void, cross_entropy_backward, cross_entropy_backward,                                                       \
    (const Tensor& grad_logits, const Tensor& grad_out, double scale, const Tensor& logits,                     \
     const Tensor& target, const Tensor& lse),                                                                  \
    (grad_logits, grad_out, scale, logits, target, lse))                                                        \
  /* normalization.hpp */                                                                                       \
  X(void, batch_norm_forward, batch_norm_forward,                                                               \
    (const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& invstd, const Tensor& x,             \
     const Tensor& weight, const Tensor& bias, double eps, std::optional<double> leaky_slope),                  \
    (y, mean, var, invstd, x, weight, bias, eps, leaky_slope))                                                  \
  X(void, batch_norm_backward, batch_norm_backward,                                                             \
    (const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias, const Tensor& grad_y,            \
     const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean, const Tensor& invstd,       \
     std::optional<double> leaky_slope),                                                                        \
    (grad_x, grad_weight, grad_bias, grad_y, x, weight, bias, mean, invstd, leaky_slope))                       \
  /* optim.hpp */                                                                                               \
  X(void, sgd_update, sgd_update,                                                                               \
    (const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,                                    \
     const optim::functors::SGDScalars& scalars, bool first),                                                   \
    (param, grad, momentum_buffer, scalars, first))                                                             \
  X(void, adam_update, adam_update,                                                                             \
    (const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,                  \
     const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars),                                \
    (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, scalars))                                                \
  X(double, abs_pow_sum, abs_pow_sum, (const Tensor& g, double p), (g, p))                                      \
  X(void, scale_in_place, scale_in_place, (const Tensor& g, double coef), (g, coef))                            \
  X(void, clamp_in_place, clamp_in_place, (const Tensor& g, double clip), (g, clip))                            \
  X(void, reference::sgd_update, reference_sgd_update,                                                          \
    (const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,                                    \
     const optim::functors::SGDScalars& scalars, bool first),                                                   \
    (param, grad, momentum_buffer, scalars, first))                                                             \
  X(void, reference::adam_update, reference_adam_update,                                                        \
    (const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,                  \
     const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars),                                \
    (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, scalars))                                                \
  /* reduction.hpp */                                                                                           \
  X(void, sum, sum, (const Tensor& out, const Tensor& x, const std::vector<bool>& reduce), (out, x, reduce))    \
  X(void, max, max, (const Tensor& values, const Tensor& indices, const Tensor& x, std::int64_t dim),           \
    (values, indices, x, dim))                                                                                  \
  /* index.hpp */                                                                                               \
  X(void, index_select, index_select,                                                                           \
    (const Tensor& out, const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& idx),               \
    (out, x, dim, idx))                                                                                         \
  X(void, index_add_, index_add_,                                                                               \
    (const Tensor& out, std::int64_t dim, const std::vector<std::int64_t>& idx, const Tensor& source),          \
    (out, dim, idx, source))                                                                                    \
  /* matmul.hpp */                                                                                              \
  X(void, matmul_reference, matmul_reference, (const Tensor& out, const Tensor& a, const Tensor& b),            \
    (out, a, b))                                                                                                \
  X(void, matmul, matmul, (const Tensor& out, const Tensor& a, const Tensor& b), (out, a, b))                   \
  /* random.hpp */                                                                                              \
  X(std::uint64_t, random_blocks, random_blocks_of_dtype, (std::int64_t n, DType t), (n, t))                    \
  X(std::uint64_t, random_blocks, random_blocks_per_block, (std::int64_t n, int elements_per_block),            \
    (n, elements_per_block))                                                                                    \
  X(void, fill_uniform, fill_uniform,                                                                           \
    (const Tensor& out, std::uint64_t seed, std::uint64_t block, double low, double high),                      \
    (out, seed, block, low, high))                                                                              \
  X(void, fill_normal, fill_normal,                                                                             \
    (const Tensor& out, std::uint64_t seed, std::uint64_t block, double mean, double std),                      \
    (out, seed, block, mean, std))                                                                              \
  X(void, fill_randint, fill_randint,                                                                           \
    (const Tensor& out, std::uint64_t seed, std::uint64_t block, std::int64_t low, std::int64_t high),          \
    (out, seed, block, low, high))                                                                              \
  X(void, fill_bernoulli, fill_bernoulli_tensor,                                                                \
    (const Tensor& out, const Tensor& p, std::uint64_t seed, std::uint64_t block), (out, p, seed, block))       \
  X(void, fill_bernoulli, fill_bernoulli_scalar,                                                                \
    (const Tensor& out, double p, std::uint64_t seed, std::uint64_t block), (out, p, seed, block))              \
  /* vecmath.hpp */                                                                                             \
  X(bool, vecmath::vectorised, vecmath_vectorised, (), ())                                                      \
  X(void, vecmath::exp, vecmath_exp, (const float* x, float* y, std::int64_t n), (x, y, n))                     \
  X(void, vecmath::log, vecmath_log, (const float* x, float* y, std::int64_t n), (x, y, n))                     \
  X(void, vecmath::sigmoid, vecmath_sigmoid, (const float* x, float* y, std::int64_t n), (x, y, n))             \
  X(void, vecmath::tanh, vecmath_tanh, (const float* x, float* y, std::int64_t n), (x, y, n))                   \
  X(void, vecmath::softplus, vecmath_softplus, (const float* x, float* y, std::int64_t n), (x, y, n))           \
  X(double, vecmath::bce_sum, vecmath_bce_sum, (const float* p, const float* t, std::int64_t n, bool* bad),     \
    (p, t, n, bad))                                                                                             \
  /* conv.hpp */                                                                                                \
  X(void, conv2d_forward, conv2d_forward,                                                                       \
    (const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvGeometry& g, \
     const ConvTuning& tuning),                                                                                 \
    (output, input, weight, bias, g, tuning))                                                                   \
  X(void, conv2d_backward_data, conv2d_backward_data,                                                           \
    (const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight, const Tensor& bias,             \
     const ConvGeometry& g, const ConvTuning& tuning),                                                          \
    (grad_input, grad_output, weight, bias, g, tuning))                                                         \
  X(void, conv2d_backward_weight, conv2d_backward_weight,                                                       \
    (const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output, const ConvGeometry& g,          \
     const ConvTuning& tuning),                                                                                 \
    (grad_weight, input, grad_output, g, tuning))                                                               \
  X(void, reference::conv2d_forward, reference_conv2d_forward,                                                  \
    (const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvGeometry& g),\
    (output, input, weight, bias, g))                                                                           \
  X(void, reference::conv2d_backward_data, reference_conv2d_backward_data,                                      \
    (const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight, const Tensor& bias,             \
     const ConvGeometry& g),                                                                                    \
    (grad_input, grad_output, weight, bias, g))                                                                 \
  X(void, reference::conv2d_backward_weight, reference_conv2d_backward_weight,                                  \
    (const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output, const ConvGeometry& g),         \
    (grad_weight, input, grad_output, g))                                                                       \
  /* gemm.hpp */                                                                                                \
  X(bool, gemm_kernel_available, gemm_kernel_available, (GemmKernel kernel), (kernel))                          \
  X(GemmKernel, gemm_best_kernel, gemm_best_kernel, (), ())                                                     \
  X(std::string_view, gemm_kernel_name, gemm_kernel_name, (GemmKernel kernel), (kernel))                        \
  X(void, sgemm, sgemm,                                                                                         \
    (std::int64_t m, std::int64_t n, std::int64_t k, float alpha, ConstMatrixF a, ConstMatrixF b, float beta,   \
     float* c, std::int64_t ldc, GemmOptions options),                                                          \
    (m, n, k, alpha, a, b, beta, c, ldc, options))                                                              \
  X(GemmKernel, gemm_packed_kernel, gemm_packed_kernel, (GemmKernel kernel), (kernel))                          \
  X(int, gemm_panel_width, gemm_panel_width, (GemmKernel kernel), (kernel))                                     \
  X(void, pack_matrix_a, pack_matrix_a,                                                                         \
    (PackedMatrixA& dst, std::int64_t m, std::int64_t k, ConstMatrixF a, GemmKernel kernel, int threads),       \
    (dst, m, k, a, kernel, threads))                                                                            \
  X(void, sgemm_prepacked, sgemm_prepacked_panels,                                                              \
    (const PackedMatrixA& a, std::int64_t n, PanelPacker pack_b, float beta, float* c, std::int64_t ldc),       \
    (a, n, pack_b, beta, c, ldc))                                                                               \
  X(void, sgemm_prepacked, sgemm_prepacked_matrix,                                                              \
    (const PackedMatrixA& a, std::int64_t n, ConstMatrixF b, float beta, float* c, std::int64_t ldc),           \
    (a, n, b, beta, c, ldc))                                                                                    \
  X(void, sgemm_panels, sgemm_panels,                                                                           \
    (std::int64_t m, std::int64_t n, std::int64_t k, ConstMatrixF a, PanelPacker pack_b, float beta, float* c,  \
     std::int64_t ldc, GemmKernel kernel),                                                                      \
    (m, n, k, a, pack_b, beta, c, ldc, kernel))
// clang-format on

namespace zengen::cpu {

/// One ISA level's kernels, a pointer per entry point.
struct KernelTable {
#define ZENGEN_KERNEL_MEMBER(ret, name, member, params, args) ret(*member) params;
  ZENGEN_CPU_KERNELS(ZENGEN_KERNEL_MEMBER)
#undef ZENGEN_KERNEL_MEMBER
};

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// This level's table (defined by src/cpu/kernel_table.cpp in each level's build).
const KernelTable& kernel_table();

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
