// 2-d convolution and its adjoint, the transposed convolution, on NCHW
// tensors. conv2d: input [N, C, H, W], weight [O, C, kH, kW], bias [O] or
// undefined -> [N, O, Ho, Wo] with Ho = (H + 2 pH - dH (kH - 1) - 1) / sH + 1.
// conv_transpose2d: input [N, C, H, W], weight [C, O, kH, kW] ->
// [N, O, Ho, Wo] with Ho = (H - 1) sH - 2 pH + dH (kH - 1) + opH + 1.
#pragma once

#include <array>
#include <cstdint>

#include "zengen/core/tensor.hpp"

namespace zengen {

/// Stride, padding and dilation of a 2-D convolution, per spatial dimension (height, width).
struct Conv2dParams {
  std::array<std::int64_t, 2> stride{1, 1};
  std::array<std::int64_t, 2> padding{0, 0};
  std::array<std::int64_t, 2> dilation{1, 1};
  /// Extra rows/columns at the bottom/right of a transposed convolution's
  /// output (must be smaller than the stride or the dilation); ignored by conv2d.
  std::array<std::int64_t, 2> output_padding{0, 0};
};

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dParams& params = {});
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        const Conv2dParams& params = {});

/// Output size of one spatial dim (the shape rules above; floor division). A
/// result <= 0 means the kernel does not fit; arguments out of range (stride,
/// kernel or dilation < 1, negative padding, output_padding not below the
/// stride or the dilation) throw ValueError.
std::int64_t conv_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                              std::int64_t dilation);
std::int64_t conv_transpose_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                        std::int64_t padding, std::int64_t dilation, std::int64_t output_padding);

}  // namespace zengen
