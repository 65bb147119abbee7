#include "cpu/optim.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "cpu/loops.hpp"

namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS {
namespace {

namespace f = zengen::optim::functors;

/// Calls fn(x0[i], x1[i], ...) (references) for every element of tensors of
/// one shape, in one pass: dims are coalesced, the range split across
/// threads, and rows where every operand is contiguous run as a plain
/// vectorisable loop.
template <typename T, std::size_t N, typename F, std::size_t... Is>
void for_each_element_impl(const std::array<Tensor, N>& ts, F fn, std::index_sequence<Is...>) {
  std::array<Shape, N> strides;
  for (std::size_t k = 0; k < N; ++k) strides[k] = ts[k].strides();
  const auto g = coalesce<N>(ts[0].shape(), strides);
  std::array<T*, N> base;
  for (std::size_t k = 0; k < N; ++k) base[k] = static_cast<T*>(ts[k].data_ptr());
  for_each_row(g, [&](const std::array<std::int64_t, N>& off, const std::array<std::int64_t, N>& st, std::int64_t n) {
    const F f = fn;  // a local copy: its fields stay in registers across the loop
    std::array<T*, N> q;
    bool contiguous = true;
    for (std::size_t k = 0; k < N; ++k) {
      q[k] = base[k] + off[k];
      contiguous = contiguous && st[k] == 1;
    }
    if (contiguous) {
#pragma omp simd
      for (std::int64_t i = 0; i < n; ++i) f(q[Is][i]...);
    } else {
      for (std::int64_t i = 0; i < n; ++i) f(q[Is][i * st[Is]]...);
    }
  });
}

template <typename T, std::size_t N, typename F>
void for_each_element(const std::array<Tensor, N>& ts, F fn) {
  if (ts[0].numel() == 0) return;
  for_each_element_impl<T>(ts, fn, std::make_index_sequence<N>{});
}

/// The reference walk: element k of every operand found from its strides.
template <typename T, std::size_t N, typename F, std::size_t... Is>
void for_each_element_reference(const std::array<Tensor, N>& ts, F fn, std::index_sequence<Is...>) {
  const Shape& shape = ts[0].shape();
  std::array<T*, N> base;
  for (std::size_t k = 0; k < N; ++k) base[k] = static_cast<T*>(ts[k].data_ptr());
  for (std::int64_t e = 0; e < ts[0].numel(); ++e) {
    std::array<std::int64_t, N> off{};
    std::int64_t rest = e;
    for (std::int64_t d = shape.ndim() - 1; d >= 0; --d) {
      const std::int64_t i = rest % shape[d];
      rest /= shape[d];
      for (std::size_t k = 0; k < N; ++k) off[k] += i * ts[k].strides()[d];
    }
    fn(base[Is][off[Is]]...);
  }
}

template <typename T, std::size_t N, typename F>
void for_each_element_reference(const std::array<Tensor, N>& ts, F fn) {
  for_each_element_reference<T>(ts, fn, std::make_index_sequence<N>{});
}

}  // namespace

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first) {
  dispatch_floating(param.dtype(), "sgd", [&]<typename T>() {
    const f::SGDStep<T> step(scalars);
    if (momentum_buffer.defined())
      for_each_element<T, 3>({param, grad, momentum_buffer},
                             [step, first](T& p, T& g, T& buf) { step(p, g, buf, first); });
    else
      for_each_element<T, 2>({param, grad}, [step](T& p, T& g) { step(p, g); });
  });
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars) {
  dispatch_floating(param.dtype(), "adam", [&]<typename T>() {
    const f::AdamStep<T> step(scalars);
    if (max_exp_avg_sq.defined())
      for_each_element<T, 5>({param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq},
                             [step](T& p, T& g, T& m, T& v, T& vmax) { step(p, g, m, v, vmax); });
    else
      for_each_element<T, 4>({param, grad, exp_avg, exp_avg_sq},
                             [step](T& p, T& g, T& m, T& v) { step(p, g, m, v); });
  });
}

double abs_pow_sum(const Tensor& g, double p) {
  const Tensor x = g.is_contiguous() ? g : g.contiguous();
  const std::int64_t n = x.numel();
  return dispatch_floating(x.dtype(), "clip_grad_norm_", [&]<typename T>() -> double {
    const T* v = static_cast<const T*>(x.data_ptr());
    // Fixed blocks combined in order: the result does not depend on the thread count.
    constexpr std::int64_t kBlock = 16384;
    const std::int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(static_cast<std::size_t>(blocks), 0.0);
    const bool inf = std::isinf(p);
    const int threads = threads_for(n);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t begin = b * kBlock, end = std::min(n, begin + kBlock);
      double acc = 0.0;
      if (inf) {
        for (std::int64_t i = begin; i < end; ++i) {
          const double a = std::abs(static_cast<double>(v[i]));
          acc = a > acc || a != a ? a : acc;  // NaN propagates
        }
      } else if (p == 2.0) {
#pragma omp simd reduction(+ : acc)
        for (std::int64_t i = begin; i < end; ++i) acc += static_cast<double>(v[i]) * static_cast<double>(v[i]);
      } else if (p == 1.0) {
#pragma omp simd reduction(+ : acc)
        for (std::int64_t i = begin; i < end; ++i) acc += std::abs(static_cast<double>(v[i]));
      } else {
        for (std::int64_t i = begin; i < end; ++i) acc += std::pow(std::abs(static_cast<double>(v[i])), p);
      }
      partial[static_cast<std::size_t>(b)] = acc;
    }
    double total = 0.0;
    for (double a : partial) total = inf ? (a > total || a != a ? a : total) : total + a;
    return total;
  });
}

void scale_in_place(const Tensor& g, double coef) {
  dispatch_floating(g.dtype(), "clip_grad_norm_", [&]<typename T>() {
    const f::Scale<T> scale{static_cast<T>(coef)};
    for_each_element<T, 1>({g}, [scale](T& x) { scale(x); });
  });
}

void clamp_in_place(const Tensor& g, double clip) {
  dispatch_floating(g.dtype(), "clip_grad_value_", [&]<typename T>() {
    const f::ClampValue<T> clamp{static_cast<T>(clip)};
    for_each_element<T, 1>({g}, [clamp](T& x) { clamp(x); });
  });
}

namespace reference {

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const optim::functors::SGDScalars& scalars, bool first) {
  dispatch_floating(param.dtype(), "sgd", [&]<typename T>() {
    const f::SGDStep<T> step(scalars);
    if (momentum_buffer.defined())
      for_each_element_reference<T, 3>({param, grad, momentum_buffer},
                                       [step, first](T& p, T& g, T& buf) { step(p, g, buf, first); });
    else
      for_each_element_reference<T, 2>({param, grad}, [step](T& p, T& g) { step(p, g); });
  });
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                 const Tensor& max_exp_avg_sq, const optim::functors::AdamScalars& scalars) {
  dispatch_floating(param.dtype(), "adam", [&]<typename T>() {
    const f::AdamStep<T> step(scalars);
    if (max_exp_avg_sq.defined())
      for_each_element_reference<T, 5>({param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq},
                                       [step](T& p, T& g, T& m, T& v, T& vmax) { step(p, g, m, v, vmax); });
    else
      for_each_element_reference<T, 4>({param, grad, exp_avg, exp_avg_sq},
                                       [step](T& p, T& g, T& m, T& v) { step(p, g, m, v); });
  });
}

}  // namespace reference

}  // namespace zengen::cpu::inline ZENGEN_CPU_ISA_NS
