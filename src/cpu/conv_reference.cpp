// The plain-loop references of the convolution kernels (cpu/conv.hpp): the
// direct definition, seven nested loops on one thread, which the tests
// compare the fast kernels against.
#include "cpu/conv.hpp"

#include "cpu/conv_common.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

namespace {

using conv_detail::Index;
using conv_detail::optional_data;

template <typename T>
void forward_ref(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  const Index C = g.in_channels, H = g.in_h, Wd = g.in_w, O = g.out_channels;
  for (Index n = 0; n < g.batch; ++n)
    for (Index o = 0; o < O; ++o)
      for (Index oh = 0; oh < g.out_h; ++oh)
        for (Index ow = 0; ow < g.out_w; ++ow) {
          T acc = bias ? bias[o] : T(0);
          for (Index c = 0; c < C; ++c)
            for (Index i = 0; i < g.kernel_h; ++i)
              for (Index j = 0; j < g.kernel_w; ++j) {
                const Index ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                const Index iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                acc += x[((n * C + c) * H + ih) * Wd + iw] * w[((o * C + c) * g.kernel_h + i) * g.kernel_w + j];
              }
          y[((n * O + o) * g.out_h + oh) * g.out_w + ow] = acc;
        }
}

template <typename T>
void backward_data_ref(T* gx, const T* gy, const T* w, const T* bias, const ConvGeometry& g) {
  const Index C = g.in_channels, H = g.in_h, Wd = g.in_w, O = g.out_channels;
  for (Index n = 0; n < g.batch; ++n)
    for (Index c = 0; c < C; ++c)
      for (Index e = 0; e < H * Wd; ++e) gx[(n * C + c) * H * Wd + e] = bias ? bias[c] : T(0);
  for (Index n = 0; n < g.batch; ++n)
    for (Index o = 0; o < O; ++o)
      for (Index oh = 0; oh < g.out_h; ++oh)
        for (Index ow = 0; ow < g.out_w; ++ow) {
          const T go = gy[((n * O + o) * g.out_h + oh) * g.out_w + ow];
          for (Index c = 0; c < C; ++c)
            for (Index i = 0; i < g.kernel_h; ++i)
              for (Index j = 0; j < g.kernel_w; ++j) {
                const Index ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                const Index iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                gx[((n * C + c) * H + ih) * Wd + iw] += go * w[((o * C + c) * g.kernel_h + i) * g.kernel_w + j];
              }
        }
}

template <typename T>
void backward_weight_ref(T* gw, const T* x, const T* gy, const ConvGeometry& g) {
  const Index C = g.in_channels, H = g.in_h, Wd = g.in_w, O = g.out_channels;
  for (Index o = 0; o < O; ++o)
    for (Index c = 0; c < C; ++c)
      for (Index i = 0; i < g.kernel_h; ++i)
        for (Index j = 0; j < g.kernel_w; ++j) {
          T acc = 0;
          for (Index n = 0; n < g.batch; ++n)
            for (Index oh = 0; oh < g.out_h; ++oh)
              for (Index ow = 0; ow < g.out_w; ++ow) {
                const Index ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
                const Index iw = ow * g.stride_w - g.pad_w + j * g.dilation_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
                acc += gy[((n * O + o) * g.out_h + oh) * g.out_w + ow] * x[((n * C + c) * H + ih) * Wd + iw];
              }
          gw[((o * C + c) * g.kernel_h + i) * g.kernel_w + j] = acc;
        }
}

}  // namespace

namespace reference {

void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g) {
  dispatch_floating(output.dtype(), "conv2d (reference)", [&]<typename T>() {
    forward_ref(output.data<T>(), input.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g) {
  dispatch_floating(grad_input.dtype(), "conv2d backward (input, reference)", [&]<typename T>() {
    backward_data_ref(grad_input.data<T>(), grad_output.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g) {
  dispatch_floating(grad_weight.dtype(), "conv2d backward (weight, reference)", [&]<typename T>() {
    backward_weight_ref(grad_weight.data<T>(), input.data<T>(), grad_output.data<T>(), g);
  });
}

}  // namespace reference

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
