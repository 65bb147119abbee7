// The data layer: dataset files (MNIST idx) and, later, images and loaders.
#pragma once

#include "zengen/data/idx.hpp"
