// The convolution's grouped path (see conv_grouped.hpp): several images
// with few output positions each per GEMM.
#include "cpu/conv_grouped.hpp"

#include <algorithm>

#include "cpu/conv_gemm.hpp"
#include "cpu/conv_im2col.hpp"
#include "cpu/conv_threads.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail {

template <typename T>
void forward_grouped(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g, Index group, int threads,
                     GemmKernel kernel) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions();
  const Index image_in = g.in_channels * g.in_h * g.in_w;
  for_items(ceil_div(g.batch, group), threads, [&](Index item) {
    const Index n0 = item * group, count = std::min(group, g.batch - n0), width = count * P;
    T* cols = workspace<T>(kColumns, static_cast<std::size_t>(K * width));
    for (Index n = 0; n < count; ++n) columns_into(cols + n * P, width, x + (n0 + n) * image_in, g, 0, P, 0, g.in_channels);
    T* out = workspace<T>(kGathered, static_cast<std::size_t>(O * width));
    gemm(O, width, K, w, K, Index{1}, static_cast<const T*>(cols), width, Index{1}, false, out, width, kernel);
    scatter_images(y, static_cast<const T*>(out), bias, n0, count, O, P);
  });
}

template <typename T>
void backward_data_grouped(T* gx, const T* gy, const TransposedWeight<T>& wt, const T* bias, const ConvGeometry& g,
                           Index group, int threads) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index plane = g.in_h * g.in_w;
  for_items(ceil_div(g.batch, group), threads, [&](Index item) {
    const Index n0 = item * group, count = std::min(group, g.batch - n0), width = count * P;
    T* grads = workspace<T>(kGathered, static_cast<std::size_t>(O * width));
    gather_images(grads, gy, n0, count, O, P);
    T* block = workspace<T>(kColumns, static_cast<std::size_t>(K * width));
    wt.multiply(0, K, width, O, grads, width, false, block, width);
    for (Index n = 0; n < count; ++n) {
      T* gxn = gx + (n0 + n) * C * plane;
      fill_channels(gxn, bias, C, plane);
      add_columns(static_cast<const T*>(block) + n * P, width, gxn, g, 0, P, 0, C);
    }
  });
}

template <typename T>
void accumulate_weight_grouped(T* acc, const T* x, const T* gy, const ConvGeometry& g, Index n0, Index count,
                               GemmKernel kernel) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), width = count * P;
  const Index image_in = g.in_channels * g.in_h * g.in_w;
  T* cols = workspace<T>(kColumns, static_cast<std::size_t>(K * width));
  for (Index n = 0; n < count; ++n) columns_into(cols + n * P, width, x + (n0 + n) * image_in, g, 0, P, 0, g.in_channels);
  T* grads = workspace<T>(kGathered, static_cast<std::size_t>(O * width));
  gather_images(grads, gy, n0, count, O, P);
  gemm(O, K, width, static_cast<const T*>(grads), width, Index{1}, static_cast<const T*>(cols), Index{1}, width, true,
       acc, K, kernel);
}

// The two dtypes the entry points dispatch to.
template void forward_grouped<float>(float*, const float*, const float*, const float*, const ConvGeometry&, Index, int,
                                     GemmKernel);
template void backward_data_grouped<float>(float*, const float*, const TransposedWeight<float>&, const float*,
                                           const ConvGeometry&, Index, int);
template void accumulate_weight_grouped<float>(float*, const float*, const float*, const ConvGeometry&, Index, Index,
                                               GemmKernel);
template void forward_grouped<double>(double*, const double*, const double*, const double*, const ConvGeometry&,
                                      Index, int, GemmKernel);
template void backward_data_grouped<double>(double*, const double*, const TransposedWeight<double>&, const double*,
                                            const ConvGeometry&, Index, int);
template void accumulate_weight_grouped<double>(double*, const double*, const double*, const ConvGeometry&, Index,
                                                Index, GemmKernel);

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS::conv_detail
