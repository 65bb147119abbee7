// Reverse-mode automatic differentiation: graph nodes, backward, grad mode,
// gradcheck.
#pragma once

#include "zengen/autograd/grad_mode.hpp"
#include "zengen/autograd/gradcheck.hpp"
#include "zengen/autograd/node.hpp"
