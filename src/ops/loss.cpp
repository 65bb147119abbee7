// The losses: checks, the fused forward kernel, and the gradient. Without
// create_graph the gradient is one fused kernel (src/cpu/loss.cpp); with it
// (ops_detail::recording()) the same formula is written with zengen ops so
// that the gradient can be differentiated again (WGAN-GP, R1).
#include "zengen/ops/loss.hpp"

#include <limits>

#include "cpu/loss.hpp"
#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

/// weight broadcast to `shape` and made contiguous (a copy only when it
/// actually broadcasts or is strided).
Tensor dense_weight(const Tensor& weight, const Shape& shape) {
  if (!weight.defined()) return weight;
  if (weight.shape() == shape) return dense(weight);
  NoGradGuard no_grad;
  return expand(weight, shape).contiguous();
}

/// Whether `from` broadcasts to exactly `to` (NumPy's rules, one way).
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.ndim() > to.ndim()) return false;
  const std::size_t lead = to.size() - from.size();
  for (std::size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

/// The first element of x as a double.
double first_value(const Tensor& x) {
  return dispatch_floating(x.dtype(), "loss backward",
                           [&]<typename T>() { return static_cast<double>(*static_cast<const T*>(x.data_ptr())); });
}

/// The incoming gradient as the kernels take it: one factor for every
/// element (`dense` undefined), or a contiguous tensor times `scale`.
struct GradFactor {
  double scale = 1.0;
  Tensor dense;
};
GradFactor grad_factor(const Tensor& g, double scale) {
  if (g.numel() == 0) return {0.0, Tensor()};
  bool uniform = g.numel() == 1;
  if (!uniform) {
    uniform = true;
    for (auto s : g.strides()) uniform = uniform && s == 0;  // an expanded scalar (from sum or mean)
  }
  if (uniform) return {scale * first_value(g), Tensor()};
  return {scale, dense(g)};
}

/// On a CUDA device, the incoming gradient as the fused kernels take it,
/// without reading it on the host: a one-element view of it when every
/// element is that one (a 0-d gradient, or one expanded from sum or mean),
/// else a contiguous copy.
Tensor device_grad(const Tensor& g) {
  NoGradGuard no_grad;
  if (g.numel() == 0) return g.contiguous();
  bool uniform = true;
  for (auto s : g.strides()) uniform = uniform && s == 0;
  if (g.numel() != 1 && !uniform) return g.contiguous();
  Tensor one = g;
  for (std::int64_t d = 0; d < g.dim(); ++d) one = one.narrow(d, 0, 1);
  return one.reshape({1});
}

/// The scale a reduction puts on each term: 1 / count for the mean.
double reduction_scale(Reduction reduction, std::int64_t count) {
  return reduction == Reduction::Mean ? 1.0 / static_cast<double>(count) : 1.0;
}

/// The 0-d result of a Mean or Sum reduction from the kernel's double sum
/// (the mean of nothing is NaN, as in PyTorch).
Tensor reduced(const Tensor& like, double total, Reduction reduction, std::int64_t count) {
  const double value = reduction == Reduction::Mean
                           ? (count > 0 ? total / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN())
                           : total;
  return scalar_tensor(value, {.dtype = like.dtype(), .device = like.device()});
}

/// The gradient factor as a zengen tensor (for the composed formulas): g
/// itself for None, g / count for Mean. `per_row` adds a trailing dim so a
/// per-row gradient broadcasts over the row.
Tensor composed_factor(const Tensor& g, Reduction reduction, std::int64_t count, bool per_row = false) {
  if (reduction == Reduction::None) return per_row ? unsqueeze(g, -1) : g;
  return reduction == Reduction::Mean ? mul(g, 1.0 / static_cast<double>(count)) : g;
}

Tensor sign_of(const Tensor& d) { return sub(gt(d, 0.0).to(d.dtype()), lt(d, 0.0).to(d.dtype())); }

/// sigmoid(x) from zengen ops, finite in value and derivatives for any x:
/// each branch only exponentiates a number <= 0.
Tensor stable_sigmoid(const Tensor& x) {
  const Tensor e_pos = exp(neg(clamp_min(x, 0.0)));  // x >= 0: 1 / (1 + exp(-x))
  const Tensor e_neg = exp(clamp_max(x, 0.0));       // x < 0: exp(x) / (1 + exp(x))
  return where(ge(x, 0.0), rdiv(add(e_pos, 1.0), 1.0), div(e_neg, add(e_neg, 1.0)));
}

const char* name_of(cpu::PointwiseLoss kind) {
  switch (kind) {
    case cpu::PointwiseLoss::MSE: return "mse_loss";
    case cpu::PointwiseLoss::L1: return "l1_loss";
    case cpu::PointwiseLoss::BCE: return "binary_cross_entropy";
    case cpu::PointwiseLoss::BCEWithLogits: return "binary_cross_entropy_with_logits";
  }
  return "loss";
}

// ---- element-wise losses ----

Tensor pointwise_loss(cpu::PointwiseLoss kind, const Tensor& input, const Tensor& target, Reduction reduction,
                      const Tensor& weight);

/// d term / d input and d term / d target with zengen ops (undefined when
/// not needed), without the weight and the incoming gradient.
std::pair<Tensor, Tensor> composed_derivatives(cpu::PointwiseLoss kind, const Tensor& x, const Tensor& t,
                                               bool need_x, bool need_t) {
  Tensor dx, dt;
  switch (kind) {
    case cpu::PointwiseLoss::MSE: {
      const Tensor d = sub(x, t);
      if (need_x) dx = mul(d, 2.0);
      if (need_t) dt = mul(d, -2.0);
      break;
    }
    case cpu::PointwiseLoss::L1: {
      const Tensor s = sign_of(sub(x, t));
      if (need_x) dx = s;
      if (need_t) dt = neg(s);
      break;
    }
    case cpu::PointwiseLoss::BCE: {
      const Tensor one_minus = rsub(x, 1.0);
      if (need_x) dx = div(sub(x, t), clamp_min(mul(one_minus, x), 1e-12));
      if (need_t) dt = sub(clamp_min(log(one_minus), -100.0), clamp_min(log(x), -100.0));
      break;
    }
    case cpu::PointwiseLoss::BCEWithLogits: {
      if (need_x) dx = sub(stable_sigmoid(x), t);
      if (need_t) dt = neg(x);
      break;
    }
  }
  return {dx, dt};
}

Grads pointwise_backward(cpu::PointwiseLoss kind, const Tensor& g, const Tensor& input, const Tensor& target,
                         const Tensor& weight, Reduction reduction) {
  const bool need_x = input.requires_grad(), need_t = target.requires_grad();
  const bool need_w = weight.defined() && weight.requires_grad();
  const std::int64_t n = input.numel();
  Tensor gx, gt, gw;
  if (recording()) {
    const Tensor e = composed_factor(g, reduction, n);
    const Tensor c = weight.defined() ? mul(e, weight) : e;
    const auto [dx, dt] = composed_derivatives(kind, input, target, need_x, need_t);
    if (need_x) gx = mul(c, dx);
    if (need_t) gt = mul(c, dt);
    // d loss / d w = e * term; the term comes from the op itself, so it is
    // differentiable too.
    if (need_w) gw = sum_to(mul(e, pointwise_loss(kind, input, target, Reduction::None, Tensor())), weight.shape());
    return Grads{gx, gt, gw};
  }
  const Tensor x = dense(input), t = dense(target), w = dense_weight(weight, input.shape());
  if (need_x) gx = empty_as(input, input.shape());
  if (need_t) gt = empty_as(input, input.shape());
  if (input.device().is_cuda()) {
    const double scale = reduction_scale(reduction, n);
    const Tensor gd = device_grad(g);
    kernels::cuda_pointwise_loss_backward(kind, gx, gt, gd, scale, x, t, w);
    if (need_w) {
      Tensor term = empty_as(input, input.shape());
      kernels::cuda_pointwise_loss(kind, term, x, t, Tensor(), /*reduce=*/false, 1.0);
      NoGradGuard no_grad;
      gw = sum_to(mul(mul(gd.numel() == 1 ? gd.reshape({}) : gd.reshape(input.shape()), scale), term), weight.shape());
    }
    return Grads{gx, gt, gw};
  }
  const GradFactor factor = grad_factor(g, reduction_scale(reduction, n));
  cpu::pointwise_loss_backward(kind, gx, gt, factor.dense, factor.scale, x, t, w);
  if (need_w) {
    Tensor term = empty_as(input, input.shape());
    cpu::pointwise_loss(kind, term, x, t, Tensor());
    const Tensor e = factor.dense.defined() ? mul(factor.dense, factor.scale)
                                            : scalar_tensor(factor.scale, {.dtype = input.dtype()});
    gw = sum_to(mul(e, term), weight.shape());
  }
  return Grads{gx, gt, gw};
}

Tensor pointwise_loss(cpu::PointwiseLoss kind, const Tensor& input, const Tensor& target, Reduction reduction,
                      const Tensor& weight) {
  const char* op = name_of(kind);
  check_same(input, target, op);
  ZENGEN_CHECK(input.shape() == target.shape(), ShapeError, op, ": input has shape ", input.shape(),
               " but target has shape ", target.shape(), "; they must be equal (losses do not broadcast the target)");
  if (weight.defined()) {
    check_same(input, weight, op);
    ZENGEN_CHECK(broadcasts_to(weight.shape(), input.shape()), ShapeError, op,
                 ": weight of shape ", weight.shape(), " cannot be broadcast to the input's shape ", input.shape());
  }
  const Tensor x = dense(input), t = dense(target), w = dense_weight(weight, input.shape());
  Tensor out = reduction == Reduction::None ? empty_as(input, input.shape()) : Tensor();
  if (input.device().is_cuda()) {
    // The reduced value stays on the device (no host sync); an invalid BCE
    // input gives NaN there instead of the CPU's error.
    if (reduction != Reduction::None) out = empty_as(input, Shape{});
    kernels::cuda_pointwise_loss(kind, out, x, t, w, reduction != Reduction::None,
                                 reduction_scale(reduction, input.numel()));
    return record(op, out, {&input, &target, &weight}, [kind, input, target, weight, reduction](const Tensor& g) {
      return pointwise_backward(kind, g, input, target, weight, reduction);
    });
  }
  std::int64_t bad = -1;
  const double total = cpu::pointwise_loss(kind, out, x, t, w, &bad);
  if (bad >= 0) {
    const double value = first_value(x.flatten().narrow(0, bad, 1));
    throw ValueError(detail::concat(op, ": input must hold probabilities in [0, 1], but element ", bad,
                                    " (flat index) of the input of shape ", input.shape(), " is ", value,
                                    "; apply sigmoid first, or use binary_cross_entropy_with_logits on logits"));
  }
  if (reduction != Reduction::None) out = reduced(input, total, reduction, input.numel());
  return record(op, out, {&input, &target, &weight}, [kind, input, target, weight, reduction](const Tensor& g) {
    return pointwise_backward(kind, g, input, target, weight, reduction);
  });
}

// ---- gaussian_kl ----

Grads gaussian_kl_backward(const Tensor& g, const Tensor& mu, const Tensor& logvar, Reduction reduction,
                           std::int64_t rows) {
  const bool need_mu = mu.requires_grad(), need_lv = logvar.requires_grad();
  Tensor gmu, glv;
  if (recording()) {
    const Tensor e = composed_factor(g, reduction, rows, /*per_row=*/true);
    if (need_mu) gmu = mul(e, mu);
    if (need_lv) glv = mul(e, mul(sub(exp(logvar), 1.0), 0.5));
    return Grads{gmu, glv};
  }
  if (need_mu) gmu = empty_as(mu, mu.shape());
  if (need_lv) glv = empty_as(mu, mu.shape());
  if (mu.device().is_cuda()) {
    kernels::cuda_gaussian_kl_backward(gmu, glv, device_grad(g), reduction_scale(reduction, rows), dense(mu),
                                       dense(logvar));
    return Grads{gmu, glv};
  }
  const GradFactor factor = grad_factor(g, reduction_scale(reduction, rows));
  cpu::gaussian_kl_backward(gmu, glv, factor.dense, factor.scale, dense(mu), dense(logvar));
  return Grads{gmu, glv};
}

}  // namespace

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight) {
  return pointwise_loss(cpu::PointwiseLoss::BCE, input, target, reduction, weight);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction reduction,
                                        const Tensor& weight) {
  return pointwise_loss(cpu::PointwiseLoss::BCEWithLogits, input, target, reduction, weight);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return pointwise_loss(cpu::PointwiseLoss::MSE, input, target, reduction, Tensor());
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return pointwise_loss(cpu::PointwiseLoss::L1, input, target, reduction, Tensor());
}

Tensor gaussian_kl(const Tensor& mu, const Tensor& logvar, Reduction reduction) {
  const char* op = "gaussian_kl";
  check_same(mu, logvar, op);
  ZENGEN_CHECK(mu.shape() == logvar.shape(), ShapeError, op, ": mu has shape ", mu.shape(), " but logvar has shape ",
               logvar.shape(), "; they must be equal");
  ZENGEN_CHECK(mu.dim() >= 1, ShapeError, op, ": expected mu and logvar of shape [N, D] (the KL is summed over the "
               "last dim), got 0-d tensors");
  Shape row_shape(mu.shape().begin(), mu.shape().end() - 1);
  const std::int64_t rows = row_shape.numel();
  const Tensor m = dense(mu), v = dense(logvar);
  Tensor out = reduction == Reduction::None ? empty_as(mu, row_shape) : Tensor();
  if (mu.device().is_cuda()) {
    if (reduction != Reduction::None) out = empty_as(mu, Shape{});
    kernels::cuda_gaussian_kl(out, m, v, reduction != Reduction::None, reduction_scale(reduction, rows));
  } else {
    const double total = cpu::gaussian_kl(out, m, v);
    if (reduction != Reduction::None) out = reduced(mu, total, reduction, rows);
  }
  return record(op, out, {&mu, &logvar}, [mu, logvar, reduction, rows](const Tensor& g) {
    return gaussian_kl_backward(g, mu, logvar, reduction, rows);
  });
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction) {
  const char* op = "cross_entropy";
  check_floating(logits, op);
  ZENGEN_CHECK(logits.dim() == 2, ShapeError, op, ": expected logits of shape [N, K] (N rows of K class scores), got ",
               logits.shape());
  check_defined(target, op);
  ZENGEN_CHECK(target.dtype() == DType::Int64, DTypeError, op, ": target must hold int64 class indices, got ",
               target.dtype(), " of shape ", target.shape());
  ZENGEN_CHECK(target.device() == logits.device(), DeviceError, op, ": logits are on ", logits.device(),
               " but target is on ", target.device());
  const std::int64_t n = logits.shape()[0], k = logits.shape()[1];
  ZENGEN_CHECK(target.shape() == Shape{n}, ShapeError, op, ": target has shape ", target.shape(), " but logits of shape ",
               logits.shape(), " need one class index per row (shape [", n, "])");
  const Tensor x = dense(logits), t = dense(target);
  {  // targets in range, checked on the host (for a CUDA target: one small copy)
    const Tensor host_target = t.to(Device::cpu());
    const std::int64_t* ti = host_target.data<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i)
      ZENGEN_CHECK(ti[i] >= 0 && ti[i] < k, ValueError, op, ": target ", ti[i], " at position ", i,
                   " is out of range for ", k, " classes (expected 0 <= target < ", k, ")");
  }
  Tensor lse = empty_as(logits, Shape{n});
  Tensor out;
  if (logits.device().is_cuda()) {  // the reduced value stays on the device
    out = empty_as(logits, reduction == Reduction::None ? Shape{n} : Shape{});
    kernels::cuda_cross_entropy(out, lse, x, t, reduction != Reduction::None, reduction_scale(reduction, n));
  } else {
    if (reduction == Reduction::None) out = empty_as(logits, Shape{n});
    const double total = cpu::cross_entropy(out, lse, x, t);
    if (reduction != Reduction::None) out = reduced(logits, total, reduction, n);
  }
  return record(op, out, {&logits}, [logits, x, t, lse, reduction, n, k](const Tensor& g) {
    if (recording()) {
      // softmax - onehot with zengen ops (on either device): the max is a
      // constant shift.
      const Tensor m = max(logits, 1, true).values.detach();
      const Tensor row_lse = add(m, log(sum(exp(sub(logits, m)), {1}, true)));
      const Tensor classes = arange(0, static_cast<double>(k), 1, {.dtype = DType::Int64, .device = logits.device()});
      const Tensor onehot = eq(unsqueeze(t, 1), classes).to(logits.dtype());
      const Tensor e = composed_factor(g, reduction, n, /*per_row=*/true);
      return Grads{mul(e, sub(exp(sub(logits, row_lse)), onehot))};
    }
    Tensor gx = empty_as(logits, logits.shape());
    if (logits.device().is_cuda()) {
      kernels::cuda_cross_entropy_backward(gx, device_grad(g), reduction_scale(reduction, n), x, t, lse);
      return Grads{gx};
    }
    const GradFactor factor = grad_factor(g, reduction_scale(reduction, n));
    cpu::cross_entropy_backward(gx, factor.dense, factor.scale, x, t, lse);
    return Grads{gx};
  });
}

}  // namespace zengen
