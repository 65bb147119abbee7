// Internal: CPU activation kernels, forward and backward. Element-wise ones
// run the shared functors of src/kernels/functors.hpp; `out` is allocated by
// the caller with the inputs' shape.
#pragma once

#include "cpu/isa.hpp"

#include <cstdint>

#include "kernels/op_kinds.hpp"
#include "zengen/core/tensor.hpp"

namespace zengen::cpu {

using kernels::Activation;  // src/kernels/op_kinds.hpp, the CUDA launchers' too

}  // namespace zengen::cpu

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

void activation(Activation kind, const Tensor& out, const Tensor& x);
void leaky_relu(const Tensor& out, const Tensor& x, double slope);
/// out = leaky_relu(x + bias[c]), x contiguous [outer, C, inner] with
/// channel c, bias [C] contiguous, out contiguous.
void bias_leaky_relu(const Tensor& out, const Tensor& x, const Tensor& bias, std::int64_t dim, double slope);
/// out = grad * (x > 0 ? 1 : slope).
void leaky_relu_backward(const Tensor& out, const Tensor& grad, const Tensor& x, double slope);
/// out = grad * y * (1 - y), y = sigmoid(x).
void sigmoid_backward(const Tensor& out, const Tensor& grad, const Tensor& y);
/// out = grad * (1 - y^2), y = tanh(x).
void tanh_backward(const Tensor& out, const Tensor& grad, const Tensor& y);

/// out = x - max - log(sum(exp(x - max))) along dim (already wrapped to
/// [0, ndim)); x may be strided, out is contiguous.
void log_softmax(const Tensor& out, const Tensor& x, std::int64_t dim);
/// out = grad - exp(y) * sum(grad along dim), y = log_softmax(x); out contiguous.
void log_softmax_backward(const Tensor& out, const Tensor& grad, const Tensor& y, std::int64_t dim);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
