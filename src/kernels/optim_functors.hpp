// The per-element update math of the optimizers, shared by the CPU and CUDA
// backends: the CPU tests check the very arithmetic the GPU runs.
//
// As in PyTorch, the step's scalars (bias corrections, step size) are
// computed once per step in double on the host (the *Scalars structs); the
// element-wise functors hold them cast to the element type T and follow
// PyTorch's single-tensor CPU formulas operation by operation (lerp,
// addcmul, addcdiv), so float32 and float64 updates round as PyTorch's do.
#pragma once

#include <cmath>
#include <cstdint>

#include "zengen/core/host_device.hpp"

namespace zengen::optim::functors {

/// PyTorch's lerp: self + w (end - self) for |w| < 0.5, else
/// end - (end - self) (1 - w) (exact at both ends).
template <typename T>
ZENGEN_HOST_DEVICE T lerp(T self, T end, T weight) {
  return (weight < T(0.5) && weight > T(-0.5)) ? self + weight * (end - self)
                                                : end - (end - self) * (T(1) - weight);
}

// ---------------------------------------------------------------- SGD

/// One SGD step's scalars (double, host).
struct SGDScalars {
  double lr = 0.0;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

/// d = g (+ weight_decay * p); with momentum: buf = d on the first step,
/// else buf = momentum * buf + (1 - dampening) * d; d = nesterov ? d +
/// momentum * buf : buf. Then p -= lr * d.
template <typename T>
struct SGDStep {
  T neg_lr, momentum, one_minus_dampening, weight_decay;
  bool has_weight_decay, nesterov;

  ZENGEN_HOST_DEVICE explicit SGDStep(const SGDScalars& s)
      : neg_lr(static_cast<T>(-s.lr)),
        momentum(static_cast<T>(s.momentum)),
        one_minus_dampening(static_cast<T>(1.0 - s.dampening)),
        weight_decay(static_cast<T>(s.weight_decay)),
        has_weight_decay(s.weight_decay != 0.0),
        nesterov(s.nesterov) {}

  ZENGEN_HOST_DEVICE T direction(T p, T g) const { return has_weight_decay ? g + weight_decay * p : g; }

  /// Without momentum.
  ZENGEN_HOST_DEVICE void operator()(T& p, T g) const { p = p + neg_lr * direction(p, g); }

  /// With momentum; `first` on the parameter's first step (buf = d).
  ZENGEN_HOST_DEVICE void operator()(T& p, T g, T& buf, bool first) const {
    T d = direction(p, g);
    buf = first ? d : buf * momentum + one_minus_dampening * d;
    d = nesterov ? d + momentum * buf : buf;
    p = p + neg_lr * d;
  }
};

// ---------------------------------------------------------------- Adam, AdamW

/// One Adam/AdamW step's scalars for a parameter at step `step` (counted
/// from 1), computed in double as PyTorch computes them in Python.
struct AdamScalars {
  double lerp_weight = 0.1;            // 1 - beta1
  double beta2 = 0.999;
  double one_minus_beta2 = 0.001;
  double neg_step_size = 0.0;          // -lr / (1 - beta1^step)
  double bias_correction2_sqrt = 1.0;  // sqrt(1 - beta2^step)
  double eps = 1e-8;
  double weight_decay = 0.0;           // Adam's L2 term, added to the gradient
  double decay = 1.0;                  // AdamW's decoupled factor 1 - lr * weight_decay

  /// decoupled: AdamW (p *= 1 - lr wd first), else Adam (g += wd p).
  static AdamScalars make(double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                          std::int64_t step) {
    AdamScalars s;
    s.lerp_weight = 1.0 - beta1;
    s.beta2 = beta2;
    s.one_minus_beta2 = 1.0 - beta2;
    const double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    s.neg_step_size = -(lr / bias_correction1);
    s.bias_correction2_sqrt = std::sqrt(bias_correction2);
    s.eps = eps;
    s.weight_decay = decoupled ? 0.0 : weight_decay;
    s.decay = decoupled ? 1.0 - lr * weight_decay : 1.0;
    return s;
  }
};

/// p *= decay (AdamW); g += wd p (Adam); m = lerp(m, g, 1 - beta1);
/// v = v beta2 + (1 - beta2) g g; [vmax = max(vmax, v)];
/// denom = sqrt(v or vmax) / sqrt(1 - beta2^t) + eps; p += -step_size m / denom.
template <typename T>
struct AdamStep {
  T lerp_weight, beta2, one_minus_beta2, neg_step_size, bias_correction2_sqrt, eps, weight_decay, decay;
  bool has_weight_decay, has_decay;

  ZENGEN_HOST_DEVICE explicit AdamStep(const AdamScalars& s)
      : lerp_weight(static_cast<T>(s.lerp_weight)),
        beta2(static_cast<T>(s.beta2)),
        one_minus_beta2(static_cast<T>(s.one_minus_beta2)),
        neg_step_size(static_cast<T>(s.neg_step_size)),
        bias_correction2_sqrt(static_cast<T>(s.bias_correction2_sqrt)),
        eps(static_cast<T>(s.eps)),
        weight_decay(static_cast<T>(s.weight_decay)),
        decay(static_cast<T>(s.decay)),
        has_weight_decay(s.weight_decay != 0.0),
        has_decay(s.decay != 1.0) {}

  // Written without conditional stores (only selects), so that the CPU
  // loops vectorise.
  ZENGEN_HOST_DEVICE T denominator(T second) const { return std::sqrt(second) / bias_correction2_sqrt + eps; }

  ZENGEN_HOST_DEVICE void operator()(T& p, T g, T& m, T& v) const {
    const T decayed = has_decay ? p * decay : p;
    const T grad = has_weight_decay ? g + weight_decay * decayed : g;
    const T m_new = lerp(m, grad, lerp_weight);
    T v_new = v * beta2;
    v_new = v_new + one_minus_beta2 * grad * grad;
    m = m_new;
    v = v_new;
    p = decayed + neg_step_size * m_new / denominator(v_new);
  }
  /// AMSGrad: the denominator uses the running maximum of v.
  ZENGEN_HOST_DEVICE void operator()(T& p, T g, T& m, T& v, T& vmax) const {
    const T decayed = has_decay ? p * decay : p;
    const T grad = has_weight_decay ? g + weight_decay * decayed : g;
    const T m_new = lerp(m, grad, lerp_weight);
    T v_new = v * beta2;
    v_new = v_new + one_minus_beta2 * grad * grad;
    // torch.maximum (NaN from either side propagates), as two selects so
    // that the loop vectorises.
    T vmax_new = vmax > v_new ? vmax : v_new;  // NaN in v_new -> v_new
    vmax_new = vmax != vmax ? vmax : vmax_new;  // NaN in vmax -> vmax
    m = m_new;
    v = v_new;
    vmax = vmax_new;
    p = decayed + neg_step_size * m_new / denominator(vmax_new);
  }
};

// ---------------------------------------------------------------- clipping

/// g * coef (clip_grad_norm_).
template <typename T>
struct Scale {
  T coef;
  ZENGEN_HOST_DEVICE void operator()(T& g) const { g = g * coef; }
};

/// g limited to [-clip, clip] (clip_grad_value_); NaN stays NaN.
template <typename T>
struct ClampValue {
  T clip;
  ZENGEN_HOST_DEVICE void operator()(T& g) const { g = g < -clip ? -clip : (g > clip ? clip : g); }
};

}  // namespace zengen::optim::functors
