// CUDA element-wise launchers (cuda/elementwise.cu): copies, fills, unary,
// binary and scalar math, comparisons, where, clamp and the activations,
// forward and backward. Every input is broadcast to the output's shape (any
// strides, stride 0 where broadcast); the per-element math is the shared
// functors of zengen/ops/functors.hpp. Plain C++: no CUDA header.
#pragma once

#include "tensor_ref.hpp"

namespace zengen::cuda {

// Same members, in the same order, as the CPU kernels' enums (src/cpu/*.hpp);
// src/ops/kernels.cpp static_asserts it.
enum class BinaryOp { Add, Sub, Mul, Div, Max, Min };
enum class UnaryOp { Neg, Exp, Log, Sqrt, Abs, Square };
enum class ScalarOp { Add, Mul, RSub, RDiv };
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };
enum class Activation { ReLU, Sigmoid, Tanh, Softplus };

/// dst = src (broadcast to dst's shape), converting the dtype; any strides
/// on both sides (what contiguous(), clone() and copy_ use on the device).
void copy(const TensorRef& dst, const TensorRef& src);
void fill(const TensorRef& dst, double value);

void binary(BinaryOp op, const TensorRef& out, const TensorRef& a, const TensorRef& b);
void unary(UnaryOp op, const TensorRef& out, const TensorRef& x);
void scalar(ScalarOp op, const TensorRef& out, const TensorRef& x, double s);
void pow(const TensorRef& out, const TensorRef& x, double exponent);
void clamp(const TensorRef& out, const TensorRef& x, double low, double high);
/// out (Bool) = a <op> b.
void compare(CompareOp op, const TensorRef& out, const TensorRef& a, const TensorRef& b);
/// out = cond ? a : b, cond Bool.
void where(const TensorRef& out, const TensorRef& cond, const TensorRef& a, const TensorRef& b);

void activation(Activation kind, const TensorRef& out, const TensorRef& x);
void leaky_relu(const TensorRef& out, const TensorRef& x, double slope);
void leaky_relu_backward(const TensorRef& out, const TensorRef& grad, const TensorRef& x, double slope);
/// out = leaky_relu(x + bias[c]) (relu when slope is 0) with c the index along dim; x and out
/// contiguous and alike, bias contiguous [x.sizes[dim]] of x's dtype. One
/// pass, 128-bit loads and stores where x and out are aligned.
void bias_leaky_relu(const TensorRef& out, const TensorRef& x, const TensorRef& bias, int dim, double slope);
void sigmoid_backward(const TensorRef& out, const TensorRef& grad, const TensorRef& y);
void tanh_backward(const TensorRef& out, const TensorRef& grad, const TensorRef& y);

}  // namespace zengen::cuda
