#include "cpu/conv.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <numeric>
#include <utility>
#include <vector>

namespace zengen::cpu {

ConvTuning& conv_tuning() {
  static ConvTuning tuning;
  return tuning;
}

namespace {

using Index = std::int64_t;

// ---- matrices over raw memory (row-major, leading dimension ld) ----

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MatrixMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using ConstMatrixMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T>
MatrixMap<T> matrix(T* p, Index rows, Index cols, Index ld) {
  return MatrixMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}
template <typename T>
ConstMatrixMap<T> matrix(const T* p, Index rows, Index cols, Index ld) {
  return ConstMatrixMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}

// ---- workspace ----

// Thread-local growing buffers: slot 0 holds a thread's column block, slot 1
// its partial weight gradient. OpenMP keeps its worker threads alive, so the
// buffers are reused from call to call; they grow to the largest request
// (a column block is bounded by conv_tuning().col_block_bytes unless one
// column of the patch is larger) and are freed when the thread ends.
template <typename T>
T* workspace(int slot, std::size_t count) {
  thread_local std::array<std::vector<T>, 2> buffers;
  std::vector<T>& b = buffers[static_cast<std::size_t>(slot)];
  if (b.size() < count) {
    std::vector<T>().swap(b);  // free first: never hold both
    b.resize(count);
  }
  return b.data();
}

// ---- index arithmetic ----

Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
Index ceil_div(Index a, Index b) { return -floor_div(-a, b); }

// Output columns ow in [lo, hi) read input column ow * stride + offset inside [0, in).
std::pair<Index, Index> valid_range(Index offset, Index stride, Index in, Index out) {
  const Index lo = std::clamp<Index>(-floor_div(offset, stride), 0, out);
  const Index hi = std::clamp<Index>(floor_div(in - 1 - offset, stride) + 1, lo, out);
  return {lo, hi};
}

// Calls f(oh, ow_begin, ow_end, at) for each run of output positions
// [p0, p1) that lies on one output row; `at` is the run's offset from p0.
template <typename F>
void for_each_run(Index out_w, Index p0, Index p1, F&& f) {
  Index p = p0;
  while (p < p1) {
    const Index oh = p / out_w, ow0 = p - oh * out_w;
    const Index ow1 = std::min(out_w, ow0 + (p1 - p));
    f(oh, ow0, ow1, p - p0);
    p += ow1 - ow0;
  }
}

// True when the column matrix is the input itself ([C, H W]): a 1x1 kernel
// with stride 1, no padding and the full output.
bool pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// Output positions per column block.
Index block_positions(const ConvGeometry& g, std::size_t element) {
  const Index P = g.positions();
  const Index row_bytes = std::max<Index>(1, g.patch() * static_cast<Index>(element));
  const Index fit = static_cast<Index>(conv_tuning().col_block_bytes) / row_bytes;
  return std::clamp<Index>(fit, std::min<Index>(P, 16), std::max<Index>(P, 1));
}

// ---- im2col / col2im on a block of output positions ----

// Fills the column block [(c_end - c_begin) kh kw, p1 - p0] of one image
// x [C, H, W]: row (c - c_begin, i, j), column p - p0 holds the input under
// tap (i, j) of the window of output position p (zero in the padding).
template <typename T>
void im2col(const T* x, T* col, const ConvGeometry& g, Index p0, Index p1, Index c_begin, Index c_end) {
  const Index len = p1 - p0, plane = g.in_h * g.in_w;
  for (Index c = c_begin; c < c_end; ++c)
    for (Index i = 0; i < g.kernel_h; ++i)
      for (Index j = 0; j < g.kernel_w; ++j) {
        T* dst = col + (((c - c_begin) * g.kernel_h + i) * g.kernel_w + j) * len;
        const Index off_h = i * g.dilation_h - g.pad_h, off_w = j * g.dilation_w - g.pad_w;
        const auto [lo, hi] = valid_range(off_w, g.stride_w, g.in_w, g.out_w);
        const Index sw = g.stride_w;
        for_each_run(g.out_w, p0, p1, [&](Index oh, Index ow0, Index ow1, Index at) {
          T* d = dst + at;  // d[ow - ow0]: this run's entry for output column ow
          const Index ih = oh * g.stride_h + off_h;
          if (ih < 0 || ih >= g.in_h) {
            std::fill(d, d + (ow1 - ow0), T(0));
            return;
          }
          const T* row = x + c * plane + ih * g.in_w;  // row[ow * sw + off_w] is x[c, ih, iw]
          const Index a = std::clamp(lo, ow0, ow1), b = std::clamp(hi, ow0, ow1);
          std::fill(d, d + (a - ow0), T(0));
          if (sw == 1) {
            for (Index ow = a; ow < b; ++ow) d[ow - ow0] = row[ow + off_w];
          } else {
            for (Index ow = a; ow < b; ++ow) d[ow - ow0] = row[ow * sw + off_w];
          }
          std::fill(d + (b - ow0), d + (ow1 - ow0), T(0));
        });
      }
}

// Adds a column block laid out as im2col's back into channels [c_begin,
// c_end) of the image x [C, H, W] (the adjoint of im2col). Channels never
// share memory, so disjoint channel ranges can run in parallel.
template <typename T>
void col2im(const T* col, T* x, const ConvGeometry& g, Index p0, Index p1, Index c_begin, Index c_end) {
  const Index len = p1 - p0, plane = g.in_h * g.in_w;
  for (Index c = c_begin; c < c_end; ++c)
    for (Index i = 0; i < g.kernel_h; ++i)
      for (Index j = 0; j < g.kernel_w; ++j) {
        const T* src = col + (((c - c_begin) * g.kernel_h + i) * g.kernel_w + j) * len;
        const Index off_h = i * g.dilation_h - g.pad_h, off_w = j * g.dilation_w - g.pad_w;
        const auto [lo, hi] = valid_range(off_w, g.stride_w, g.in_w, g.out_w);
        const Index sw = g.stride_w;
        for_each_run(g.out_w, p0, p1, [&](Index oh, Index ow0, Index ow1, Index at) {
          const Index ih = oh * g.stride_h + off_h;
          if (ih < 0 || ih >= g.in_h) return;
          const T* s = src + at;  // s[ow - ow0]: this run's entry for output column ow
          T* row = x + c * plane + ih * g.in_w;
          const Index a = std::clamp(lo, ow0, ow1), b = std::clamp(hi, ow0, ow1);
          if (sw == 1) {
            for (Index ow = a; ow < b; ++ow) row[ow + off_w] += s[ow - ow0];
          } else {
            for (Index ow = a; ow < b; ++ow) row[ow * sw + off_w] += s[ow - ow0];
          }
        });
      }
}

// ---- how a call uses the threads ----
//
// Each call opens at most one parallel region and splits independent work
// items across it; every GEMM inside runs single-threaded (Eigen does not
// thread inside a parallel region), so threads are never oversubscribed.
// Large batches split over images; when the batch does not divide evenly
// among the threads, each image is also split: forward by blocks of output
// positions, backward-data and backward-weight by groups of input channels
// (their outputs for different channels never overlap).

// Threads for a call: one when small, or already inside a parallel region.
int call_threads(const ConvGeometry& g) {
  if (omp_in_parallel() || g.flops() < conv_tuning().parallel_min_flops) return 1;
  return std::max(1, omp_get_max_threads());
}

// Parts to split each image into so that the batch spreads evenly over
// `threads` (1 when whole images already do).
Index parts_per_image(Index batch, int threads) {
  const Index t = threads;
  if (t <= 1 || batch % t == 0 || batch >= 4 * t) return 1;
  return t / std::gcd(batch, t);
}

// Sets each channel plane of an image [C, plane] to bias[c] (or zero).
template <typename T>
void fill_channels(T* x, const T* bias, Index C, Index plane) {
  for (Index c = 0; c < C; ++c) std::fill(x + c * plane, x + (c + 1) * plane, bias ? bias[c] : T(0));
}

// ---- the fast kernels ----

template <typename T>
void forward_fast(T* y, const T* x, const T* w, const T* bias, const ConvGeometry& g) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index image_in = C * g.in_h * g.in_w, image_out = O * P;
  if (g.batch * image_out == 0) return;
  if (K == 0) {
    for (Index n = 0; n < g.batch; ++n) fill_channels(y + n * image_out, bias, O, P);
    return;
  }
  const bool direct = pointwise(g);
  const int threads = call_threads(g);
  // Work items: (image, block of output positions).
  const Index blocks = std::max(ceil_div(P, block_positions(g, sizeof(T))), std::min(P, parts_per_image(g.batch, threads)));
  const Index pb = ceil_div(P, blocks);
  const auto W = matrix(w, O, K, K);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (Index item = 0; item < g.batch * blocks; ++item) {
    const Index n = item / blocks, p0 = item % blocks * pb, len = std::min(pb, P - p0);
    if (len <= 0) continue;
    const T* xn = x + n * image_in;
    T* yn = y + n * image_out;
    const T* cols = xn + p0;
    Index ld = P;
    if (!direct) {
      T* block = workspace<T>(0, static_cast<std::size_t>(K * len));
      im2col(xn, block, g, p0, p0 + len, 0, C);
      cols = block;
      ld = len;
    }
    auto Y = matrix(yn + p0, O, len, P);
    if (bias) {
      for (Index o = 0; o < O; ++o) std::fill(yn + o * P + p0, yn + o * P + p0 + len, bias[o]);
      Y.noalias() += W * matrix(cols, K, len, ld);
    } else {
      Y.noalias() = W * matrix(cols, K, len, ld);
    }
  }
}

template <typename T>
void backward_data_fast(T* gx, const T* gy, const T* w, const T* bias, const ConvGeometry& g) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index taps = g.kernel_h * g.kernel_w;
  const Index plane = g.in_h * g.in_w, image_in = C * plane, image_out = O * P;
  if (g.batch * image_in == 0) return;
  const bool direct = pointwise(g);
  const int threads = call_threads(g);
  // Work items: (image, group of input channels).
  const Index groups = std::min(C, parts_per_image(g.batch, threads));
  const Index cg = ceil_div(C, groups);
  const Index pb = block_positions(g, sizeof(T));
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (Index item = 0; item < g.batch * groups; ++item) {
    const Index n = item / groups, c0 = item % groups * cg, c1 = std::min(C, c0 + cg);
    if (c0 >= c1) continue;
    const T* gyn = gy + n * image_out;
    T* gxn = gx + n * image_in;
    fill_channels(gxn + c0 * plane, bias ? bias + c0 : nullptr, c1 - c0, plane);
    if (K == 0 || P == 0 || O == 0) continue;
    // This group's columns of the weight [O, K]: [O, (c1 - c0) taps].
    const Index rows = (c1 - c0) * taps;
    const auto Wg = matrix(w + c0 * taps, O, rows, K);
    for (Index p0 = 0; p0 < P; p0 += pb) {
      const Index len = std::min(pb, P - p0);
      const auto G = matrix(gyn + p0, O, len, P);
      if (direct) {
        matrix(gxn + c0 * plane + p0, rows, len, P).noalias() += Wg.transpose() * G;
      } else {
        T* block = workspace<T>(0, static_cast<std::size_t>(rows * len));
        matrix(block, rows, len, len).noalias() = Wg.transpose() * G;
        col2im(block, gxn, g, p0, p0 + len, c0, c1);
      }
    }
  }
}

template <typename T>
void backward_weight_fast(T* gw, const T* x, const T* gy, const ConvGeometry& g) {
  const Index O = g.out_channels, K = g.patch(), P = g.positions(), C = g.in_channels;
  const Index taps = g.kernel_h * g.kernel_w;
  const Index image_in = C * g.in_h * g.in_w, image_out = O * P, size = O * K;
  if (size == 0) return;
  const bool direct = pointwise(g);
  const int threads = call_threads(g);
  const Index pb = block_positions(g, sizeof(T));
  // acc [O, (c1 - c0) taps] (leading dimension K) += image n's grad_output
  // x its columns for channels [c0, c1).
  auto accumulate = [&](T* acc, Index n, Index c0, Index c1) {
    const T* xn = x + n * image_in;
    const T* gyn = gy + n * image_out;
    const Index rows = (c1 - c0) * taps;
    auto A = matrix(acc + c0 * taps, O, rows, K);
    for (Index p0 = 0; p0 < P; p0 += pb) {
      const Index len = std::min(pb, P - p0);
      const T* cols = xn + c0 * P + p0;  // pointwise: input rows are the columns
      Index ld = P;
      if (!direct) {
        T* block = workspace<T>(0, static_cast<std::size_t>(rows * len));
        im2col(xn, block, g, p0, p0 + len, c0, c1);
        cols = block;
        ld = len;
      }
      A.noalias() += matrix(gyn + p0, O, len, P) * matrix(cols, rows, len, ld).transpose();
    }
  };
  if (parts_per_image(g.batch, threads) > 1 && C > 1) {
    // Few images: split the weight gradient's columns by input channel;
    // each group goes through every image.
    const Index groups = std::min<Index>(C, threads), cg = ceil_div(C, groups);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (Index group = 0; group < groups; ++group) {
      const Index c0 = group * cg, c1 = std::min(C, c0 + cg);
      if (c0 >= c1) continue;
      for (Index o = 0; o < O; ++o) std::fill(gw + o * K + c0 * taps, gw + o * K + c1 * taps, T(0));
      for (Index n = 0; n < g.batch; ++n) accumulate(gw, n, c0, c1);
    }
    return;
  }
  if (threads <= 1) {
    std::fill(gw, gw + size, T(0));
    for (Index n = 0; n < g.batch; ++n) accumulate(gw, n, 0, C);
    return;
  }
  // Many images: each thread sums its images into its own buffer (thread 0
  // straight into gw), then the buffers are added into gw, each thread
  // taking a slice.
  constexpr int kMaxThreads = 256;
  std::array<T*, kMaxThreads> partial{};
#pragma omp parallel num_threads(std::min(threads, kMaxThreads))
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    T* acc = t == 0 ? gw : workspace<T>(1, static_cast<std::size_t>(size));
    partial[static_cast<std::size_t>(t)] = acc;
    std::fill(acc, acc + size, T(0));
#pragma omp for schedule(static)
    for (Index n = 0; n < g.batch; ++n) accumulate(acc, n, 0, C);
    // (the loop's implicit barrier: every partial sum is complete)
    const Index begin = size * t / nt, end = size * (t + 1) / nt;
    for (int u = 1; u < nt; ++u) {
      const T* src = partial[static_cast<std::size_t>(u)];
      for (Index e = begin; e < end; ++e) gw[e] += src[e];
    }
  }
}

// ---- the plain-loop references ----

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

template <typename T>
const T* optional_data(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

// ---- entry points: dtype dispatch ----

void conv2d_forward(const Tensor& output, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvGeometry& g) {
  dispatch_floating(output.dtype(), "conv2d", [&]<typename T>() {
    forward_fast(output.data<T>(), input.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_data(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const ConvGeometry& g) {
  dispatch_floating(grad_input.dtype(), "conv2d backward (input)", [&]<typename T>() {
    backward_data_fast(grad_input.data<T>(), grad_output.data<T>(), weight.data<T>(), optional_data<T>(bias), g);
  });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const ConvGeometry& g) {
  dispatch_floating(grad_weight.dtype(), "conv2d backward (weight)", [&]<typename T>() {
    backward_weight_fast(grad_weight.data<T>(), input.data<T>(), grad_output.data<T>(), g);
  });
}

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

}  // namespace zengen::cpu
