// zengen::models: GAN<> and VAE<> over the network concepts, their
// objectives, and ready-made networks (DCGAN, MLPs). Keep the list sorted.
#pragma once

#include "zengen/models/concepts.hpp"
#include "zengen/models/dcgan.hpp"
#include "zengen/models/gan.hpp"
