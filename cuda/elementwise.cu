// CUDA element-wise launchers: validation, dtype dispatch, and launch_map
// (cuda/loops.cuh) with the shared functors. See elementwise.hpp.
#include "elementwise.hpp"

#include "loops.cuh"
#include "validate.hpp"
#include "zengen/core/shape.hpp"
#include "kernels/functors.hpp"

namespace zengen::cuda {

namespace f = zengen::functors;

namespace {

template <typename D>
struct Convert {
  template <typename S>
  ZENGEN_HOST_DEVICE D operator()(S v) const {
    return static_cast<D>(v);
  }
};

template <typename T>
struct Constant {
  T value;
  ZENGEN_HOST_DEVICE T operator()() const { return value; }
};

struct Compare {
  CompareOp op;
  template <typename T>
  ZENGEN_HOST_DEVICE bool operator()(T a, T b) const {
    switch (op) {
      case CompareOp::Eq: return a == b;
      case CompareOp::Ne: return a != b;
      case CompareOp::Lt: return a < b;
      case CompareOp::Le: return a <= b;
      case CompareOp::Gt: return a > b;
      case CompareOp::Ge: return a >= b;
    }
    return false;
  }
};

struct Select {
  template <typename T>
  ZENGEN_HOST_DEVICE T operator()(bool c, T a, T b) const {
    return c ? a : b;
  }
};

/// Checks an op whose output and inputs share one floating dtype.
void check_same_floating(const char* op, const TensorRef& out, std::initializer_list<const TensorRef*> inputs) {
  validate::elementwise(op, out, inputs);
  validate::floating(op, "output", out);
  for (const TensorRef* in : inputs) validate::dtype_is(op, "input", *in, out.dtype);
}

template <typename Functor>
void unary_map(const char* op, const TensorRef& out, const TensorRef& x, Functor fn) {
  check_same_floating(op, out, {&x});
  dispatch_float(out.dtype, op, [&]<typename T>() { launch_map<T>(out, fn, operand<T>(x)); });
}

template <typename Functor>
void binary_map(const char* op, const TensorRef& out, const TensorRef& a, const TensorRef& b, Functor fn) {
  check_same_floating(op, out, {&a, &b});
  dispatch_float(out.dtype, op, [&]<typename T>() { launch_map<T>(out, fn, operand<T>(a), operand<T>(b)); });
}

/// y[i] = fn(x[i], bias[c(i)]) over contiguous x and y seen as [outer, C,
/// inner], in packs of V elements (one 128-bit access when V > 1). The
/// channel of a pack's first element costs one division; the others step
/// from it.
template <int V, typename T, typename F>
__global__ void bias_leaky_relu_packs(std::int64_t n, std::int64_t channels, std::int64_t inner, T* __restrict__ y,
                                      const T* __restrict__ x, const T* __restrict__ bias, F fn) {
  const std::int64_t packs = n / V;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  const std::int64_t first = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x;
  for (std::int64_t p = first; p < packs; p += stride) {
    const Pack<T, V> in = reinterpret_cast<const Pack<T, V>*>(x)[p];
    Pack<T, V> out;
    ChannelWalk walk(p * V, channels, inner);
#pragma unroll
    for (int j = 0; j < V; ++j) {
      out.v[j] = fn(in.v[j], __ldg(bias + walk.channel));
      walk.next();
    }
    reinterpret_cast<Pack<T, V>*>(y)[p] = out;
  }
  for (std::int64_t i = packs * V + first; i < n; i += stride) y[i] = fn(x[i], __ldg(bias + (i / inner) % channels));
}

}  // namespace

void bias_leaky_relu(const TensorRef& out, const TensorRef& x, const TensorRef& bias, int dim, double slope) {
  const char* op = "bias_leaky_relu";
  validate::operand(op, "input", x);
  validate::floating(op, "input", x);
  validate::contiguous(op, "input", x);
  validate::like(op, "output", out, x);
  validate::companion(op, "bias", bias, x);
  ZENGEN_CHECK(dim >= 0 && dim < x.ndim, ValueError, "cuda ", op, ": dim ", dim, " is out of range for input ",
               x.shape_str());
  ZENGEN_CHECK(bias.numel() == x.sizes[dim], ShapeError, "cuda ", op, ": bias of shape ", bias.shape_str(),
               " for input ", x.shape_str(), " along dim ", dim, " (expected ", x.sizes[dim], " values)");
  const std::int64_t n = x.numel();
  if (n == 0) return;
  const std::int64_t inner = split_at_dim(x.sizes, x.ndim, dim).inner;
  DeviceScope scope(x.device);
  cudaStream_t st = stream(x.device);
  dispatch_float(x.dtype, op, [&]<typename T>() {
    constexpr int V = kPackSize<T>;
    const auto* in = static_cast<const T*>(x.data);
    const auto* b = static_cast<const T*>(bias.data);
    auto* y = static_cast<T*>(out.data);
    const bool aligned = reinterpret_cast<std::uintptr_t>(in) % 16 == 0 && reinterpret_cast<std::uintptr_t>(y) % 16 == 0;
    const auto launch = [&](auto fn) {
      if (aligned)
        bias_leaky_relu_packs<V><<<blocks_for(n / V), kBlockThreads, 0, st>>>(n, x.sizes[dim], inner, y, in, b, fn);
      else
        bias_leaky_relu_packs<1><<<blocks_for(n), kBlockThreads, 0, st>>>(n, x.sizes[dim], inner, y, in, b, fn);
    };
    if (slope == 0.0)
      launch(f::BiasReLU{});  // ReLU's own +0 below zero
    else
      launch(f::BiasLeakyReLU{slope});
    ZENGEN_CUDA_CHECK(cudaGetLastError());
  });
}

void copy(const TensorRef& dst, const TensorRef& src) {
  validate::elementwise("copy", dst, {&src});
  if (dst.numel() == 0) return;
  dispatch_any(dst.dtype, [&]<typename D>() {
    dispatch_any(src.dtype, [&]<typename S>() { launch_map<D>(dst, Convert<D>{}, operand<S>(src)); });
  });
}

void fill(const TensorRef& dst, double value) {
  validate::operand("fill", "output", dst);
  dispatch_any(dst.dtype, [&]<typename T>() { launch_map<T>(dst, Constant<T>{static_cast<T>(value)}); });
}

void binary(BinaryOp op, const TensorRef& out, const TensorRef& a, const TensorRef& b) {
  switch (op) {
    case BinaryOp::Add: return binary_map("add", out, a, b, f::Add{});
    case BinaryOp::Sub: return binary_map("sub", out, a, b, f::Sub{});
    case BinaryOp::Mul: return binary_map("mul", out, a, b, f::Mul{});
    case BinaryOp::Div: return binary_map("div", out, a, b, f::Div{});
    case BinaryOp::Max: return binary_map("maximum", out, a, b, f::Max{});
    case BinaryOp::Min: return binary_map("minimum", out, a, b, f::Min{});
  }
}

void unary(UnaryOp op, const TensorRef& out, const TensorRef& x) {
  switch (op) {
    case UnaryOp::Neg: return unary_map("neg", out, x, f::Neg{});
    case UnaryOp::Exp: return unary_map("exp", out, x, f::Exp{});
    case UnaryOp::Log: return unary_map("log", out, x, f::Log{});
    case UnaryOp::Sqrt: return unary_map("sqrt", out, x, f::Sqrt{});
    case UnaryOp::Abs: return unary_map("abs", out, x, f::Abs{});
    case UnaryOp::Square: return unary_map("square", out, x, f::Square{});
  }
}

void scalar(ScalarOp op, const TensorRef& out, const TensorRef& x, double s) {
  switch (op) {
    case ScalarOp::Add: return unary_map("add", out, x, f::AddScalar{s});
    case ScalarOp::Mul: return unary_map("mul", out, x, f::MulScalar{s});
    case ScalarOp::RSub: return unary_map("rsub", out, x, f::RSubScalar{s});
    case ScalarOp::RDiv: return unary_map("rdiv", out, x, f::RDivScalar{s});
  }
}

void pow(const TensorRef& out, const TensorRef& x, double exponent) { unary_map("pow", out, x, f::Pow{exponent}); }

void clamp(const TensorRef& out, const TensorRef& x, double low, double high) {
  unary_map("clamp", out, x, f::Clamp{low, high});
}

void compare(CompareOp op, const TensorRef& out, const TensorRef& a, const TensorRef& b) {
  validate::elementwise("compare", out, {&a, &b});
  validate::dtype_is("compare", "output", out, DType::Bool);
  validate::dtype_is("compare", "input 1", b, a.dtype);
  dispatch_any(a.dtype, [&]<typename T>() { launch_map<bool>(out, Compare{op}, operand<T>(a), operand<T>(b)); });
}

void where(const TensorRef& out, const TensorRef& cond, const TensorRef& a, const TensorRef& b) {
  validate::elementwise("where", out, {&cond, &a, &b});
  validate::dtype_is("where", "condition", cond, DType::Bool);
  validate::dtype_is("where", "input 1", a, out.dtype);
  validate::dtype_is("where", "input 2", b, out.dtype);
  dispatch_any(out.dtype, [&]<typename T>() {
    launch_map<T>(out, Select{}, operand<bool>(cond), operand<T>(a), operand<T>(b));
  });
}

void activation(Activation kind, const TensorRef& out, const TensorRef& x) {
  switch (kind) {
    case Activation::ReLU: return unary_map("relu", out, x, f::ReLU{});
    case Activation::Sigmoid: return unary_map("sigmoid", out, x, f::Sigmoid{});
    case Activation::Tanh: return unary_map("tanh", out, x, f::Tanh{});
    case Activation::Softplus: return unary_map("softplus", out, x, f::Softplus{});
  }
}

void leaky_relu(const TensorRef& out, const TensorRef& x, double slope) {
  unary_map("leaky_relu", out, x, f::LeakyReLU{slope});
}

void leaky_relu_backward(const TensorRef& out, const TensorRef& grad, const TensorRef& x, double slope) {
  binary_map("leaky_relu_backward", out, grad, x, f::LeakyReLUBackward{slope});
}

void sigmoid_backward(const TensorRef& out, const TensorRef& grad, const TensorRef& y) {
  binary_map("sigmoid_backward", out, grad, y, f::SigmoidBackward{});
}

void tanh_backward(const TensorRef& out, const TensorRef& grad, const TensorRef& y) {
  binary_map("tanh_backward", out, grad, y, f::TanhBackward{});
}

}  // namespace zengen::cuda
