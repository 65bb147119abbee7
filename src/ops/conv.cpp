#include "zengen/ops/conv.hpp"

#include <limits>

#include "cpu/conv.hpp"
#include "ops/common.hpp"
#include "zengen/core/determinism.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"

#include "backend.hpp"  // cuda/backend.hpp: the CUDA module's launchers, plain C++
#include "core/cuda_module.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

using Index = std::int64_t;
using Pair = std::array<Index, 2>;

Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::string str(const Pair& p) { return Shape{p[0], p[1]}.str(); }

// A contiguous tensor with x's values, cut off from the graph (what a kernel
// reads); undefined stays undefined. (An empty x is not copied: nothing to
// read, and the element-wise copy loop of this branch trips on it.)
Tensor plain(const Tensor& x) {
  if (!x.defined()) return Tensor();
  if (x.numel() == 0) return empty_as(x, x.shape());
  return x.detach().contiguous();
}

void check_params(const char* op, const Conv2dParams& p, bool transposed) {
  for (int d = 0; d < 2; ++d) {
    ZENGEN_CHECK(p.stride[d] > 0, ValueError, op, ": stride must be positive, got ", str(p.stride));
    ZENGEN_CHECK(p.dilation[d] > 0, ValueError, op, ": dilation must be positive, got ", str(p.dilation));
    ZENGEN_CHECK(p.padding[d] >= 0, ValueError, op, ": padding must be non-negative, got ", str(p.padding));
    if (transposed) {
      ZENGEN_CHECK(p.output_padding[d] >= 0, ValueError, op, ": output_padding must be non-negative, got ",
                   str(p.output_padding));
      ZENGEN_CHECK(p.output_padding[d] < p.stride[d] || p.output_padding[d] < p.dilation[d], ValueError, op,
                   ": output_padding ", str(p.output_padding), " must be smaller than the stride ", str(p.stride),
                   " or the dilation ", str(p.dilation), " (in spatial dim ", d, ")");
    }
  }
}

// Both floating, same dtype, same device; on a CUDA device float32 only
// (the CUDA kernels' dtype).
void check_conv_pair(const Tensor& a, const Tensor& b, const char* op) {
  check_same(a, b, op);
  if (a.device().is_cuda())
    ZENGEN_CHECK(a.dtype() == DType::Float32, DTypeError, op, ": on ", a.device(),
                 " only float32 is supported, got ", a.dtype(), " of shape ", a.shape());
}

// dtype, device and rank of input/weight/bias; the bias must be [out_channels].
void check_operands(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    bool transposed) {
  check_conv_pair(input, weight, op);
  ZENGEN_CHECK(input.dim() == 4, ShapeError, op, ": expected a 4-d input [N, C, H, W], got ", input.shape());
  ZENGEN_CHECK(weight.dim() == 4, ShapeError, op, ": expected a 4-d weight ",
               transposed ? "[C, O, kH, kW]" : "[O, C, kH, kW]", ", got ", weight.shape());
  ZENGEN_CHECK(weight.size(2) > 0 && weight.size(3) > 0, ShapeError, op, ": weight ", weight.shape(),
               " has an empty kernel");
  if (bias.defined()) {
    check_conv_pair(input, bias, op);
    const Index out_channels = weight.size(transposed ? 1 : 0);
    ZENGEN_CHECK(bias.shape() == Shape{out_channels}, ShapeError, op, ": bias ", bias.shape(),
                 " does not match weight ", weight.shape(), ": expected [", out_channels, "]");
  }
}

// d<conv2d(x, weight), g>/dx for an x of `input_shape`: the transposed
// convolution of g, with the output padding that gives back x's size.
Tensor conv2d_input_grad(const Tensor& g, const Tensor& weight, const Shape& input_shape, Conv2dParams params) {
  for (int d = 0; d < 2; ++d)
    params.output_padding[d] =
        input_shape[2 + d] - conv_transpose_output_size(g.size(2 + d), weight.size(2 + d), params.stride[d],
                                                        params.padding[d], params.dilation[d], 0);
  return conv_transpose2d(g, weight, Tensor(), params);
}

// The geometry of the convolution that maps `image` [N, C, H, W] to
// `output` [N, O, Ho, Wo] with a kernel of weight_shape's last two dims.
cpu::ConvGeometry conv_geometry(const Shape& image, const Shape& output, const Shape& weight_shape,
                                const Conv2dParams& params) {
  return {.batch = image[0],
          .in_channels = image[1],
          .in_h = image[2],
          .in_w = image[3],
          .out_channels = output[1],
          .kernel_h = weight_shape[2],
          .kernel_w = weight_shape[3],
          .out_h = output[2],
          .out_w = output[3],
          .stride_h = params.stride[0],
          .stride_w = params.stride[1],
          .pad_h = params.padding[0],
          .pad_w = params.padding[1],
          .dilation_h = params.dilation[0],
          .dilation_w = params.dilation[1]};
}

// ---- the kernels of either device ----
// CPU tensors go to src/cpu/conv.cpp; CUDA tensors (float32, contiguous) to
// the launchers of cuda/conv.hpp on the default stream, with the kernel that
// ZENGEN_CONV_BACKEND names (zengen by default). cuDNN cannot run a
// restricted output (conv_transpose2d with output_padding >= stride): those
// calls stay with zengen's kernels.

cuda::ConvShape cuda_shape(const cpu::ConvGeometry& g) {
  const std::int64_t fields[] = {g.batch, g.in_channels, g.in_h, g.in_w, g.out_channels, g.kernel_h, g.kernel_w,
                                 g.out_h, g.out_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h,
                                 g.dilation_w};
  for (std::int64_t f : fields)
    ZENGEN_CHECK(f <= std::numeric_limits<int>::max(), ShapeError, "conv (cuda): a size, stride, padding or ",
                 "dilation of ", f, " does not fit the CUDA kernels' int32 (input [", g.batch, ", ", g.in_channels,
                 ", ", g.in_h, ", ", g.in_w, "])");
  cuda::ConvShape s;
  s.batch = static_cast<int>(g.batch);
  s.in_channels = static_cast<int>(g.in_channels);
  s.in_h = static_cast<int>(g.in_h);
  s.in_w = static_cast<int>(g.in_w);
  s.out_channels = static_cast<int>(g.out_channels);
  s.kernel_h = static_cast<int>(g.kernel_h);
  s.kernel_w = static_cast<int>(g.kernel_w);
  s.out_h = static_cast<int>(g.out_h);
  s.out_w = static_cast<int>(g.out_w);
  s.stride_h = static_cast<int>(g.stride_h);
  s.stride_w = static_cast<int>(g.stride_w);
  s.pad_h = static_cast<int>(g.pad_h);
  s.pad_w = static_cast<int>(g.pad_w);
  s.dilation_h = static_cast<int>(g.dilation_h);
  s.dilation_w = static_cast<int>(g.dilation_w);
  return s;
}

/// The CUDA module's launchers (loaded: a CUDA tensor exists).
const cuda::Backend& gpu() { return cuda_module::get("conv (cuda)"); }

cuda::ConvKernel cuda_kernel(const cuda::ConvShape& s) {
  const cuda::ConvKernel k = gpu().conv_kernel_from_env();
  if (gpu().cudnn_supports(s)) return k;
  if (k == cuda::ConvKernel::Cudnn) return cuda::ConvKernel::Simt;
  if (k == cuda::ConvKernel::CudnnTensorCore) return cuda::ConvKernel::TensorCore;
  return k;
}

const float* data_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

void run_forward(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b, const cpu::ConvGeometry& g) {
  if (out.device().is_cpu()) return cpu::conv2d_forward(out, x, w, b, g);
  gpu().conv_set_device(out.device().index);
  const cuda::ConvShape s = cuda_shape(g);
  gpu().conv2d_forward(s, out.data<float>(), x.data<float>(), w.data<float>(), data_or_null(b), cuda_kernel(s),
                       nullptr);
}

void run_backward_data(const Tensor& out, const Tensor& gy, const Tensor& w, const Tensor& b,
                       const cpu::ConvGeometry& g) {
  if (out.device().is_cpu()) return cpu::conv2d_backward_data(out, gy, w, b, g);
  gpu().conv_set_device(out.device().index);
  const cuda::ConvShape s = cuda_shape(g);
  gpu().conv2d_backward_data(s, out.data<float>(), gy.data<float>(), w.data<float>(), data_or_null(b),
                             cuda_kernel(s), nullptr, deterministic());
}

void run_backward_weight(const Tensor& out, const Tensor& x, const Tensor& gy, const cpu::ConvGeometry& g) {
  if (out.device().is_cpu()) return cpu::conv2d_backward_weight(out, x, gy, g);
  gpu().conv_set_device(out.device().index);
  const cuda::ConvShape s = cuda_shape(g);
  gpu().conv2d_backward_weight(s, out.data<float>(), x.data<float>(), gy.data<float>(), cuda_kernel(s), nullptr,
                               deterministic());
}

// Gradient of a bias added per channel: g summed over N, H, W. On a CUDA
// device one kernel does it (recorded as its own op; its gradient spreads G
// back over N, H, W).
Tensor channel_sum(const Tensor& g) {
  if (g.device().is_cpu()) return g.sum({2, 3}).sum({0});
  const Tensor gc = plain(g);
  const Shape& gs = g.shape();
  Tensor out = empty_as(g, {gs[1]});
  const std::int64_t plane = gs[2] * gs[3];
  ZENGEN_CHECK(gs[0] <= std::numeric_limits<int>::max() && gs[1] <= std::numeric_limits<int>::max() &&
                   plane <= std::numeric_limits<int>::max(),
               ShapeError, "conv bias gradient (cuda): grad_output ", gs, " is too large for int32 sizes");
  gpu().conv_set_device(g.device().index);
  gpu().conv_bias_grad(out.data<float>(), gc.data<float>(), static_cast<int>(gs[0]), static_cast<int>(gs[1]),
                       static_cast<int>(plane), nullptr);
  return record("conv_bias_grad", out, {&g}, [gs](const Tensor& G) {
    return Grads{expand(reshape(G, {1, gs[1], 1, 1}), gs)};
  });
}

Tensor conv2d_restricted(const Tensor& input, const Tensor& weight, Index out_h, Index out_w,
                         const Conv2dParams& params);

// Internal op: the weight gradient of conv2d, sum over images and output
// positions of grad_output x input patch, of shape `weight_shape`. It is
// bilinear in (input, grad_output), so its own gradients are convolutions:
// <G, wgrad(x, gy)> = <conv2d(x, G), gy> = <x, conv_transpose2d(gy, G)>. It
// is recorded like any op, so the gradients of conv2d and conv_transpose2d
// can be differentiated again (any order).
Tensor conv2d_weight_grad(const Tensor& input, const Tensor& grad_output, const Shape& weight_shape,
                          const Conv2dParams& params) {
  const cpu::ConvGeometry geom = conv_geometry(input.shape(), grad_output.shape(), weight_shape, params);
  Tensor out = empty_as(input, weight_shape);
  run_backward_weight(out, plain(input), plain(grad_output), geom);
  const bool need_input = input.requires_grad(), need_grad_output = grad_output.requires_grad();
  return record("conv2d_weight_grad", out, {&input, &grad_output},
                [x = need_grad_output ? input : Tensor(), gy = need_input ? grad_output : Tensor(),
                 input_shape = input.shape(), out_h = geom.out_h, out_w = geom.out_w, need_input,
                 need_grad_output, params](const Tensor& G) {
                  return Grads{need_input ? conv2d_input_grad(gy, G, input_shape, params) : Tensor(),
                               need_grad_output ? conv2d_restricted(x, G, out_h, out_w, params) : Tensor()};
                });
}

// Internal op: conv2d(input, weight) restricted to its first out_h rows and
// out_w columns (conv_transpose2d with output_padding >= stride is the
// adjoint of such a conv2d), computed directly into a contiguous tensor on
// either device rather than as a view of a larger result. Its gradients are
// conv2d's with the restricted output: the input's is the transposed
// convolution back to the input's size, the weight's conv2d_weight_grad.
Tensor conv2d_restricted(const Tensor& input, const Tensor& weight, Index out_h, Index out_w,
                         const Conv2dParams& params) {
  const Shape& xs = input.shape();
  const Shape& ws = weight.shape();
  if (out_h == conv_output_size(xs[2], ws[2], params.stride[0], params.padding[0], params.dilation[0]) &&
      out_w == conv_output_size(xs[3], ws[3], params.stride[1], params.padding[1], params.dilation[1]))
    return conv2d(input, weight, Tensor(), params);
  const Shape out_shape{xs[0], ws[0], out_h, out_w};
  Tensor out = empty_as(input, out_shape);
  run_forward(out, plain(input), plain(weight), Tensor(), conv_geometry(xs, out_shape, ws, params));
  const bool need_input = input.requires_grad(), need_weight = weight.requires_grad();
  return record("conv2d_restricted", out, {&input, &weight},
                [x = need_weight ? input : Tensor(), w = need_input ? weight : Tensor(), input_shape = xs,
                 weight_shape = ws, need_input, need_weight, params](const Tensor& G) {
                  return Grads{need_input ? conv2d_input_grad(G, w, input_shape, params) : Tensor(),
                               need_weight ? conv2d_weight_grad(x, G, weight_shape, params) : Tensor()};
                });
}

}  // namespace

std::int64_t conv_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t padding,
                              std::int64_t dilation) {
  ZENGEN_CHECK(in >= 0 && kernel > 0 && stride > 0 && padding >= 0 && dilation > 0, ValueError,
               "conv_output_size: expected in >= 0, kernel > 0, stride > 0, padding >= 0, dilation > 0; got in ",
               in, ", kernel ", kernel, ", stride ", stride, ", padding ", padding, ", dilation ", dilation);
  return floor_div(in + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1;
}

std::int64_t conv_transpose_output_size(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                        std::int64_t padding, std::int64_t dilation, std::int64_t output_padding) {
  ZENGEN_CHECK(in >= 0 && kernel > 0 && stride > 0 && padding >= 0 && dilation > 0 && output_padding >= 0 &&
                   (output_padding < stride || output_padding < dilation),
               ValueError,
               "conv_transpose_output_size: expected in >= 0, kernel > 0, stride > 0, padding >= 0, dilation > 0 "
               "and 0 <= output_padding < max(stride, dilation); got in ",
               in, ", kernel ", kernel, ", stride ", stride, ", padding ", padding, ", dilation ", dilation,
               ", output_padding ", output_padding);
  return (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& params) {
  const char* op = "conv2d";
  check_operands(op, input, weight, bias, false);
  check_params(op, params, false);
  const Shape& xs = input.shape();
  const Shape& ws = weight.shape();
  ZENGEN_CHECK(xs[1] == ws[1], ShapeError, op, ": input ", xs, " has ", xs[1], " channels but weight ", ws,
               " expects ", ws[1]);
  Pair out_size{};
  for (int d = 0; d < 2; ++d) {
    const Index padded = xs[2 + d] + 2 * params.padding[d];
    const Index span = params.dilation[d] * (ws[2 + d] - 1) + 1;
    ZENGEN_CHECK(span <= padded, ShapeError, op, ": kernel ", ws[2], "x", ws[3],
                 params.dilation == Pair{1, 1} ? "" : " (dilated by " + str(params.dilation) + ")",
                 " is larger than the padded input ", xs[2] + 2 * params.padding[0], "x",
                 xs[3] + 2 * params.padding[1], " (input ", xs, ", weight ", ws, ", padding ", str(params.padding),
                 ")");
    out_size[d] = conv_output_size(xs[2 + d], ws[2 + d], params.stride[d], params.padding[d], params.dilation[d]);
  }
  const cpu::ConvGeometry geom = conv_geometry(xs, {xs[0], ws[0], out_size[0], out_size[1]}, ws, params);
  Tensor out = empty_as(input, {xs[0], ws[0], out_size[0], out_size[1]});
  run_forward(out, plain(input), plain(weight), plain(bias), geom);

  const bool need_input = input.requires_grad(), need_weight = weight.requires_grad();
  const bool need_bias = bias.defined() && bias.requires_grad();
  return record(op, out, {&input, &weight, &bias},
                [x = need_weight ? input : Tensor(), w = need_input ? weight : Tensor(), input_shape = xs,
                 weight_shape = ws, need_input, need_weight, need_bias, params](const Tensor& g) {
                  return Grads{need_input ? conv2d_input_grad(g, w, input_shape, params) : Tensor(),
                               need_weight ? conv2d_weight_grad(x, g, weight_shape, params) : Tensor(),
                               need_bias ? channel_sum(g) : Tensor()};
                });
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& params) {
  const char* op = "conv_transpose2d";
  check_operands(op, input, weight, bias, true);
  check_params(op, params, true);
  const Shape& xs = input.shape();
  const Shape& ws = weight.shape();
  ZENGEN_CHECK(xs[1] == ws[0], ShapeError, op, ": input ", xs, " has ", xs[1], " channels but weight ", ws,
               " expects ", ws[0]);
  Pair out_size{};
  for (int d = 0; d < 2; ++d)
    out_size[d] = conv_transpose_output_size(xs[2 + d], ws[2 + d], params.stride[d], params.padding[d],
                                             params.dilation[d], params.output_padding[d]);
  const Shape out_shape{xs[0], ws[1], out_size[0], out_size[1]};
  ZENGEN_CHECK(out_size[0] > 0 && out_size[1] > 0, ShapeError, op, ": the output would be ", out_shape,
               " (input ", xs, ", weight ", ws, ", stride ", str(params.stride), ", padding ", str(params.padding),
               ", dilation ", str(params.dilation), "): the padding is too large");
  // The adjoint of the conv2d from out_shape to xs with the same weight.
  const cpu::ConvGeometry geom = conv_geometry(out_shape, xs, ws, params);
  Tensor out = empty_as(input, out_shape);
  run_backward_data(out, plain(input), plain(weight), plain(bias), geom);

  const bool need_input = input.requires_grad(), need_weight = weight.requires_grad();
  const bool need_bias = bias.defined() && bias.requires_grad();
  return record(op, out, {&input, &weight, &bias},
                [x = need_weight ? input : Tensor(), w = need_input ? weight : Tensor(), in_h = xs[2],
                 in_w = xs[3], weight_shape = ws, need_input, need_weight, need_bias,
                 params](const Tensor& g) {
                  // conv2d of g can be larger than the input when output_padding >= stride.
                  return Grads{need_input ? conv2d_restricted(g, w, in_h, in_w, params) : Tensor(),
                               need_weight ? conv2d_weight_grad(g, x, weight_shape, params) : Tensor(),
                               need_bias ? channel_sum(g) : Tensor()};
                });
}

}  // namespace zengen
