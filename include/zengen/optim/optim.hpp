// Optimizers (SGD, Adam, AdamW).
#pragma once

#include "zengen/optim/adam.hpp"
#include "zengen/optim/functors.hpp"
#include "zengen/optim/optimizer.hpp"
#include "zengen/optim/sgd.hpp"
