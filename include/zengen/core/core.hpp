// The core layer: tensors, shapes, dtypes, devices, memory, randomness, errors.
#pragma once

#include "zengen/core/allocator.hpp"
#include "zengen/core/cpu_isa.hpp"
#include "zengen/core/determinism.hpp"
#include "zengen/core/device.hpp"
#include "zengen/core/dtype.hpp"
#include "zengen/core/error.hpp"
#include "zengen/core/generator.hpp"
#include "zengen/core/limits.hpp"
#include "zengen/core/shape.hpp"
#include "zengen/core/storage.hpp"
#include "zengen/core/tensor.hpp"
