// zengen: the whole public API.
#pragma once

#include "zengen/autograd/autograd.hpp"
#include "zengen/core/core.hpp"
#include "zengen/data/data.hpp"
#include "zengen/io/io.hpp"
#include "zengen/metrics/metrics.hpp"
#include "zengen/models/models.hpp"
#include "zengen/nn/nn.hpp"
#include "zengen/ops/ops.hpp"
#include "zengen/optim/optim.hpp"
#include "zengen/train/train.hpp"
#include "zengen/version.hpp"
