// zengen::models: GAN<> and VAE<> over the network concepts, their
// objectives and likelihoods, and ready-made networks (DCGAN, MLPs, VAEs).
// Keep the list sorted.
#pragma once

#include "zengen/models/concepts.hpp"
#include "zengen/models/dcgan.hpp"
#include "zengen/models/gan.hpp"
#include "zengen/models/vae.hpp"
#include "zengen/models/vae_builders.hpp"
