// Optimizers (SGD, Adam, AdamW), gradient clipping and learning-rate
// schedules.
#pragma once

#include "zengen/optim/adam.hpp"
#include "zengen/optim/clip.hpp"
#include "zengen/optim/finite.hpp"
#include "zengen/optim/optimizer.hpp"
#include "zengen/optim/schedule.hpp"
#include "zengen/optim/sgd.hpp"
