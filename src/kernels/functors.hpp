// Element-wise math shared by the CPU and CUDA backends, written once as
// ZENGEN_HOST_DEVICE functors: the CPU tests check the very arithmetic the
// GPU runs. Each takes and returns the element type T.
#pragma once

#include <cmath>

#include "zengen/core/host_device.hpp"

namespace zengen::functors {

/// a + b
struct Add { template <typename T> ZENGEN_HOST_DEVICE T operator()(T a, T b) const { return a + b; } };
/// a - b
struct Sub { template <typename T> ZENGEN_HOST_DEVICE T operator()(T a, T b) const { return a - b; } };
/// a * b
struct Mul { template <typename T> ZENGEN_HOST_DEVICE T operator()(T a, T b) const { return a * b; } };
/// a / b
struct Div { template <typename T> ZENGEN_HOST_DEVICE T operator()(T a, T b) const { return a / b; } };
/// the larger of a and b; NaN if a is NaN
struct Max { template <typename T> ZENGEN_HOST_DEVICE T operator()(T a, T b) const { return a > b || a != a ? a : b; } };
/// the smaller of a and b; NaN if a is NaN
struct Min { template <typename T> ZENGEN_HOST_DEVICE T operator()(T a, T b) const { return a < b || a != a ? a : b; } };

/// -x
struct Neg { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return -x; } };
/// exp(x)
struct Exp { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return std::exp(x); } };
/// log(x)
struct Log { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return std::log(x); } };
/// sqrt(x)
struct Sqrt { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); } };
/// |x|
struct Abs { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return std::abs(x); } };
/// x * x
struct Square { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return x * x; } };
/// tanh(x)
struct Tanh { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return std::tanh(x); } };

/// x ** p; the common exponents avoid std::pow.
struct Pow {
  double p;
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const {
    if (p == 2.0) return x * x;
    if (p == 1.0) return x;
    if (p == 0.5) return std::sqrt(x);
    if (p == -1.0) return T(1) / x;
    return std::pow(x, static_cast<T>(p));
  }
};

/// x + s
struct AddScalar { double s; template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return x + static_cast<T>(s); } };
/// x * s
struct MulScalar { double s; template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return x * static_cast<T>(s); } };
/// s - x
struct RSubScalar { double s; template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return static_cast<T>(s) - x; } };
/// s / x
struct RDivScalar { double s; template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return static_cast<T>(s) / x; } };

/// x limited to [low, high]; NaN stays NaN
struct Clamp {
  double low, high;  // +-infinity for one-sided clamps
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const {
    if (x != x) return x;  // NaN stays NaN
    const T lo = static_cast<T>(low), hi = static_cast<T>(high);
    return x < lo ? lo : (x > hi ? hi : x);
  }
};

/// max(x, 0), passing NaN through as PyTorch does.
struct ReLU { template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const { return x < T(0) ? T(0) : x; } };

// The element-wise functors below compute both sides of a choice and then
// select, rather than branching: the CPU compiler turns the select into a
// blend and vectorises the loop (a load of `slope` inside a branch stops
// GCC from if-converting), and random signs cost no branch mispredictions.

/// x for x > 0, slope * x otherwise
struct LeakyReLU {
  double slope;
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const {
    const T scaled = static_cast<T>(slope) * x;
    return x > T(0) ? x : scaled;
  }
};
/// leaky_relu(x + bias): a layer's bias and its LeakyReLU in one step.
struct BiasLeakyReLU {
  double slope;
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x, T bias) const { return LeakyReLU{slope}(x + bias); }
};
/// relu(x + bias): the same for a ReLU (+0, not -0, below zero).
struct BiasReLU {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x, T bias) const { return ReLU{}(x + bias); }
};
/// grad * d/dx leaky_relu(x)
struct LeakyReLUBackward {
  double slope;
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T grad, T x) const {
    const T scaled = static_cast<T>(slope) * grad;
    return x > T(0) ? grad : scaled;
  }
};

/// 1 / (1 + exp(-x)) for x >= 0 and e^x / (1 + e^x) below, from one
/// e = exp(-|x|): never exponentiating a large positive number.
struct Sigmoid {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const {
    const T e = std::exp(-std::abs(x));
    return (x >= T(0) ? T(1) : e) / (T(1) + e);
  }
};
/// grad * y * (1 - y), from the output y = sigmoid(x).
struct SigmoidBackward {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T grad, T y) const { return grad * y * (T(1) - y); }
};
/// grad * (1 - y^2), from the output y = tanh(x).
struct TanhBackward {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T grad, T y) const { return grad * (T(1) - y * y); }
};
/// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).
struct Softplus {
  template <typename T> ZENGEN_HOST_DEVICE T operator()(T x) const {
    return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
  }
};

}  // namespace zengen::functors
