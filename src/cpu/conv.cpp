// The convolution kernels' entry points and the fast kernels (cpu/conv.hpp):
// which path each call takes. The pieces they are built from live beside
// this file (conv.hpp lists them).
#include "cpu/conv.hpp"

#include <algorithm>
#include <type_traits>

#include "cpu/conv_common.hpp"
#include "cpu/conv_gemm.hpp"
#include "cpu/conv_grouped.hpp"
#include "cpu/conv_im2col.hpp"
#include "cpu/conv_panels.hpp"
#include "cpu/conv_threads.hpp"
#include "cpu/gemm.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {

namespace conv_detail {
namespace {

template <typename T>
void forward_fast(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g, const ConvTuning& tuning) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index image_in = C * g.in_h * g.in_w, image_out = O * P;
  if (g.batch * image_out == 0) return;
  if (K == 0) {
    for (Index n = 0; n < g.batch; ++n) fill_channels(y + n * image_out, bias, O, P);
    return;
  }
  const bool direct = pointwise(g);
  const int threads = call_threads(g, tuning);
  if (whole_image(g)) {  // y [N, O] = x [N, K] w^T [K, O] (+ bias)
    for (Index n = 0; n < g.batch && bias; ++n) std::copy(bias, bias + O, y + n * O);
    return gemm(g.batch, O, K, x, K, Index{1}, w, Index{1}, K, bias != nullptr, y, O, tuning.gemm_kernel,
                threads > 1 ? 0 : 1);
  }
  if constexpr (std::is_same_v<T, float>) {
    const GemmKernel kernel = gemm_packed_kernel(tuning.gemm_kernel);
    if (kernel != GemmKernel::Eigen && !direct) return forward_packed(y, x, w, bias, g, kernel, threads, tuning);
  }
  if (const Index group = images_per_group(g, threads, sizeof(T), tuning); group > 1)
    return forward_grouped(y, x, w, bias, g, group, threads, tuning.gemm_kernel);
  // Work items: (image, block of output positions).
  const Index blocks =
      std::max(ceil_div(P, block_positions(g, sizeof(T), tuning)), std::min(P, parts_per_image(g.batch, threads)));
  const Index pb = ceil_div(P, blocks);
  for_items(g.batch * blocks, threads, [&](Index item) {
    const Index n = item / blocks, p0 = item % blocks * pb, len = std::min(pb, P - p0);
    if (len <= 0) return;
    const T* xn = x + n * image_in;
    T* yn = y + n * image_out;
    const T* cols = xn + p0;
    Index ld = P;
    if (!direct) {
      cols = columns(xn, g, p0, p0 + len, 0, C);
      ld = len;
    }
    if (bias)
      for (Index o = 0; o < O; ++o) std::fill(yn + o * P + p0, yn + o * P + p0 + len, bias[o]);
    gemm(O, len, K, w, K, Index{1}, cols, ld, Index{1}, bias != nullptr, yn + p0, P, tuning.gemm_kernel);
  });
}

template <typename T>
void backward_data_fast(T* gx, const T* gy, const T* w, const T* bias, const ConvGeometry& g,
                        const ConvTuning& tuning) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index taps = g.kernel_h * g.kernel_w;
  const Index plane = g.in_h * g.in_w, image_in = C * plane, image_out = O * P;
  if (g.batch * image_in == 0) return;
  const bool direct = pointwise(g);
  const int threads = call_threads(g, tuning);
  if (whole_image(g)) {  // gx [N, K] = gy [N, O] w [O, K] (+ bias per channel)
    for (Index n = 0; n < g.batch; ++n) fill_channels(gx + n * image_in, bias, C, plane);
    if (O > 0)
      gemm(g.batch, K, O, gy, O, Index{1}, w, K, Index{1}, true, gx, K, tuning.gemm_kernel, threads > 1 ? 0 : 1);
    return;
  }
  // Work items: (image, group of input channels).
  const Index groups = std::min(C, parts_per_image(g.batch, threads));
  const Index cg = ceil_div(C, groups);
  const Index pb = block_positions(g, sizeof(T), tuning);
  // The transposed weight [K, O] as a strided view of w: sgemm packs it in
  // place, and the packed SGEMM packs it once for the call; for Eigen it is
  // transposed once up front, since Eigen would otherwise repack the strided
  // view for every image, a slow copy.
  TransposedWeight<T> wt{w, 1, K, tuning.gemm_kernel};
  if constexpr (std::is_same_v<T, float>) {
    const GemmKernel kernel = gemm_packed_kernel(tuning.gemm_kernel);
    if (kernel != GemmKernel::Eigen && groups == 1 && K > 0 && O > 0) {
      pack_matrix_a(packed_weight(), K, O, {w, 1, K}, kernel, threads);
      wt.packed = &packed_weight();
    }
  } else {
    T* buffer = workspace<T>(kWeightAux, static_cast<std::size_t>(K * O));
    matrix(buffer, K, O, O) = matrix(w, O, K, K).transpose();
    wt = {buffer, O, 1, tuning.gemm_kernel};
  }
  if (const Index group = images_per_group(g, threads, sizeof(T), tuning, kDataGroupPositions); group > 1 && O > 0)
    return backward_data_grouped(gx, gy, wt, bias, g, group, threads);
  for_items(g.batch * groups, threads, [&](Index item) {
    const Index n = item / groups, c0 = item % groups * cg, c1 = std::min(C, c0 + cg);
    if (c0 >= c1) return;
    const T* gyn = gy + n * image_out;
    T* gxn = gx + n * image_in;
    fill_channels(gxn + c0 * plane, bias ? bias + c0 : nullptr, c1 - c0, plane);
    if (K == 0 || P == 0 || O == 0) return;
    // This group's rows of the transposed weight: [(c1 - c0) taps, O].
    const Index rows = (c1 - c0) * taps;
    for (Index p0 = 0; p0 < P; p0 += pb) {
      const Index len = std::min(pb, P - p0);
      if (direct) {
        wt.multiply(c0 * taps, rows, len, O, gyn + p0, P, true, gxn + c0 * plane + p0, P);
      } else {
        T* block = workspace<T>(kColumns, static_cast<std::size_t>(rows * len));
        wt.multiply(c0 * taps, rows, len, O, gyn + p0, P, false, block, len);
        add_columns(block, len, gxn, g, p0, p0 + len, c0, c1);
      }
    }
  });
}

template <typename T>
void backward_weight_fast(T* gw, const T* x, const T* gy, const ConvGeometry& g, const ConvTuning& tuning) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index taps = g.kernel_h * g.kernel_w;
  const Index image_in = C * g.in_h * g.in_w, image_out = O * P, size = O * K;
  if (size == 0) return;
  const bool direct = pointwise(g);
  const int threads = call_threads(g, tuning);
  if (whole_image(g)) {  // gw [O, K] = gy^T [O, N] x [N, K]
    return gemm(O, K, g.batch, gy, Index{1}, O, x, K, Index{1}, false, gw, K, tuning.gemm_kernel, threads > 1 ? 0 : 1);
  }
  const Index pb = block_positions(g, sizeof(T), tuning);
  // acc [O, (c1 - c0) taps] (leading dimension K) += image n's grad_output
  // x its columns for channels [c0, c1).
  auto accumulate = [&](T* acc, Index n, Index c0, Index c1) {
    const T* xn = x + n * image_in;
    const T* gyn = gy + n * image_out;
    const Index rows = (c1 - c0) * taps;
    for (Index p0 = 0; p0 < P; p0 += pb) {
      const Index len = std::min(pb, P - p0);
      const T* cols = xn + c0 * P + p0;  // pointwise: input rows are the columns
      Index ld = P;
      if (!direct) {
        cols = columns(xn, g, p0, p0 + len, c0, c1);
        ld = len;
      }
      // acc [O, rows] += grad_output block [O, len] x columns^T [len, rows].
      gemm(O, rows, len, gyn + p0, P, Index{1}, cols, Index{1}, ld, true, acc + c0 * taps, K, tuning.gemm_kernel);
    }
  };
  // float32 with the packed SGEMM: the columns go straight into its panels.
  GemmKernel packed_kernel = GemmKernel::Eigen;
  if constexpr (std::is_same_v<T, float>) {
    if (!direct) packed_kernel = gemm_packed_kernel(tuning.gemm_kernel);
  }
  auto accumulate_images = [&](T* acc, Index n0, Index count, Index c0, Index c1) {
    if constexpr (std::is_same_v<T, float>) {
      if (packed_kernel != GemmKernel::Eigen)
        return accumulate_weight_panels(acc, x, gy, g, n0, count, c0, c1, packed_kernel);
    }
    if (count == 1) return accumulate(acc, n0, c0, c1);
    accumulate_weight_grouped(acc, x, gy, g, n0, count, tuning.gemm_kernel);
  };
  if (parts_per_image(g.batch, threads) > 1 && C > 1) {
    // Few images: split the weight gradient's columns by input channel;
    // each group goes through every image.
    const Index groups = std::min<Index>(C, threads), cg = ceil_div(C, groups);
    for_items(groups, threads, [&](Index group) {
      const Index c0 = group * cg, c1 = std::min(C, c0 + cg);
      if (c0 >= c1) return;
      for (Index o = 0; o < O; ++o) std::fill(gw + o * K + c0 * taps, gw + o * K + c1 * taps, T(0));
      for (Index n = 0; n < g.batch; ++n) accumulate_images(gw, n, 1, c0, c1);
    });
    return;
  }
  // Work items: images, or groups of images with few positions each.
  const Index group = images_per_group(g, threads, sizeof(T), tuning), items = ceil_div(g.batch, group);
  auto accumulate_item = [&](T* acc, Index item) {
    accumulate_images(acc, item * group, std::min(group, g.batch - item * group), 0, C);
  };
  if (threads <= 1) {
    std::fill(gw, gw + size, T(0));
    for_items(1, 1, [&](Index) {
      for (Index item = 0; item < items; ++item) accumulate_item(gw, item);
    });
    return;
  }
  // Many images: each thread sums its own into a buffer, then the buffers are added up.
  sum_items(gw, size, items, threads, accumulate_item);
}

}  // namespace
}  // namespace conv_detail

// ---- entry points: dtype dispatch ----

void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g, const ConvTuning& tuning) {
  dispatch_floating(output.dtype(), "conv2d", [&]<typename T>() {
    conv_detail::forward_fast(output.data<T>(), input.data<T>(), weight.data<T>(),
                              conv_detail::optional_data<T>(bias), g, tuning);
  });
}

void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g, const ConvTuning& tuning) {
  dispatch_floating(grad_input.dtype(), "conv2d backward (input)", [&]<typename T>() {
    conv_detail::backward_data_fast(grad_input.data<T>(), grad_output.data<T>(), weight.data<T>(),
                                    conv_detail::optional_data<T>(bias), g, tuning);
  });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g, const ConvTuning& tuning) {
  dispatch_floating(grad_weight.dtype(), "conv2d backward (weight)", [&]<typename T>() {
    conv_detail::backward_weight_fast(grad_weight.data<T>(), input.data<T>(), grad_output.data<T>(), g, tuning);
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
