// Neural-network modules: the Module concept and base, layers, Sequential,
// initialisers and the functional forms.
#pragma once

#include "zengen/nn/functional.hpp"
#include "zengen/nn/init.hpp"
#include "zengen/nn/layers.hpp"
#include "zengen/nn/module.hpp"
#include "zengen/nn/sequential.hpp"
