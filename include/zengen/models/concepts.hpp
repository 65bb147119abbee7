// What GAN<> and VAE<> ask of the networks you give them. A type that does
// not fit is rejected at compile time by the concept, with the requirement
// it misses named in the error.
#pragma once

#include <concepts>
#include <cstdint>

#include "zengen/core/tensor.hpp"
#include "zengen/nn/module.hpp"

namespace zengen::models {

/// Maps noise z [N, latent_shape()...] to samples [N, ...].
/// latent_shape() is the shape of one noise vector: {nz} for an MLP,
/// {nz, 1, 1} for DCGAN's transposed convolutions.
template <typename G>
concept Generator = nn::Module<G> && requires(G& g, const G& cg, const Tensor& z) {
  { g.forward(z) } -> std::convertible_to<Tensor>;
  { cg.latent_shape() } -> std::convertible_to<Shape>;
};

/// Maps samples [N, ...] to one logit (or critic score) per sample: [N] or [N, 1].
template <typename D>
concept Discriminator = nn::Module<D> && requires(D& d, const Tensor& x) {
  { d.forward(x) } -> std::convertible_to<Tensor>;
};

/// The parameters of a diagonal Gaussian, each [N, latent_dim].
struct Gaussian {
  Tensor mu;
  Tensor logvar;
};

/// Maps data [N, ...] to the approximate posterior q(z | x).
template <typename E>
concept Encoder = nn::Module<E> && requires(E& e, const E& ce, const Tensor& x) {
  { e.forward(x) } -> std::convertible_to<Gaussian>;
  { ce.latent_dim() } -> std::convertible_to<std::int64_t>;
};

/// Maps latents z [N, latent_dim] to the likelihood's parameters for x
/// (logits for a Bernoulli likelihood, means for a Gaussian one), shaped like x.
template <typename D>
concept Decoder = nn::Module<D> && requires(D& d, const Tensor& z) {
  { d.forward(z) } -> std::convertible_to<Tensor>;
};

}  // namespace zengen::models
