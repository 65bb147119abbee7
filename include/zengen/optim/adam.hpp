// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), with PyTorch's update
// rules and bias correction. At step t (counted per parameter from 1):
//   AdamW: p = p * (1 - lr * weight_decay)     Adam: g = g + weight_decay * p
//   m = lerp(m, g, 1 - beta1)                  (= beta1 m + (1 - beta1) g)
//   v = beta2 v + (1 - beta2) g^2
//   vmax = max(vmax, v), used instead of v     (amsgrad)
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#pragma once

#include "zengen/optim/optimizer.hpp"

namespace zengen::optim {

/// Adam's learning rate, betas, epsilon and weight decay.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // L2: added to the gradient
  bool amsgrad = false;
};

/// AdamW's options differ from Adam's in the default weight decay, which is
/// decoupled (applied to the parameter, not through the moments).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

/// Adam (Kingma & Ba), with L2 weight decay added to the gradient, per parameter group.
class Adam : public GroupedOptimizer<AdamOptions> {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups);
  void step() override;
};

/// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay.
class AdamW : public GroupedOptimizer<AdamWOptions> {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  explicit AdamW(std::vector<ParamGroup<AdamWOptions>> groups);
  void step() override;
};

}  // namespace zengen::optim
