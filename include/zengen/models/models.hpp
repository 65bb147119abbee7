// zengen::models: the model templates and their ready-made networks.
#pragma once

#include "zengen/models/concepts.hpp"
#include "zengen/models/vae.hpp"
#include "zengen/models/vae_builders.hpp"
