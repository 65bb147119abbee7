// The per-element math of the losses, shared by the CPU and CUDA kernels:
// each functor gives the loss term of one element and its derivatives with
// respect to each input. Reductions (sum, mean) and weights are applied by
// the kernels around these; the CPU tests check the very arithmetic the GPU
// runs. Each member takes and returns the element type T.
#pragma once

#include <cmath>

#include "zengen/core/host_device.hpp"

namespace zengen::functors {

/// (x - t)^2
struct MSELoss {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x, T t) const {
    const T d = x - t;
    return d * d;
  }
  template <typename T> ZENGEN_HOST_DEVICE T d_input(T x, T t) const { return T(2) * (x - t); }
  template <typename T> ZENGEN_HOST_DEVICE T d_target(T x, T t) const { return T(-2) * (x - t); }
};

/// |x - t|; the derivative is sign(x - t), 0 where x == t (as PyTorch).
struct L1Loss {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x, T t) const { return std::abs(x - t); }
  template <typename T> ZENGEN_HOST_DEVICE T d_input(T x, T t) const {
    const T d = x - t;
    return d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
  }
  template <typename T> ZENGEN_HOST_DEVICE T d_target(T x, T t) const { return -d_input(x, t); }
};

/// -(t log p + (1 - t) log(1 - p)) with each log clamped at -100 (PyTorch's
/// rule), so p = 0 or 1 gives at most 100 per element instead of infinity.
struct BCELoss {
  static constexpr double kLogFloor = -100.0;
  /// PyTorch's floor on p (1 - p) in the derivative.
  static constexpr double kEpsilon = 1e-12;

  template <typename T> ZENGEN_HOST_DEVICE static T clamped_log(T v) {
    const T l = std::log(v);
    return l > T(kLogFloor) ? l : T(kLogFloor);
  }
  /// Whether p is a probability (NaN is not).
  template <typename T> ZENGEN_HOST_DEVICE static bool valid(T p) { return (p >= T(0)) & (p <= T(1)); }

  template <typename T> ZENGEN_HOST_DEVICE T operator()(T p, T t) const {
    return -(t * clamped_log(p) + (T(1) - t) * clamped_log(T(1) - p));
  }
  /// (p - t) / max(p (1 - p), 1e-12), PyTorch's gradient (finite at 0 and 1).
  template <typename T> ZENGEN_HOST_DEVICE T d_input(T p, T t) const {
    const T q = (T(1) - p) * p;
    return (p - t) / (q > T(kEpsilon) ? q : T(kEpsilon));
  }
  /// log(1 - p) - log(p), both clamped as in the forward.
  template <typename T> ZENGEN_HOST_DEVICE T d_target(T p, T t) const {
    return clamped_log(T(1) - p) - clamped_log(p);
  }
};

/// BCE on logits: max(x, 0) - x t + log(1 + exp(-|x|)); never exponentiates
/// a positive number, so |x| = 1000 is exact.
struct BCEWithLogitsLoss {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x, T t) const {
    return (x > T(0) ? x : T(0)) - x * t + std::log1p(std::exp(-std::abs(x)));
  }
  /// sigmoid(x) - t
  template <typename T> ZENGEN_HOST_DEVICE T d_input(T x, T t) const {
    const T e = std::exp(-std::abs(x));  // in (0, 1]
    const T s = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
    return s - t;
  }
  template <typename T> ZENGEN_HOST_DEVICE T d_target(T x, T t) const { return -x; }
};

/// One latent dim's KL(N(mu, exp(logvar)) || N(0, 1)):
/// -0.5 (1 + logvar - mu^2 - exp(logvar)).
struct GaussianKL {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T mu, T logvar) const {
    return T(-0.5) * (T(1) + logvar - mu * mu - std::exp(logvar));
  }
  template <typename T> ZENGEN_HOST_DEVICE T d_mu(T mu, T logvar) const { return mu; }
  template <typename T> ZENGEN_HOST_DEVICE T d_logvar(T mu, T logvar) const {
    return T(0.5) * (std::exp(logvar) - T(1));
  }
};

/// Cross-entropy of one row of logits, given its log-sum-exp
/// lse = m + log(sum_k exp(x_k - m)), m the row's largest logit.
struct CrossEntropy {
  /// The loss of the row: lse - x[target].
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T lse, T x_target) const { return lse - x_target; }
  /// d loss / d x_k = softmax_k - [k == target] = exp(x_k - lse) - onehot.
  template <typename T> ZENGEN_HOST_DEVICE T d_logit(T x, T lse, bool is_target) const {
    return std::exp(x - lse) - (is_target ? T(1) : T(0));
  }
};

}  // namespace zengen::functors
