// All tensor operations.
#pragma once

#include "zengen/ops/activation.hpp"
#include "zengen/ops/conv.hpp"
#include "zengen/ops/elementwise.hpp"
#include "zengen/ops/factory.hpp"
#include "zengen/ops/index.hpp"
#include "zengen/ops/loss.hpp"
#include "zengen/ops/matmul.hpp"
#include "zengen/ops/normalization.hpp"
#include "zengen/ops/op_list.hpp"
#include "zengen/ops/reduction.hpp"
#include "zengen/ops/view.hpp"
