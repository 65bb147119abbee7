#include "zengen/ops/activation.hpp"

#include "cpu/activation.hpp"
#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/reduction.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

Tensor activation_forward(const char* op, cpu::Activation kind, const Tensor& x) {
  check_floating(x, op);
  Tensor out = empty_as(x, x.shape());
  kernels::activation(kind, out, x);
  return out;
}

// The fused backward kernels (sigmoid, tanh, log_softmax) read the saved
// output; they are used when the backward pass is not itself recorded.
template <typename Kernel>
Tensor fused_backward(const Tensor& g, const Tensor& y, Kernel kernel) {
  Tensor out = empty_as(g, g.shape());
  kernel(out, g, y);
  return out;
}

}  // namespace

Tensor relu(const Tensor& x) {
  // x is saved detached: the derivative of leaky_relu_backward w.r.t. x is
  // zero, so nothing needs x's graph.
  return record("relu", activation_forward("relu", cpu::Activation::ReLU, x), {&x},
                [x = x.detach()](const Tensor& g) { return Grads{leaky_relu_backward(g, x, 0.0)}; });
}

Tensor leaky_relu(const Tensor& x, double slope) {
  check_floating(x, "leaky_relu");
  Tensor out = empty_as(x, x.shape());
  kernels::leaky_relu(out, x, slope);
  return record("leaky_relu", out, {&x},
                [x = x.detach(), slope](const Tensor& g) { return Grads{leaky_relu_backward(g, x, slope)}; });
}

Tensor leaky_relu_backward(const Tensor& grad, const Tensor& x, double slope) {
  check_same(grad, x, "leaky_relu_backward");
  ZENGEN_CHECK(grad.shape() == x.shape(), ShapeError, "leaky_relu_backward: grad has shape ", grad.shape(),
               " but x has shape ", x.shape());
  Tensor out = empty_as(x, x.shape());
  kernels::leaky_relu_backward(out, grad, x, slope);
  // Linear in grad, piecewise constant in x: the gradient w.r.t. grad is the
  // same op again, and x gets none.
  return record("leaky_relu_backward", out, {&grad, &x}, [x = x.detach(), slope](const Tensor& gg) {
    return Grads{leaky_relu_backward(gg, x, slope), Tensor()};
  });
}

Tensor bias_leaky_relu(const Tensor& x, const Tensor& bias, double slope, std::int64_t dim) {
  check_same(x, bias, "bias_leaky_relu");
  ZENGEN_CHECK(x.dim() >= 1, ShapeError, "bias_leaky_relu: input must have at least one dim, got shape ", x.shape());
  const std::int64_t d = wrap_dim(dim, x.dim(), "bias_leaky_relu");
  ZENGEN_CHECK(bias.dim() == 1 && bias.size(0) == x.size(d), ShapeError, "bias_leaky_relu: bias of shape ",
               bias.shape(), " for input ", x.shape(), " along dim ", dim, " (expected [", x.size(d), "])");
  ZENGEN_CHECK(slope >= 0.0, ValueError, "bias_leaky_relu: slope must be >= 0 (the backward reads the sign of x + "
               "bias from the output), got ", slope);
  Tensor y = empty_as(x, x.shape());
  kernels::bias_leaky_relu(y, x, bias, d, slope);
  // With slope >= 0 the output has the sign of x + bias (0 stays 0), so it
  // serves leaky_relu_backward as its x; the bias gets that gradient summed
  // over every dim but d.
  return record("bias_leaky_relu", y, {&x, &bias}, [y = y.detach(), slope, d](const Tensor& g) {
    const Tensor gx = leaky_relu_backward(g, y, slope);
    std::vector<std::int64_t> others;
    for (std::int64_t k = 0; k < gx.dim(); ++k)
      if (k != d) others.push_back(k);
    return Grads{gx, others.empty() ? gx : sum(gx, others)};
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = activation_forward("sigmoid", cpu::Activation::Sigmoid, x);
  return record("sigmoid", y, {&x}, [x, y = y.detach()](const Tensor& g) {
    if (recording()) {
      const Tensor s = sigmoid(x);
      return Grads{mul(g, mul(s, rsub(s, 1.0)))};
    }
    return Grads{fused_backward(g, y, kernels::sigmoid_backward)};
  });
}

Tensor tanh(const Tensor& x) {
  Tensor y = activation_forward("tanh", cpu::Activation::Tanh, x);
  return record("tanh", y, {&x}, [x, y = y.detach()](const Tensor& g) {
    if (recording()) return Grads{mul(g, rsub(square(tanh(x)), 1.0))};
    return Grads{fused_backward(g, y, kernels::tanh_backward)};
  });
}

Tensor softplus(const Tensor& x) {
  return record("softplus", activation_forward("softplus", cpu::Activation::Softplus, x), {&x},
                [x](const Tensor& g) { return Grads{mul(g, sigmoid(x))}; });
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  check_floating(x, "log_softmax");
  const std::int64_t d = wrap_dim(dim, x.dim(), "log_softmax");
  Tensor y = empty_as(x, x.shape());
  kernels::log_softmax(y, x, d);
  // d/dx: g - softmax(x) * sum(g along dim), softmax = exp(y).
  return record("log_softmax", y, {&x}, [x, d, y = y.detach()](const Tensor& g) {
    if (recording()) return Grads{sub(g, mul(exp(log_softmax(x, d)), sum(g, {d}, true)))};
    return Grads{fused_backward(g, y, [d](const Tensor& out, const Tensor& grad, const Tensor& saved) {
      kernels::log_softmax_backward(out, grad, saved, d);
    })};
  });
}

}  // namespace zengen
