// The io layer: checkpoints (safetensors) and, later, image grids.
#pragma once

#include "zengen/io/checkpoint.hpp"
#include "zengen/io/safetensors.hpp"
