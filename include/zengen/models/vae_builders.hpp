// Ready-made VAE networks.
//
//   mlp_vae:  the PyTorch VAE example's MLP (784-400-20 for MNIST):
//             encoder Flatten, Linear(D, hidden), ReLU, heads Linear(hidden,
//             latent) for mu and logvar; decoder Linear(latent, hidden),
//             ReLU, Linear(hidden, D), reshaped to the input shape.
//   conv_vae: two stride-2 convolutions down (4x4 kernels, ReLU), linear
//             heads; a linear layer up and two stride-2 transposed
//             convolutions back to [N, channels, size, size].
//
// Both decoders output the likelihood's parameters (no final activation):
// logits for BernoulliLikelihood, means for GaussianLikelihood.
//
//   auto nets = models::mlp_vae({.input = {1, 28, 28}, .hidden = 400, .latent = 20});
//   models::VAE vae(nets);                       // Bernoulli likelihood, Adam 1e-3
#pragma once

#include <cstdint>
#include <string>

#include "zengen/models/concepts.hpp"
#include "zengen/models/vae.hpp"
#include "zengen/nn/layers.hpp"
#include "zengen/nn/sequential.hpp"

namespace zengen::models {

/// Sizes of the MLP VAE built by mlp_vae() (the PyTorch example's 784-400-20 by default).
struct MLPVAEOptions {
  Shape input = {1, 28, 28};  ///< the shape of one example
  std::int64_t hidden = 400;
  std::int64_t latent = 20;
};

/// x [N, input...] -> Gaussian{mu, logvar} [N, latent]. Children: "body"
/// (Flatten, Linear, ReLU), "mu", "logvar".
class MLPEncoder : public nn::ModuleBase {
 public:
  explicit MLPEncoder(const MLPVAEOptions& options);
  Gaussian forward(const Tensor& x) const;
  std::int64_t latent_dim() const { return latent_; }
  std::string describe() const override;
  nn::Sequential body;
  nn::Linear mu, logvar;

 private:
  std::int64_t latent_;
};

/// z [N, latent] -> [N, input...]. Child "body" (Linear, ReLU, Linear, Reshape).
class MLPDecoder : public nn::ModuleBase {
 public:
  explicit MLPDecoder(const MLPVAEOptions& options);
  Tensor forward(const Tensor& z) const { return body.forward(z); }
  std::string describe() const override;
  nn::Sequential body;
};

VAENetworks<MLPEncoder, MLPDecoder> mlp_vae(const MLPVAEOptions& options = {});

/// Sizes of the convolutional VAE built by conv_vae().
struct ConvVAEOptions {
  std::int64_t channels = 1;
  std::int64_t size = 28;  ///< height and width; a multiple of 4
  std::int64_t latent = 16;
  std::int64_t base = 32;  ///< channels after the first convolution (twice that after the second)
};

/// x [N, channels, size, size] -> Gaussian{mu, logvar} [N, latent].
/// Children: "body" (Conv2d(channels, base, 4, s2, p1), ReLU,
/// Conv2d(base, 2 base, 4, s2, p1), ReLU, Flatten), "mu", "logvar".
class ConvEncoder : public nn::ModuleBase {
 public:
  explicit ConvEncoder(const ConvVAEOptions& options);
  Gaussian forward(const Tensor& x) const;
  std::int64_t latent_dim() const { return latent_; }
  std::string describe() const override;
  nn::Sequential body;
  nn::Linear mu, logvar;

 private:
  std::int64_t latent_, channels_, size_;
};

/// z [N, latent] -> [N, channels, size, size]. Child "body" (Linear(latent,
/// 2 base (size/4)^2), ReLU, Unflatten, ConvTranspose2d(2 base, base, 4, s2,
/// p1), ReLU, ConvTranspose2d(base, channels, 4, s2, p1)).
class ConvDecoder : public nn::ModuleBase {
 public:
  explicit ConvDecoder(const ConvVAEOptions& options);
  Tensor forward(const Tensor& z) const { return body.forward(z); }
  std::string describe() const override;
  nn::Sequential body;
};

VAENetworks<ConvEncoder, ConvDecoder> conv_vae(const ConvVAEOptions& options = {});

static_assert(Encoder<MLPEncoder> && Decoder<MLPDecoder> && Encoder<ConvEncoder> && Decoder<ConvDecoder>);

}  // namespace zengen::models
