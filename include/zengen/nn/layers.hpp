// The library's layers. Each is a ModuleBase (handle semantics: copies share
// parameters) with a forward(Tensor) and PyTorch's default initialisation.
// Parameters are public members (weight, bias) for direct access.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "zengen/nn/module.hpp"
#include "zengen/ops/conv.hpp"

namespace zengen::nn {

/// y = x W^T + b; x [..., in] -> [..., out]. W [out, in] and b [out] start
/// from U(-1/sqrt(in), 1/sqrt(in)).
class Linear : public ModuleBase {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  Tensor weight, bias;
  std::int64_t in_features, out_features;
};

/// Stride, padding, dilation and bias of a Conv2d layer.
struct Conv2dOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t dilation = 1;
  bool bias = true;
};

/// [N, in, H, W] -> [N, out, Ho, Wo]; square kernel; weight [out, in, k, k].
class Conv2d : public ModuleBase {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Conv2dOptions options = {});
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  Tensor weight, bias;
  std::int64_t in_channels, out_channels, kernel_size;
  Conv2dOptions options;
};

/// Stride, padding, output padding, dilation and bias of a ConvTranspose2d layer.
struct ConvTranspose2dOptions {
  std::int64_t stride = 1;
  std::int64_t padding = 0;
  std::int64_t output_padding = 0;
  std::int64_t dilation = 1;
  bool bias = true;
};

/// The adjoint of Conv2d: [N, in, H, W] -> [N, out, Ho, Wo] with
/// Ho = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1;
/// weight [in, out, k, k].
class ConvTranspose2d : public ModuleBase {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size,
                  ConvTranspose2dOptions options = {});
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  Tensor weight, bias;
  std::int64_t in_channels, out_channels, kernel_size;
  ConvTranspose2dOptions options;
};

/// BatchNorm's epsilon, running-average momentum, and whether it has weights and running statistics.
struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;               // learn weight (gamma) and bias (beta)
  bool track_running_stats = true;  // keep running_mean/var for eval mode
};

/// Normalises each channel of [N, C] or [N, C, L] (1d) / [N, C, H, W] (2d)
/// over the batch; buffers running_mean, running_var, num_batches_tracked.
class BatchNorm : public ModuleBase {
 public:
  BatchNorm(std::int64_t num_features, BatchNormOptions options, int spatial_dims);
  Tensor forward(const Tensor& x) const;
  /// forward(x) then leaky_relu(., slope) (slope >= 0; 0 is ReLU), fused
  /// into the normalisation's passes in training (nn::Sequential calls this
  /// for a BatchNorm followed by ReLU or LeakyReLU).
  Tensor forward_activated(const Tensor& x, double slope) const;
  std::string describe() const override;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  std::int64_t num_features;
  BatchNormOptions options;

 private:
  Tensor normalise(const Tensor& x, std::optional<double> leaky_slope) const;
  int spatial_dims_;
};
/// Batch normalisation over [N, C] or [N, C, L] (statistics per channel C).
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, BatchNormOptions options = {}) : BatchNorm(num_features, options, 1) {}
};
/// Batch normalisation over [N, C, H, W] (statistics per channel C).
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, BatchNormOptions options = {}) : BatchNorm(num_features, options, 2) {}
};

/// max(x, 0).
class ReLU : public ModuleBase {
 public:
  Tensor forward(const Tensor& x) const;
  std::string describe() const override { return "ReLU()"; }
};

/// x for x > 0, negative_slope * x otherwise.
class LeakyReLU : public ModuleBase {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  double negative_slope;
};

/// tanh(x).
class Tanh : public ModuleBase {
 public:
  Tensor forward(const Tensor& x) const;
  std::string describe() const override { return "Tanh()"; }
};

/// 1 / (1 + exp(-x)), stable for large |x|.
class Sigmoid : public ModuleBase {
 public:
  Tensor forward(const Tensor& x) const;
  std::string describe() const override { return "Sigmoid()"; }
};

/// Zeroes elements with probability p in training mode (scaling the rest).
class Dropout : public ModuleBase {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  double p;
};

/// Merges dims start..end (default: all but the batch dim).
class Flatten : public ModuleBase {
 public:
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) const;
  std::string describe() const override { return "Flatten()"; }
  std::int64_t start_dim, end_dim;
};

/// Splits dim `dim` into `sizes`: Unflatten(1, {64, 4, 4}) turns [N, 1024]
/// into [N, 64, 4, 4].
class Unflatten : public ModuleBase {
 public:
  Unflatten(std::int64_t dim, Shape sizes) : dim(dim), sizes(std::move(sizes)) {}
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  std::int64_t dim;
  Shape sizes;
};

/// Reshapes every example: Reshape({1, 28, 28}) turns [N, 784] into
/// [N, 1, 28, 28] (the batch dim is kept).
class Reshape : public ModuleBase {
 public:
  explicit Reshape(Shape shape) : shape(std::move(shape)) {}
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  Shape shape;
};

/// Nearest-neighbour upsampling of [N, C, H, W] by an integer factor.
class Upsample : public ModuleBase {
 public:
  explicit Upsample(std::int64_t scale_factor = 2);
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  std::int64_t scale_factor;
};

/// A table of num_embeddings vectors of size dim, N(0, 1) at start; forward
/// takes int64 indices of any shape and gives [..., dim].
class Embedding : public ModuleBase {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim);
  Tensor forward(const Tensor& indices) const;
  std::string describe() const override;
  Tensor weight;
  std::int64_t num_embeddings, embedding_dim;
};

/// Returns its input (a placeholder layer).
class Identity : public ModuleBase {
 public:
  Tensor forward(const Tensor& x) const { return x; }
  std::string describe() const override { return "Identity()"; }
};

}  // namespace zengen::nn
