#include "zengen/nn/layers.hpp"

#include "zengen/autograd/grad_mode.hpp"

#include <cmath>
#include <sstream>

#include "zengen/nn/functional.hpp"
#include "zengen/nn/init.hpp"
#include "zengen/ops/ops.hpp"

namespace zengen::nn {

namespace F = functional;

namespace {
// PyTorch's default for Linear and convolutions: kaiming_uniform(a = sqrt(5))
// on the weight, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias
// from the same range.
void default_init(const Tensor& weight, const Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(init::fan_in_and_fan_out(weight).first);
    init::uniform_(bias, -bound, bound);
  }
}

void check_positive(std::int64_t v, const char* layer, const char* what) {
  ZENGEN_CHECK(v > 0, ValueError, layer, ": ", what, " must be positive, got ", v);
}

std::string bool_str(bool b) { return b ? "true" : "false"; }
}  // namespace

// ---- Linear ----

Linear::Linear(std::int64_t in, std::int64_t out, bool with_bias) : in_features(in), out_features(out) {
  check_positive(in, "Linear", "in_features");
  check_positive(out, "Linear", "out_features");
  weight = register_parameter("weight", empty({out, in}));
  if (with_bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}

Tensor Linear::forward(const Tensor& x) const { return F::linear(x, weight, bias); }

std::string Linear::describe() const {
  std::ostringstream os;
  os << "Linear(in=" << in_features << ", out=" << out_features << ", bias=" << bool_str(bias.defined()) << ")";
  return os.str();
}

// ---- Conv2d / ConvTranspose2d ----

Conv2d::Conv2d(std::int64_t in, std::int64_t out, std::int64_t k, Conv2dOptions opts)
    : in_channels(in), out_channels(out), kernel_size(k), options(opts) {
  check_positive(in, "Conv2d", "in_channels");
  check_positive(out, "Conv2d", "out_channels");
  check_positive(k, "Conv2d", "kernel_size");
  weight = register_parameter("weight", empty({out, in, k, k}));
  if (opts.bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}

Tensor Conv2d::forward(const Tensor& x) const {
  return conv2d(x, weight, bias,
                {.stride = {options.stride, options.stride},
                 .padding = {options.padding, options.padding},
                 .dilation = {options.dilation, options.dilation}});
}

std::string Conv2d::describe() const {
  std::ostringstream os;
  os << "Conv2d(" << in_channels << ", " << out_channels << ", kernel=" << kernel_size << ", stride=" << options.stride
     << ", padding=" << options.padding;
  if (options.dilation != 1) os << ", dilation=" << options.dilation;
  os << ", bias=" << bool_str(bias.defined()) << ")";
  return os.str();
}

ConvTranspose2d::ConvTranspose2d(std::int64_t in, std::int64_t out, std::int64_t k, ConvTranspose2dOptions opts)
    : in_channels(in), out_channels(out), kernel_size(k), options(opts) {
  check_positive(in, "ConvTranspose2d", "in_channels");
  check_positive(out, "ConvTranspose2d", "out_channels");
  check_positive(k, "ConvTranspose2d", "kernel_size");
  weight = register_parameter("weight", empty({in, out, k, k}));
  if (opts.bias) bias = register_parameter("bias", empty({out}));
  default_init(weight, bias);
}

Tensor ConvTranspose2d::forward(const Tensor& x) const {
  return conv_transpose2d(x, weight, bias,
                          {.stride = {options.stride, options.stride},
                           .padding = {options.padding, options.padding},
                           .dilation = {options.dilation, options.dilation},
                           .output_padding = {options.output_padding, options.output_padding}});
}

std::string ConvTranspose2d::describe() const {
  std::ostringstream os;
  os << "ConvTranspose2d(" << in_channels << ", " << out_channels << ", kernel=" << kernel_size
     << ", stride=" << options.stride << ", padding=" << options.padding;
  if (options.output_padding) os << ", output_padding=" << options.output_padding;
  if (options.dilation != 1) os << ", dilation=" << options.dilation;
  os << ", bias=" << bool_str(bias.defined()) << ")";
  return os.str();
}

// ---- BatchNorm ----

BatchNorm::BatchNorm(std::int64_t features, BatchNormOptions opts, int spatial_dims)
    : num_features(features), options(opts), spatial_dims_(spatial_dims) {
  check_positive(features, "BatchNorm", "num_features");
  ZENGEN_CHECK(opts.momentum >= 0 && opts.momentum <= 1, ValueError, "BatchNorm: momentum must lie in [0, 1], got ",
               opts.momentum);
  if (opts.affine) {
    weight = register_parameter("weight", ones({features}));
    bias = register_parameter("bias", zeros({features}));
  }
  if (opts.track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({features}));
    running_var = register_buffer("running_var", ones({features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, {.dtype = DType::Int64}));
  }
}

Tensor BatchNorm::forward(const Tensor& x) const { return normalise(x, std::nullopt); }

Tensor BatchNorm::forward_activated(const Tensor& x, double slope) const { return normalise(x, slope); }

Tensor BatchNorm::normalise(const Tensor& x, std::optional<double> leaky_slope) const {
  const char* name = spatial_dims_ == 2 ? "BatchNorm2d" : "BatchNorm1d";
  if (spatial_dims_ == 2)
    ZENGEN_CHECK(x.dim() == 4, ShapeError, name, ": expected input [N, C, H, W], got ", x.shape());
  else
    ZENGEN_CHECK(x.dim() == 2 || x.dim() == 3, ShapeError, name, ": expected input [N, C] or [N, C, L], got ",
                 x.shape());
  ZENGEN_CHECK(x.size(1) == num_features, ShapeError, name, ": input ", x.shape(), " has ", x.size(1),
               " channels, expected ", num_features);
  if (is_training() && num_batches_tracked.defined()) {
    NoGradGuard no_grad;
    // Counted where the counter lives: reading it (item) would make a GPU
    // wait at every forward. Through float64 (exact to 2^53), which every
    // backend adds.
    num_batches_tracked.copy_(num_batches_tracked.to(DType::Float64) + 1.0);
  }
  return F::batch_norm(x, running_mean, running_var, weight, bias, is_training(), options.momentum, options.eps,
                       leaky_slope);
}

std::string BatchNorm::describe() const {
  std::ostringstream os;
  os << (spatial_dims_ == 2 ? "BatchNorm2d(" : "BatchNorm1d(") << num_features << ", eps=" << options.eps
     << ", momentum=" << options.momentum << ", affine=" << bool_str(options.affine) << ")";
  return os.str();
}

// ---- activations and shape layers ----

Tensor ReLU::forward(const Tensor& x) const { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) const { return leaky_relu(x, negative_slope); }
std::string LeakyReLU::describe() const {
  std::ostringstream os;
  os << "LeakyReLU(" << negative_slope << ")";
  return os.str();
}
Tensor Tanh::forward(const Tensor& x) const { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) const { return sigmoid(x); }

Dropout::Dropout(double p) : p(p) {
  ZENGEN_CHECK(p >= 0.0 && p <= 1.0, ValueError, "Dropout: p must lie in [0, 1], got ", p);
}
Tensor Dropout::forward(const Tensor& x) const { return F::dropout(x, p, is_training()); }
std::string Dropout::describe() const {
  std::ostringstream os;
  os << "Dropout(p=" << p << ")";
  return os.str();
}

Tensor Flatten::forward(const Tensor& x) const { return flatten(x, start_dim, end_dim); }

Tensor Unflatten::forward(const Tensor& x) const {
  const std::int64_t d = wrap_dim(dim, x.dim(), "Unflatten");
  ZENGEN_CHECK(sizes.numel() == x.size(d), ShapeError, "Unflatten: dim ", dim, " of input ", x.shape(), " has size ",
               x.size(d), ", which ", sizes, " does not fill");
  Shape shape;
  for (std::int64_t i = 0; i < x.dim(); ++i) {
    if (i == d)
      for (auto s : sizes) shape.push_back(s);
    else
      shape.push_back(x.size(i));
  }
  return x.reshape(shape);
}
std::string Unflatten::describe() const {
  std::ostringstream os;
  os << "Unflatten(dim=" << dim << ", sizes=" << sizes << ")";
  return os.str();
}

Tensor Reshape::forward(const Tensor& x) const {
  ZENGEN_CHECK(x.dim() >= 1, ShapeError, "Reshape: input must have a batch dim, got ", x.shape());
  Shape target{x.size(0)};
  for (auto s : shape) target.push_back(s);
  return x.reshape(target);
}
std::string Reshape::describe() const {
  std::ostringstream os;
  os << "Reshape(" << shape << ")";
  return os.str();
}

Upsample::Upsample(std::int64_t scale) : scale_factor(scale) { check_positive(scale, "Upsample", "scale_factor"); }
Tensor Upsample::forward(const Tensor& x) const { return F::upsample_nearest(x, scale_factor); }
std::string Upsample::describe() const {
  std::ostringstream os;
  os << "Upsample(scale_factor=" << scale_factor << ", mode=nearest)";
  return os.str();
}

Embedding::Embedding(std::int64_t num, std::int64_t dim) : num_embeddings(num), embedding_dim(dim) {
  check_positive(num, "Embedding", "num_embeddings");
  check_positive(dim, "Embedding", "embedding_dim");
  weight = register_parameter("weight", empty({num, dim}));
  init::normal_(weight, 0.0, 1.0);
}
Tensor Embedding::forward(const Tensor& indices) const { return F::embedding(indices, weight); }
std::string Embedding::describe() const {
  std::ostringstream os;
  os << "Embedding(" << num_embeddings << ", " << embedding_dim << ")";
  return os.str();
}

}  // namespace zengen::nn
