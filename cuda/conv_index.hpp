// Internal: the index math of the implicit-GEMM convolution kernels, as
// plain host/device C++ (no CUDA header), so that a CPU test can run the very
// same mappings through a naive GEMM loop and compare with the CPU
// convolution (tests/ops/conv_implicit_gemm.cpp).
//
// Each direction of conv2d is one matrix product C[M, N] = A[M, K] B[K, N]
// whose operands are never materialised: a "problem" struct says which
// tensor element A(m, k) and B(k, n) are, and where C(m, n) goes.
//
//   direction        M             N                      K
//   forward          out_channels  batch * out_h * out_w  in_channels * kh * kw
//   backward_data    in_channels   batch * Hq * Wq        out_channels * Ti * Tj   (one stride phase)
//   backward_weight  out_channels  in_channels * kh * kw  batch * out_h * out_w
//
// The gathered operand is always an image read at (position + tap): a
// Position names an image plane base and a top-left corner (h0, w0), a Tap
// a channel offset and a shift (dh, dw); the element is zero outside the
// plane (the padding). The kernel decodes a thread's fixed B index once and
// the moving one per k step.
//
// backward_data would waste most of its work on a stride > 1: an input row
// h receives only the kernel rows i with (h + pad - i * dilation) divisible
// by the stride. So it is split into stride_h * stride_w phases: phase
// (rh, rw) covers the inputs with (h + pad_h) % stride_h == rh (and the same
// for w), and only the taps i with (i * dilation_h) % stride_h == rh, which
// form an arithmetic progression i0 + t * (stride / gcd(stride, dilation)).
// Every tap of a phase then hits a whole output row: ho = (h + pad - i d) / s
// exactly, with no divisibility test in the inner loop.
//
// Everything is int32: the launchers check that each tensor has fewer than
// 2^31 elements.
#pragma once

#include "zengen/core/host_device.hpp"

namespace zengen::cuda::conv_gemm {

/// One conv2d (input [N, C, H, W], weight [O, C, kh, kw], output
/// [N, O, out_h, out_w]); out_h/out_w may be smaller than the size rule
/// gives, as in cpu::ConvGeometry.
struct Geometry {
  int batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  int out_channels = 0, kernel_h = 0, kernel_w = 0, out_h = 0, out_w = 0;
  int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
};

/// A shift far outside any plane: marks a padding row/column of a tile
/// (index >= M, N or K), so the bounds test of gather() yields 0. Two of
/// them added stay far from int32 overflow.
inline constexpr int kOutside = -(1 << 28);

struct Position {
  int base, h0, w0;
};
struct Tap {
  int offset, dh, dw;
};

/// The element of planes of rows x cols at (p.h0 + t.dh, p.w0 + t.dw), or 0
/// outside the plane.
ZENGEN_HOST_DEVICE float gather(const float* src, Position p, Tap t, int rows, int cols) {
  const int h = p.h0 + t.dh, w = p.w0 + t.dw;
  const bool inside = static_cast<unsigned>(h) < static_cast<unsigned>(rows) &&
                      static_cast<unsigned>(w) < static_cast<unsigned>(cols);
  return inside ? src[p.base + t.offset + h * cols + w] : 0.0f;
}

/// A patch of an image seen from an output position (img, ho, wo) of a
/// convolution: base of image img in [N, C, H, W], corner ho * s - p.
ZENGEN_HOST_DEVICE Position output_position(const Geometry& g, int index, int positions) {
  if (index < 0) return {0, kOutside, kOutside};
  const int img = index / positions, p = index - img * positions;
  const int ho = p / g.out_w, wo = p - ho * g.out_w;
  return {img * g.in_channels * g.in_h * g.in_w, ho * g.stride_h - g.pad_h, wo * g.stride_w - g.pad_w};
}

/// A weight tap (c, i, j) of the patch index c * kh * kw + i * kw + j.
ZENGEN_HOST_DEVICE Tap weight_tap(const Geometry& g, int index) {
  if (index < 0) return {0, kOutside, kOutside};
  const int taps = g.kernel_h * g.kernel_w;
  const int c = index / taps, r = index - c * taps;
  const int i = r / g.kernel_w, j = r - i * g.kernel_w;
  return {c * g.in_h * g.in_w, i * g.dilation_h, j * g.dilation_w};
}

/// forward: output = conv(input, weight) + bias.
struct ForwardProblem {
  Geometry g;
  const float* input;
  const float* weight;
  const float* bias;  // [O] or null
  float* output;
  int M, N, K, positions;

  using Row = Tap;          // B's row k: a weight tap
  using Column = Position;  // B's column n: an output position

  ZENGEN_HOST_DEVICE float a(int m, int k) const { return (m < M && k < K) ? weight[m * K + k] : 0.0f; }
  ZENGEN_HOST_DEVICE Row row(int k) const { return weight_tap(g, k < K ? k : -1); }
  ZENGEN_HOST_DEVICE Column column(int n) const { return output_position(g, n < N ? n : -1, positions); }
  ZENGEN_HOST_DEVICE float b(Row r, Column c) const { return gather(input, c, r, g.in_h, g.in_w); }
  ZENGEN_HOST_DEVICE int out_row(int m) const { return m * positions; }
  ZENGEN_HOST_DEVICE int out_column(int n) const {
    const int img = n / positions;
    return img * M * positions + (n - img * positions);
  }
  ZENGEN_HOST_DEVICE float bias_of(int m) const { return bias ? bias[m] : 0.0f; }
};

/// The taps of one kernel dim that reach the inputs of phase r (those with
/// (x + pad) % stride == r): i = first + t * step for t < count.
struct PhaseTaps {
  int first = 0, step = 1, count = 0;
};
/// The inputs of phase r along one dim: x = first + t * stride for t < count.
struct PhaseInputs {
  int first = 0, count = 0;
};

inline int gcd_int(int a, int b) {
  while (b != 0) {
    const int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

inline PhaseTaps phase_taps(int kernel, int stride, int dilation, int r) {
  PhaseTaps t;
  t.step = stride / gcd_int(stride, dilation);
  t.first = -1;
  for (int i = 0; i < t.step && i < kernel; ++i)
    if ((i * dilation) % stride == r) {
      t.first = i;
      break;
    }
  t.count = t.first < 0 ? 0 : (kernel - 1 - t.first) / t.step + 1;
  if (t.first < 0) t.first = 0;
  return t;
}

inline PhaseInputs phase_inputs(int size, int stride, int pad, int r) {
  PhaseInputs p;
  p.first = ((r - pad) % stride + stride) % stride;
  p.count = p.first < size ? (size - 1 - p.first) / stride + 1 : 0;
  return p;
}

/// backward_data, one stride phase: grad_input = conv^T(grad_output, weight)
/// (+ bias per input channel: conv_transpose2d's bias).
struct BackwardDataProblem {
  Geometry g;
  const float* grad_output;
  const float* weight;
  const float* bias;  // [C] or null
  float* grad_input;
  int M, N, K;
  int rh, rw;                 // the phase
  PhaseTaps taps_h, taps_w;   // the kernel rows/columns of this phase
  PhaseInputs in_h, in_w;     // the input rows/columns of this phase
  int row0_h, row0_w;         // (first input + pad - r) / stride: output row of the first input at tap shift 0

  using Row = Tap;          // B's row k: (output channel, phase tap)
  using Column = Position;  // B's column n: an input position of the phase

  ZENGEN_HOST_DEVICE void decode_k(int k, int& o, int& i, int& j) const {
    const int per_channel = taps_h.count * taps_w.count;
    o = k / per_channel;
    const int r = k - o * per_channel;
    const int ti = r / taps_w.count;
    i = taps_h.first + ti * taps_h.step;
    j = taps_w.first + (r - ti * taps_w.count) * taps_w.step;
  }
  ZENGEN_HOST_DEVICE float a(int m, int k) const {
    if (m >= M || k >= K) return 0.0f;
    int o, i, j;
    decode_k(k, o, i, j);
    return weight[((o * g.in_channels + m) * g.kernel_h + i) * g.kernel_w + j];
  }
  ZENGEN_HOST_DEVICE Row row(int k) const {
    if (k >= K) return {0, kOutside, kOutside};
    int o, i, j;
    decode_k(k, o, i, j);
    // ho = (h + pad - i d) / s = row0 + t - (i d - r) / s, exactly.
    return {o * g.out_h * g.out_w, -((i * g.dilation_h - rh) / g.stride_h), -((j * g.dilation_w - rw) / g.stride_w)};
  }
  ZENGEN_HOST_DEVICE Column column(int n) const {
    if (n >= N) return {0, kOutside, kOutside};
    const int plane = in_h.count * in_w.count;
    const int img = n / plane, r = n - img * plane;
    const int th = r / in_w.count, tw = r - th * in_w.count;
    return {img * g.out_channels * g.out_h * g.out_w, row0_h + th, row0_w + tw};
  }
  ZENGEN_HOST_DEVICE float b(Row r, Column c) const { return gather(grad_output, c, r, g.out_h, g.out_w); }
  ZENGEN_HOST_DEVICE int out_row(int m) const { return m * g.in_h * g.in_w; }
  ZENGEN_HOST_DEVICE int out_column(int n) const {
    const int plane = in_h.count * in_w.count;
    const int img = n / plane, r = n - img * plane;
    const int th = r / in_w.count, tw = r - th * in_w.count;
    const int h = in_h.first + th * g.stride_h, w = in_w.first + tw * g.stride_w;
    return img * g.in_channels * g.in_h * g.in_w + h * g.in_w + w;
  }
  ZENGEN_HOST_DEVICE float bias_of(int m) const { return bias ? bias[m] : 0.0f; }
};

/// The backward_data problem of phase (rh, rw); M, N or K may be 0 (a phase
/// with no inputs is skipped; one with no taps writes just the bias).
inline BackwardDataProblem backward_data_phase(const Geometry& g, const float* grad_output, const float* weight,
                                               const float* bias, float* grad_input, int rh, int rw) {
  BackwardDataProblem p{};
  p.g = g;
  p.grad_output = grad_output;
  p.weight = weight;
  p.bias = bias;
  p.grad_input = grad_input;
  p.rh = rh;
  p.rw = rw;
  p.taps_h = phase_taps(g.kernel_h, g.stride_h, g.dilation_h, rh);
  p.taps_w = phase_taps(g.kernel_w, g.stride_w, g.dilation_w, rw);
  p.in_h = phase_inputs(g.in_h, g.stride_h, g.pad_h, rh);
  p.in_w = phase_inputs(g.in_w, g.stride_w, g.pad_w, rw);
  // first + pad - r is a non-negative multiple of the stride by construction.
  p.row0_h = (p.in_h.first + g.pad_h - rh) / g.stride_h;
  p.row0_w = (p.in_w.first + g.pad_w - rw) / g.stride_w;
  p.M = g.in_channels;
  p.N = g.batch * p.in_h.count * p.in_w.count;
  p.K = g.out_channels * p.taps_h.count * p.taps_w.count;
  return p;
}

/// backward_weight: grad_weight = sum over images and output positions of
/// grad_output x input patch. Split over K by the launcher (partial sums
/// added atomically into a zeroed grad_weight).
struct BackwardWeightProblem {
  Geometry g;
  const float* input;
  const float* grad_output;
  float* grad_weight;
  int M, N, K, positions;

  using Row = Position;  // B's row k: an output position
  using Column = Tap;    // B's column n: a weight tap

  ZENGEN_HOST_DEVICE float a(int m, int k) const {
    if (m >= M || k >= K) return 0.0f;
    const int img = k / positions;
    return grad_output[(img * M + m) * positions + (k - img * positions)];
  }
  ZENGEN_HOST_DEVICE Row row(int k) const { return output_position(g, k < K ? k : -1, positions); }
  ZENGEN_HOST_DEVICE Column column(int n) const { return weight_tap(g, n < N ? n : -1); }
  ZENGEN_HOST_DEVICE float b(Row r, Column c) const { return gather(input, r, c, g.in_h, g.in_w); }
  ZENGEN_HOST_DEVICE int out_row(int m) const { return m * N; }
  ZENGEN_HOST_DEVICE int out_column(int n) const { return n; }
  ZENGEN_HOST_DEVICE float bias_of(int) const { return 0.0f; }
};

inline ForwardProblem forward_problem(const Geometry& g, const float* input, const float* weight, const float* bias,
                                      float* output) {
  const int positions = g.out_h * g.out_w;
  return {g, input, weight, bias, output, g.out_channels, g.batch * positions,
          g.in_channels * g.kernel_h * g.kernel_w, positions};
}

inline BackwardWeightProblem backward_weight_problem(const Geometry& g, const float* input, const float* grad_output,
                                                     float* grad_weight) {
  const int positions = g.out_h * g.out_w;
  return {g, input, grad_output, grad_weight, g.out_channels, g.in_channels * g.kernel_h * g.kernel_w,
          g.batch * positions, positions};
}

}  // namespace zengen::cuda::conv_gemm
