#include "cpu/normalization.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "cpu/loops.hpp"
#include "kernels/functors.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
namespace {

struct Layout {
  std::int64_t n, c, s;  // x as [N, C, S]
  std::int64_t count() const { return n * s; }  // values per channel
};

Layout layout_of(const Tensor& x) {
  Layout l{x.size(0), x.size(1), 1};
  for (std::int64_t d = 2; d < x.dim(); ++d) l.s *= x.size(d);
  return l;
}

// Runs f(c) for every channel, split across threads when the tensor is large.
template <typename F>
void for_channels(const Layout& l, F&& f) {
  const int threads = static_cast<int>(std::min<std::int64_t>(threads_for(l.n * l.c * l.s), l.c));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (std::int64_t c = 0; c < l.c; ++c) f(c);
}

template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Small planes (BatchNorm1d's [N, C]: one value; DCGAN's 4x4 maps: 16):
// walking one channel through the batch would read a few values from each
// of N rows far apart and reduce them row by row. Instead each thread takes
// a range of channels, whose values in one image are contiguous, walks the
// batch once accumulating per (channel, position) in vectors, and reduces
// each channel's positions at the end.
constexpr std::int64_t kSmallPlane = 64;

// Values per image of one block of channels: the per-position accumulators
// of a block (doubles) stay in L1.
constexpr std::int64_t kBlockValues = 512;

// Runs f(c0, c1) on each thread's range of channels, a block at a time.
template <typename F>
void for_channel_ranges(const Layout& l, F&& f) {
  const int threads = static_cast<int>(std::min<std::int64_t>(threads_for(l.n * l.c * l.s), l.c));
  const std::int64_t step = std::max<std::int64_t>(1, kBlockValues / l.s);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t c0 = l.c * t / nt, c1 = l.c * (t + 1) / nt;
    for (std::int64_t b = c0; b < c1; b += step) f(b, std::min(c1, b + step));
  }
}

// The sums over positions [j0, j0 + count) of two per-position partial sums.
struct PairSum {
  double a = 0.0, b = 0.0;
};
PairSum sum_positions(const double* a, const double* b, std::int64_t j0, std::int64_t count) {
  PairSum r;
  for (std::int64_t i = j0; i < j0 + count; ++i) {
    r.a += a[i];
    r.b += b[i];
  }
  return r;
}

// Thread-local scratch vectors, reused from call to call.
template <typename T>
T* scratch(std::size_t slot, std::size_t count) {
  thread_local std::vector<T> buffers[4];
  std::vector<T>& b = buffers[slot];
  if (b.size() < count) b.resize(count);
  return b.data();
}

// A channel's statistics from the sums of (x - shift) and its square over
// its m values; writes mean, var and invstd, and returns the output's scale
// and offset: y = (x - mean) scale + offset. (Folding the mean into the
// offset, x scale + (offset - mean scale), would cancel when |mean| >> std.)
template <typename T>
struct ChannelAffine {
  T centre, scale, offset;
};
template <typename T>
ChannelAffine<T> channel_statistics(double shift, double sum, double squares, double m, double eps, const T* w,
                                    const T* b, std::int64_t c, T* mean, T* var, T* invstd) {
  const double centred = sum / m;
  const double v = std::max(squares / m - centred * centred, 0.0);
  const double mu = shift + centred, inv = 1.0 / std::sqrt(v + eps);
  mean[c] = static_cast<T>(mu);
  var[c] = static_cast<T>(v);
  invstd[c] = static_cast<T>(inv);
  return {mean[c], static_cast<T>(inv * (w ? static_cast<double>(w[c]) : 1.0)), b ? b[c] : T(0)};
}

// The output's activation: none, or leaky_relu fused into the output pass.
struct Identity {
  template <typename T>
  T operator()(T v) const {
    return v;
  }
};

template <typename T, typename Act>
void forward(const Tensor& y_t, const Tensor& mean_t, const Tensor& var_t, const Tensor& invstd_t, const Tensor& x_t,
             const Tensor& weight_t, const Tensor& bias_t, double eps, Act act) {
  const Layout l = layout_of(x_t);
  const T* x = x_t.data<T>();
  const T* w = data_or_null<T>(weight_t);
  const T* b = data_or_null<T>(bias_t);
  T* y = y_t.data<T>();
  T* mean = mean_t.data<T>();
  T* var = var_t.data<T>();
  T* invstd = invstd_t.data<T>();
  const double m = static_cast<double>(l.count());
  // Sums of (x - shift) and its square, shifted by the channel's first
  // value so that E[x^2] - E[x]^2 does not cancel when |mean| >> std.
  if (l.s < kSmallPlane && l.n > 1) {
    for_channel_ranges(l, [&](std::int64_t c0, std::int64_t c1) {
      const std::int64_t width = (c1 - c0) * l.s;  // the range's values in one image
      const auto count = static_cast<std::size_t>(width);
      double* shift = scratch<double>(0, count);
      double* sum = scratch<double>(1, count);
      double* squares = scratch<double>(2, count);
      for (std::int64_t j = 0; j < width; ++j) {
        shift[j] = static_cast<double>(x[(c0 + j / l.s) * l.s]);
        sum[j] = squares[j] = 0.0;
      }
      for (std::int64_t n = 0; n < l.n; ++n) {
        const T* row = x + (n * l.c + c0) * l.s;
#pragma omp simd
        for (std::int64_t j = 0; j < width; ++j) {
          const double d = static_cast<double>(row[j]) - shift[j];
          sum[j] += d;
          squares[j] += d * d;
        }
      }
      T* affine = scratch<T>(3, 3 * count);  // centre, scale, offset per value
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t j0 = (c - c0) * l.s;
        const PairSum sums = sum_positions(sum, squares, j0, l.s);
        const auto a = channel_statistics(shift[j0], sums.a, sums.b, m, eps, w, b, c, mean, var, invstd);
        for (std::int64_t i = 0; i < l.s; ++i) {
          affine[j0 + i] = a.centre;
          affine[width + j0 + i] = a.scale;
          affine[2 * width + j0 + i] = a.offset;
        }
      }
      const T *centre = affine, *scale = affine + width, *offset = affine + 2 * width;
      for (std::int64_t n = 0; n < l.n; ++n) {
        const T* row = x + (n * l.c + c0) * l.s;
        T* out = y + (n * l.c + c0) * l.s;
#pragma omp simd
        for (std::int64_t j = 0; j < width; ++j) out[j] = act((row[j] - centre[j]) * scale[j] + offset[j]);
      }
    });
    return;
  }
  for_channels(l, [&](std::int64_t c) {
    const double shift = static_cast<double>(x[c * l.s]);
    double sum = 0.0, squares = 0.0;
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
#pragma omp simd reduction(+ : sum, squares)
      for (std::int64_t i = 0; i < l.s; ++i) {
        const double d = static_cast<double>(row[i]) - shift;
        sum += d;
        squares += d * d;
      }
    }
    const auto a = channel_statistics(shift, sum, squares, m, eps, w, b, c, mean, var, invstd);
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      T* out = y + (n * l.c + c) * l.s;
#pragma omp simd
      for (std::int64_t i = 0; i < l.s; ++i) out[i] = act((row[i] - a.centre) * a.scale + a.offset);
    }
  });
}

// A channel's gradient: grad_bias = sum g, grad_weight = sum g (x - mean)
// invstd, and grad_x = g k1 + (x - mean) k2 + k3 with
//   k1 = weight invstd, k2 = -weight invstd^3 sum_gx / M,
//   k3 = -weight invstd sum_g / M;
// returns (k1, k2, k3).
template <typename T>
std::array<T, 3> channel_gradients(double sum_g, double sum_gx, double m, const T* w, const T* invstd,
                                   std::int64_t c, T* gw, T* gb) {
  const double inv = static_cast<double>(invstd[c]);
  if (gb) gb[c] = static_cast<T>(sum_g);
  if (gw) gw[c] = static_cast<T>(sum_gx * inv);
  const double k1 = (w ? static_cast<double>(w[c]) : 1.0) * inv;
  return {static_cast<T>(k1), static_cast<T>(-k1 * inv * inv * sum_gx / m), static_cast<T>(-k1 * sum_g / m)};
}

// With a fused activation the incoming gradient first goes through
// leaky_relu's: g (pre > 0 ? 1 : slope), the pre-activation output
// (x - mean) scale + offset recomputed from x rather than read.
// The sums pass first writes a row's activated gradients to a small buffer
// (a select loop GCC vectorises), then reduces the buffer as without an
// activation: a select inside the double reductions stays scalar.
template <typename T, bool kActivated>
struct OutputGradient {
  double slope;
  T operator()(T g, T centred, T scale, T offset) const {
    if constexpr (kActivated)
      return functors::LeakyReLUBackward{slope}(g, centred * scale + offset);
    else
      return g;
  }
};

template <typename T, bool kActivated>
void backward(const Tensor& gx_t, const Tensor& gw_t, const Tensor& gb_t, const Tensor& gy_t, const Tensor& x_t,
              const Tensor& weight_t, const Tensor& bias_t, const Tensor& mean_t, const Tensor& invstd_t,
              double slope) {
  const Layout l = layout_of(x_t);
  const T* x = x_t.data<T>();
  const T* gy = gy_t.data<T>();
  const T* w = data_or_null<T>(weight_t);
  const T* b = data_or_null<T>(bias_t);
  const T* mean = mean_t.data<T>();
  const T* invstd = invstd_t.data<T>();
  const OutputGradient<T, kActivated> output_grad{slope};
  // The forward's output scale and offset of channel c.
  const auto scale_of = [&](std::int64_t c) {
    return static_cast<T>(static_cast<double>(invstd[c]) * (w ? static_cast<double>(w[c]) : 1.0));
  };
  const auto offset_of = [&](std::int64_t c) { return b ? b[c] : T(0); };
  T* gx = gx_t.defined() ? gx_t.data<T>() : nullptr;
  T* gw = gw_t.defined() ? gw_t.data<T>() : nullptr;
  T* gb = gb_t.defined() ? gb_t.data<T>() : nullptr;
  const double m = static_cast<double>(l.count());
  if (l.s < kSmallPlane && l.n > 1) {  // as in forward
    for_channel_ranges(l, [&](std::int64_t c0, std::int64_t c1) {
      const std::int64_t width = (c1 - c0) * l.s;
      const auto count = static_cast<std::size_t>(width);
      double* sum_g = scratch<double>(0, count);
      double* sum_gx = scratch<double>(1, count);
      T* coef = scratch<T>(3, 6 * count);  // mean, k1, k2, k3, and the output's scale and offset, per value
      T* mu = coef;
      T *out_scale = coef + 4 * width, *out_offset = coef + 5 * width;
      for (std::int64_t j = 0; j < width; ++j) {
        mu[j] = mean[c0 + j / l.s];
        sum_g[j] = sum_gx[j] = 0.0;
        if constexpr (kActivated) {
          out_scale[j] = scale_of(c0 + j / l.s);
          out_offset[j] = offset_of(c0 + j / l.s);
        }
      }
      T* activated = kActivated ? scratch<T>(2, count) : nullptr;  // one row's gradients through the activation
      for (std::int64_t n = 0; n < l.n; ++n) {
        const T* row = x + (n * l.c + c0) * l.s;
        const T* grow = gy + (n * l.c + c0) * l.s;
        if constexpr (kActivated) {
#pragma omp simd
          for (std::int64_t j = 0; j < width; ++j)
            activated[j] = output_grad(grow[j], row[j] - mu[j], out_scale[j], out_offset[j]);
          grow = activated;
        }
#pragma omp simd
        for (std::int64_t j = 0; j < width; ++j) {
          const double g = static_cast<double>(grow[j]);
          sum_g[j] += g;
          sum_gx[j] += g * static_cast<double>(row[j] - mu[j]);
        }
      }
      T *k1 = coef + width, *k2 = coef + 2 * width, *k3 = coef + 3 * width;
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t j0 = (c - c0) * l.s;
        const PairSum sums = sum_positions(sum_g, sum_gx, j0, l.s);
        const auto k = channel_gradients(sums.a, sums.b, m, w, invstd, c, gw, gb);
        for (std::int64_t i = 0; i < l.s; ++i) {
          k1[j0 + i] = k[0];
          k2[j0 + i] = k[1];
          k3[j0 + i] = k[2];
        }
      }
      if (!gx) return;
      for (std::int64_t n = 0; n < l.n; ++n) {
        const T* row = x + (n * l.c + c0) * l.s;
        const T* grow = gy + (n * l.c + c0) * l.s;
        T* out = gx + (n * l.c + c0) * l.s;
#pragma omp simd
        for (std::int64_t j = 0; j < width; ++j) {
          const T centred = row[j] - mu[j];
          out[j] = output_grad(grow[j], centred, out_scale[j], out_offset[j]) * k1[j] + centred * k2[j] + k3[j];
        }
      }
    });
    return;
  }
  for_channels(l, [&](std::int64_t c) {
    const T mu_t = mean[c];
    const T scale = kActivated ? scale_of(c) : T(0), offset = kActivated ? offset_of(c) : T(0);
    double sum_g = 0.0, sum_gx = 0.0;  // sum of g, and of g (x - mean)
    T* activated = kActivated ? scratch<T>(2, static_cast<std::size_t>(l.s)) : nullptr;
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      const T* grow = gy + (n * l.c + c) * l.s;
      if constexpr (kActivated) {
#pragma omp simd
        for (std::int64_t i = 0; i < l.s; ++i) activated[i] = output_grad(grow[i], row[i] - mu_t, scale, offset);
        grow = activated;
      }
#pragma omp simd reduction(+ : sum_g, sum_gx)
      for (std::int64_t i = 0; i < l.s; ++i) {
        const double g = static_cast<double>(grow[i]);
        sum_g += g;
        sum_gx += g * static_cast<double>(row[i] - mu_t);
      }
    }
    const auto k = channel_gradients(sum_g, sum_gx, m, w, invstd, c, gw, gb);
    if (!gx) return;
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      const T* grow = gy + (n * l.c + c) * l.s;
      T* out = gx + (n * l.c + c) * l.s;
#pragma omp simd
      for (std::int64_t i = 0; i < l.s; ++i) {
        const T centred = row[i] - mu_t;
        out[i] = output_grad(grow[i], centred, scale, offset) * k[0] + centred * k[1] + k[2];
      }
    }
  });
}

}  // namespace

void batch_norm_forward(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& invstd,
                        const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                        std::optional<double> leaky_slope) {
  dispatch_floating(x.dtype(), "batch_norm", [&]<typename T>() {
    if (!leaky_slope)
      forward<T>(y, mean, var, invstd, x, weight, bias, eps, Identity{});
    else if (*leaky_slope == 0.0)  // ReLU's own functor: +0, not -0, below zero
      forward<T>(y, mean, var, invstd, x, weight, bias, eps, functors::ReLU{});
    else
      forward<T>(y, mean, var, invstd, x, weight, bias, eps, functors::LeakyReLU{*leaky_slope});
  });
}

void batch_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_y, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         const Tensor& mean, const Tensor& invstd, std::optional<double> leaky_slope) {
  dispatch_floating(x.dtype(), "batch_norm backward", [&]<typename T>() {
    if (leaky_slope)
      backward<T, true>(grad_x, grad_weight, grad_bias, grad_y, x, weight, bias, mean, invstd, *leaky_slope);
    else
      backward<T, false>(grad_x, grad_weight, grad_bias, grad_y, x, weight, bias, mean, invstd, 0.0);
  });
}

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
