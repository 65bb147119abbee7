// batch_norm_training: checks, the fused kernels (src/cpu/normalization.cpp,
// cuda/normalization.cu) and the gradient. For the gradient under
// create_graph the same computation is written with zengen ops, which
// autograd differentiates.
#include "zengen/ops/normalization.hpp"

#include <vector>

#include "cpu/normalization.hpp"
#include "ops/common.hpp"
#include "ops/kernels.hpp"
#include "zengen/ops/activation.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"

namespace zengen {

using namespace ops_detail;
using autograd::record;

namespace {

// The dims the statistics run over (all but 1), and [1, C, 1, ...].
std::vector<std::int64_t> statistic_dims(const Tensor& x) {
  std::vector<std::int64_t> dims{0};
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}
Shape parameter_shape(const Tensor& x) {
  Shape shape{1, x.size(1)};
  for (std::int64_t d = 2; d < x.dim(); ++d) shape.push_back(1);
  return shape;
}

// x normalised with ops (recorded), and its variance ([1, C, 1, ...]).
struct Normalised {
  Tensor output, var;
};
Normalised normalised(const Tensor& x, double eps) {
  const auto dims = statistic_dims(x);
  Normalised r;
  const Tensor mu = mean(x, dims, /*keepdim=*/true);
  r.var = var(x, dims, /*unbiased=*/false, /*keepdim=*/true);
  r.output = div(sub(x, mu), sqrt(add(r.var, eps)));
  return r;
}

Grads batch_norm_backward(const Tensor& g_out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const Tensor& mean, const Tensor& invstd, double eps, const Tensor& y,
                          std::optional<double> leaky_slope) {
  const bool need_x = x.requires_grad(), need_w = weight.defined() && weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  if (recording()) {
    // Through the fused activation first: its gradient w.r.t. the
    // normalised output (y, the activated output, has the same sign).
    const Tensor g = leaky_slope ? leaky_relu_backward(g_out, y, *leaky_slope) : g_out;
    // create_graph: the gradient as ops of x, weight and bias, so that it is
    // itself differentiable (the statistics recomputed from x).
    const auto dims = statistic_dims(x);
    const Shape shape = parameter_shape(x);
    const double count = static_cast<double>(x.numel() / x.size(1));
    const Normalised c = normalised(x, eps);
    const Tensor inv = pow(add(c.var, eps), -0.5);
    const Tensor sum_g = sum(g, dims, /*keepdim=*/true);
    const Tensor sum_g_xhat = sum(mul(g, c.output), dims, /*keepdim=*/true);
    Tensor gx, gw, gb;
    if (need_x) {
      Tensor inner = sub(sub(g, div(sum_g, count)), mul(c.output, div(sum_g_xhat, count)));
      gx = mul(inner, inv);
      if (weight.defined()) gx = mul(gx, reshape(weight, shape));
    }
    if (need_w) gw = reshape(sum_g_xhat, weight.shape());
    if (need_b) gb = reshape(sum_g, bias.shape());
    return Grads{gx, gw, gb};
  }
  Tensor gx = need_x ? empty_as(x, x.shape()) : Tensor();
  Tensor gw = need_w ? empty_as(x, weight.shape()) : Tensor();
  Tensor gb = need_b ? empty_as(x, bias.shape()) : Tensor();
  if (x.device().is_cuda())
    kernels::cuda_batch_norm_backward(gx, gw, gb, dense(g_out), dense(x), dense(weight), dense(bias), mean, invstd,
                                      leaky_slope);
  else
    cpu::batch_norm_backward(gx, gw, gb, dense(g_out), dense(x), dense(weight), dense(bias), mean, invstd,
                             leaky_slope);
  return Grads{gx, gw, gb};
}

}  // namespace

BatchNormOutput batch_norm_training(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                                    std::optional<double> leaky_slope) {
  const char* op = "batch_norm_training";
  check_floating(x, op);
  ZENGEN_CHECK(x.dim() >= 2, ShapeError, op, ": input must be [N, C, ...], got ", x.shape());
  const std::int64_t channels = x.size(1);
  for (const Tensor* t : {&weight, &bias})
    if (t->defined()) {
      check_same(x, *t, op);
      ZENGEN_CHECK(t->shape() == Shape{channels}, ShapeError, op, ": input ", x.shape(), " has ", channels,
                   " channels but weight/bias has shape ", t->shape(), "; expected [", channels, "]");
    }
  ZENGEN_CHECK(x.numel() > channels, ValueError, op, ": training needs more than one value per channel, got input ",
               x.shape());
  ZENGEN_CHECK(eps > 0.0, ValueError, op, ": eps must be positive, got ", eps);
  ZENGEN_CHECK(!leaky_slope || *leaky_slope >= 0.0, ValueError, op, ": the fused leaky_relu's slope must be >= 0 (the "
               "backward reads the output's sign), got ", leaky_slope ? *leaky_slope : 0.0);

  Tensor y = empty_as(x, x.shape());
  const Tensor mean = empty_as(x, {channels}), var = empty_as(x, {channels}), invstd = empty_as(x, {channels});
  if (x.device().is_cuda())
    kernels::cuda_batch_norm_forward(y, mean, var, invstd, dense(x), dense(weight), dense(bias), eps, leaky_slope);
  else
    cpu::batch_norm_forward(y, mean, var, invstd, dense(x), dense(weight), dense(bias), eps, leaky_slope);
  // The output is kept (detached) only for the create_graph gradient of a
  // fused activation; the fused kernels recompute its sign from x.
  const Tensor saved_y = leaky_slope ? y.detach() : Tensor();
  y = record(op, y, {&x, &weight, &bias}, [x, weight, bias, mean, invstd, eps, saved_y, leaky_slope](const Tensor& g) {
    return batch_norm_backward(g, x, weight, bias, mean, invstd, eps, saved_y, leaky_slope);
  });
  return {y, mean, var};
}

}  // namespace zengen
