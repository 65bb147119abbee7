#include "zengen/nn/functional.hpp"

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/ops/ops.hpp"

namespace zengen::nn::functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  ZENGEN_CHECK(weight.dim() == 2, ShapeError, "linear: weight must be [out, in], got ", weight.shape());
  ZENGEN_CHECK(x.dim() >= 1 && x.size(-1) == weight.size(1), ShapeError, "linear: input ", x.shape(),
               " has ", x.dim() ? x.size(-1) : 0, " features but weight ", weight.shape(), " expects ", weight.size(1));
  const Tensor y = matmul(x, weight.t());
  return bias.defined() ? y + bias : y;
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps, std::optional<double> leaky_slope) {
  ZENGEN_CHECK(x.dim() >= 2, ShapeError, "batch_norm: input must be [N, C, ...], got ", x.shape());
  const std::int64_t channels = x.size(1);
  // Statistics over every dim but the channels; parameters broadcast as [1, C, 1, ...].
  std::vector<std::int64_t> dims{0};
  Shape param_shape{1, channels};
  for (std::int64_t d = 2; d < x.dim(); ++d) {
    dims.push_back(d);
    param_shape.push_back(1);
  }
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias})
    if (t->defined())
      ZENGEN_CHECK(t->shape() == Shape{channels}, ShapeError, "batch_norm: input ", x.shape(), " has ", channels,
                   " channels but a parameter/statistic has shape ", t->shape());
  const std::int64_t per_channel = x.numel() / std::max<std::int64_t>(channels, 1);
  Tensor mean, var;
  if (training) {
    ZENGEN_CHECK(per_channel > 1, ValueError, "batch_norm: training needs more than one value per channel, got input ",
                 x.shape());
    // The fused op: statistics, output and gradient in a few passes.
    const BatchNormOutput r = batch_norm_training(x, weight, bias, eps, leaky_slope);
    if (running_mean.defined()) {
      NoGradGuard no_grad;
      const double unbias = static_cast<double>(per_channel) / static_cast<double>(per_channel - 1);
      running_mean.copy_(running_mean * (1.0 - momentum) + r.mean * momentum);
      running_var.copy_(running_var * (1.0 - momentum) + r.var * (momentum * unbias));
    }
    return r.output;
  }
  if (!running_mean.defined()) {  // evaluation without running statistics: the batch's own
    mean = zengen::mean(x, dims, true);
    var = zengen::var(x, dims, /*unbiased=*/false, true);
  } else {
    mean = running_mean.reshape(param_shape);
    var = running_var.reshape(param_shape);
  }
  Tensor y = (x - mean) / sqrt(var + eps);
  if (weight.defined()) y = y * weight.reshape(param_shape);
  if (bias.defined()) y = y + bias.reshape(param_shape);
  if (!leaky_slope) return y;
  return *leaky_slope == 0.0 ? relu(y) : leaky_relu(y, *leaky_slope);
}

Tensor dropout(const Tensor& x, double p, bool training) {
  ZENGEN_CHECK(p >= 0.0 && p <= 1.0, ValueError, "dropout: p must lie in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  const Tensor keep = bernoulli(x.shape(), 1.0 - p, {.dtype = x.dtype(), .device = x.device()});
  return x * keep * (1.0 / (1.0 - p));
}

Tensor upsample_nearest(const Tensor& x, std::int64_t scale) {
  ZENGEN_CHECK(x.dim() == 4, ShapeError, "upsample_nearest: input must be [N, C, H, W], got ", x.shape());
  ZENGEN_CHECK(scale >= 1, ValueError, "upsample_nearest: scale must be >= 1, got ", scale);
  if (scale == 1) return x;
  const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.reshape({n, c, h, 1, w, 1}).expand({n, c, h, scale, w, scale}).reshape({n, c, h * scale, w * scale});
}

Tensor embedding(const Tensor& indices, const Tensor& weight) {
  ZENGEN_CHECK(weight.dim() == 2, ShapeError, "embedding: weight must be [num, dim], got ", weight.shape());
  ZENGEN_CHECK(indices.dtype() == DType::Int64, DTypeError, "embedding: indices must be int64, got ",
               indices.dtype());
  Shape out_shape = indices.shape();
  out_shape.push_back(weight.size(1));
  return index_select(weight, 0, indices.reshape({-1})).reshape(out_shape);
}

}  // namespace zengen::nn::functional
