#include "cpu/normalization.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>

#include "cpu/loops.hpp"

namespace zengen::cpu {
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

template <typename T>
void forward(const Tensor& y_t, const Tensor& mean_t, const Tensor& var_t, const Tensor& invstd_t, const Tensor& x_t,
             const Tensor& weight_t, const Tensor& bias_t, double eps) {
  const Layout l = layout_of(x_t);
  const T* x = x_t.data<T>();
  const T* w = data_or_null<T>(weight_t);
  const T* b = data_or_null<T>(bias_t);
  T* y = y_t.data<T>();
  T* mean = mean_t.data<T>();
  T* var = var_t.data<T>();
  T* invstd = invstd_t.data<T>();
  const double m = static_cast<double>(l.count());
  for_channels(l, [&](std::int64_t c) {
    // Sums of (x - shift) and its square, shifted by the channel's first
    // value so that E[x^2] - E[x]^2 does not cancel when |mean| >> std.
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
    const double centred = sum / m;
    const double v = std::max(squares / m - centred * centred, 0.0);
    const double mu = shift + centred, inv = 1.0 / std::sqrt(v + eps);
    mean[c] = static_cast<T>(mu);
    var[c] = static_cast<T>(v);
    invstd[c] = static_cast<T>(inv);
    // y = (x - mean) a + b, a = invstd weight. (Folding the mean into the
    // offset, x a + (b - mean a), would cancel when |mean| >> std.)
    const T scale = static_cast<T>(inv * (w ? static_cast<double>(w[c]) : 1.0));
    const T offset = b ? b[c] : T(0), centre = mean[c];
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      T* out = y + (n * l.c + c) * l.s;
#pragma omp simd
      for (std::int64_t i = 0; i < l.s; ++i) out[i] = (row[i] - centre) * scale + offset;
    }
  });
}

template <typename T>
void backward(const Tensor& gx_t, const Tensor& gw_t, const Tensor& gb_t, const Tensor& gy_t, const Tensor& x_t,
              const Tensor& weight_t, const Tensor& mean_t, const Tensor& invstd_t) {
  const Layout l = layout_of(x_t);
  const T* x = x_t.data<T>();
  const T* gy = gy_t.data<T>();
  const T* w = data_or_null<T>(weight_t);
  const T* mean = mean_t.data<T>();
  const T* invstd = invstd_t.data<T>();
  T* gx = gx_t.defined() ? gx_t.data<T>() : nullptr;
  T* gw = gw_t.defined() ? gw_t.data<T>() : nullptr;
  T* gb = gb_t.defined() ? gb_t.data<T>() : nullptr;
  const double m = static_cast<double>(l.count());
  for_channels(l, [&](std::int64_t c) {
    const double inv = static_cast<double>(invstd[c]);
    const T mu_t = mean[c];
    double sum_g = 0.0, sum_gx = 0.0;  // sum of g, and of g (x - mean)
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      const T* grow = gy + (n * l.c + c) * l.s;
#pragma omp simd reduction(+ : sum_g, sum_gx)
      for (std::int64_t i = 0; i < l.s; ++i) {
        const double g = static_cast<double>(grow[i]);
        sum_g += g;
        sum_gx += g * static_cast<double>(row[i] - mu_t);
      }
    }
    if (gb) gb[c] = static_cast<T>(sum_g);
    if (gw) gw[c] = static_cast<T>(sum_gx * inv);
    if (!gx) return;
    // grad_x = g k1 + (x - mean) k2 + k3:
    //   k1 = weight invstd, k2 = -weight invstd^3 sum_gx / M,
    //   k3 = -weight invstd sum_g / M.
    const double k1 = (w ? static_cast<double>(w[c]) : 1.0) * inv;
    const double k2 = -k1 * inv * inv * sum_gx / m;
    const double k3 = -k1 * sum_g / m;
    const T a = static_cast<T>(k1), b = static_cast<T>(k2), d = static_cast<T>(k3);
    for (std::int64_t n = 0; n < l.n; ++n) {
      const T* row = x + (n * l.c + c) * l.s;
      const T* grow = gy + (n * l.c + c) * l.s;
      T* out = gx + (n * l.c + c) * l.s;
#pragma omp simd
      for (std::int64_t i = 0; i < l.s; ++i) out[i] = grow[i] * a + (row[i] - mu_t) * b + d;
    }
  });
}

}  // namespace

void batch_norm_forward(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& invstd,
                        const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  dispatch_floating(x.dtype(), "batch_norm", [&]<typename T>() {
    forward<T>(y, mean, var, invstd, x, weight, bias, eps);
  });
}

void batch_norm_backward(const Tensor& grad_x, const Tensor& grad_weight, const Tensor& grad_bias,
                         const Tensor& grad_y, const Tensor& x, const Tensor& weight, const Tensor& mean,
                         const Tensor& invstd) {
  dispatch_floating(x.dtype(), "batch_norm backward", [&]<typename T>() {
    backward<T>(grad_x, grad_weight, grad_bias, grad_y, x, weight, mean, invstd);
  });
}

}  // namespace zengen::cpu
