// The data layer: dataset files (MNIST idx, image folders), in-memory
// datasets, and the DataLoader that batches them.
#pragma once

#include "zengen/data/datasets.hpp"
#include "zengen/data/idx.hpp"
#include "zengen/data/image_folder.hpp"
#include "zengen/data/loader.hpp"
