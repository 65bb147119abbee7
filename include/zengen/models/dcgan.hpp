// Ready-made networks for GAN<>: DCGAN's convolutional generator and
// discriminator (Radford et al., 2016, as in PyTorch's dcgan example) for
// 28x28, 32x32 and 64x64 images with 1 or 3 channels, and small MLPs for toy
// problems (2-D mixtures). Each is a ModuleBase holding its layers in a
// registered nn::Sequential `main` (parameter names "main.0.weight", ...).
//
//   64x64 generator (ngf = 64):          64x64 discriminator (ndf = 64):
//   z [N, nz, 1, 1]                      x [N, C, 64, 64]
//   ConvT(nz, 8ngf, 4, 1, 0) BN ReLU  4  Conv(C, ndf, 4, 2, 1) LReLU(0.2)  32
//   ConvT(8ngf, 4ngf, 4, 2, 1) BN ReLU 8  Conv(ndf, 2ndf, 4, 2, 1) BN LReLU 16
//   ConvT(4ngf, 2ngf, ...) BN ReLU   16  Conv(2ndf, 4ndf, ...) BN LReLU      8
//   ConvT(2ngf, ngf, ...) BN ReLU    32  Conv(4ndf, 8ndf, ...) BN LReLU      4
//   ConvT(ngf, C, 4, 2, 1) Tanh      64  Conv(8ndf, 1, 4, 1, 0) -> [N] logits
//
// 32x32 drops one stage at each end (G starts at 4ngf, D ends at 4ndf).
// 28x28 (MNIST) has the 32x32 depth, with the 4 -> 7 step done by a kernel-3
// layer: G = ConvT(nz, 4ngf, 4, 1, 0) [4] -> ConvT(4ngf, 2ngf, 3, 2, 1) [7]
// -> ConvT(2ngf, ngf, 4, 2, 1) [14] -> ConvT(ngf, C, 4, 2, 1) [28]; D mirrors
// it: Conv(C, ndf, 4, 2, 1) [14] -> Conv(ndf, 2ndf, 4, 2, 1) [7] ->
// Conv(2ndf, 4ndf, 3, 2, 1) [4] -> Conv(4ndf, 1, 4, 1, 0) [1].
// Convolutions have no bias (BatchNorm follows them), as in the reference.
#pragma once

#include <cstdint>
#include <string>

#include "zengen/core/tensor.hpp"
#include "zengen/nn/module.hpp"
#include "zengen/nn/sequential.hpp"

namespace zengen::models {

/// Latent size, width (ngf), image size and channels of a DCGAN generator.
struct DCGANGeneratorOptions {
  std::int64_t nz = 100;       // latent size
  std::int64_t ngf = 64;       // feature maps in the last hidden layer
  std::int64_t size = 64;      // 28, 32 or 64
  std::int64_t channels = 3;   // 1 or 3
};

/// Width (ndf), image size and channels of a DCGAN discriminator.
struct DCGANDiscriminatorOptions {
  std::int64_t ndf = 64;
  std::int64_t size = 64;
  std::int64_t channels = 3;
};

/// z [N, nz, 1, 1] (or [N, nz]) -> images [N, channels, size, size] in [-1, 1].
class DCGANGenerator : public nn::ModuleBase {
 public:
  explicit DCGANGenerator(DCGANGeneratorOptions options = {});
  Tensor forward(const Tensor& z) const;
  Shape latent_shape() const { return {options.nz, 1, 1}; }
  std::string describe() const override;
  nn::Sequential main;
  DCGANGeneratorOptions options;
};

/// images [N, channels, size, size] -> logits [N].
class DCGANDiscriminator : public nn::ModuleBase {
 public:
  explicit DCGANDiscriminator(DCGANDiscriminatorOptions options = {});
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  nn::Sequential main;
  DCGANDiscriminatorOptions options;
};

/// DCGAN's networks, initialised with dcgan_init_. Throws ValueError for a
/// size other than 28, 32, 64, channels other than 1 or 3, or a width < 1.
DCGANGenerator dcgan_generator(DCGANGeneratorOptions options = {});
DCGANDiscriminator dcgan_discriminator(DCGANDiscriminatorOptions options = {});

/// DCGAN's initialisation, in place on every module of the tree: Conv2d and
/// ConvTranspose2d weights from N(0, 0.02), BatchNorm weights from
/// N(1, 0.02), and all their biases 0.
void dcgan_init_(const nn::ModuleBase& module);

// ---- MLPs for toy problems ----

/// Sizes of the MLP generator for toy data.
struct MLPGeneratorOptions {
  std::int64_t nz = 2;            // latent size
  std::int64_t hidden = 128;      // units per hidden layer
  std::int64_t out_features = 2;  // sample size
  std::int64_t layers = 2;        // hidden layers (>= 1)
};

/// Sizes of the MLP discriminator for toy data.
struct MLPDiscriminatorOptions {
  std::int64_t in_features = 2;
  std::int64_t hidden = 128;
  std::int64_t layers = 2;
};

/// z [N, nz] -> [N, out_features]: `layers` x (Linear, LeakyReLU(0.2)), then
/// a Linear (no output nonlinearity).
class MLPGenerator : public nn::ModuleBase {
 public:
  explicit MLPGenerator(MLPGeneratorOptions options = {});
  Tensor forward(const Tensor& z) const { return main.forward(z); }
  Shape latent_shape() const { return {options.nz}; }
  std::string describe() const override;
  nn::Sequential main;
  MLPGeneratorOptions options;
};

/// x [N, in_features] (or [N, ...], flattened) -> logits [N]: `layers` x
/// (Linear, LeakyReLU(0.2)), then a Linear to one output.
class MLPDiscriminator : public nn::ModuleBase {
 public:
  explicit MLPDiscriminator(MLPDiscriminatorOptions options = {});
  Tensor forward(const Tensor& x) const;
  std::string describe() const override;
  nn::Sequential main;
  MLPDiscriminatorOptions options;
};

/// MLPs with PyTorch's default Linear initialisation.
MLPGenerator mlp_generator(MLPGeneratorOptions options = {});
MLPDiscriminator mlp_discriminator(MLPDiscriminatorOptions options = {});

}  // namespace zengen::models
