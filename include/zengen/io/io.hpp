// The io layer: checkpoints (safetensors), image files and grids, plots.
#pragma once

#include "zengen/io/checkpoint.hpp"
#include "zengen/io/image.hpp"
#include "zengen/io/plot.hpp"
#include "zengen/io/safetensors.hpp"
