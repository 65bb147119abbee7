// Internal: fused CPU kernels of batch normalisation with the batch's own
// statistics. x is viewed as [N, C, S] (S the product of the dims after the
// channels); every tensor is contiguous, on the CPU and of x's floating
// dtype; the checks live in src/ops/normalization.cpp. Sums run in double,
// per channel, in a fixed order, so results do not depend on the thread
// count; the channels are split across threads.
#pragma once

#include "cpu/isa.hpp"

#include <cstdint>
#include <optional>

#include "zengen/core/tensor.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

/// The per-channel statistics and the normalised output: mean [C] and
/// var [C] (biased) of x over N and S, invstd [C] = 1 / sqrt(var + eps), and
/// y = (x - mean) invstd weight + bias (weight and bias [C] may be
/// undefined: 1 and 0), then leaky_relu(y, slope) when leaky_slope is set.
/// One pass for the statistics, one for y.
void batch_norm_forward(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& invstd,
                        const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        std::optional<double> leaky_slope = std::nullopt);

/// The gradients from grad_y: each written only when defined.
///   grad_bias [C]   = sum of grad_y over N and S
///   grad_weight [C] = sum of grad_y (x - mean) invstd
///   grad_x          = weight invstd (grad_y - grad_bias / M
///                     - (x - mean) invstd grad_weight / M),  M = N S
/// (weight undefined: 1). One pass for the sums, one for grad_x. With
/// leaky_slope (>= 0) grad_y is the gradient of the activated output: each
/// element first becomes grad_y (pre > 0 ? 1 : slope), pre = (x - mean)
/// invstd weight + bias recomputed from x (bias is read only then).
void batch_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_y, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         const Tensor& mean, const Tensor& invstd,
                         std::optional<double> leaky_slope = std::nullopt);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
