// Stochastic gradient descent with optional momentum (heavy-ball or
// Nesterov), dampening and L2 weight decay, with PyTorch's update rule:
//   d = g + weight_decay * p
//   buf = d (first step), else momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf       (with momentum)
//   p = p - lr * d
#pragma once

#include "zengen/optim/optimizer.hpp"

namespace zengen::optim {

/// SGD's learning rate, momentum, dampening, Nesterov flag and weight decay.
struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening == 0
};

/// Stochastic gradient descent with optional momentum (plain or Nesterov) and weight decay.
class SGD : public GroupedOptimizer<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options = {});
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups);
  void step() override;
};

}  // namespace zengen::optim
