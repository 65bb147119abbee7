#include "zengen/optim/sgd.hpp"

#include "ops/kernels.hpp"
#include "zengen/autograd/grad_mode.hpp"
#include "zengen/ops/factory.hpp"

namespace zengen::optim {

namespace {
std::vector<ParamGroup<SGDOptions>> one_group(std::vector<Tensor> params, const SGDOptions& options) {
  std::vector<ParamGroup<SGDOptions>> groups;
  groups.push_back({std::move(params), options});
  return groups;
}
}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions options) : SGD(one_group(std::move(params), options)) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups) : GroupedOptimizer("SGD", std::move(groups)) {
  std::size_t index = 0;
  for (const auto& group : groups_) {
    const SGDOptions& o = group.options;
    check_non_negative(o.lr, "lr");
    check_non_negative(o.momentum, "momentum");
    check_non_negative(o.weight_decay, "weight_decay");
    ZENGEN_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0), ValueError,
                 "SGD: nesterov momentum needs momentum > 0 and dampening == 0 (got momentum ", o.momentum,
                 ", dampening ", o.dampening, ")");
    for (const Tensor& p : group.params) {
      if (o.momentum != 0.0)
        state_[index].buffers["momentum_buffer"] = zeros(p.shape(), {.dtype = p.dtype(), .device = p.device()});
      ++index;
    }
  }
}

void SGD::step() {
  NoGradGuard no_grad;
  std::size_t index = 0;
  for (const auto& group : groups_) {
    const SGDOptions& o = group.options;
    const functors::SGDScalars scalars{o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov};
    for (const Tensor& p : group.params) {
      State& s = state_[index];
      const Tensor g = checked_grad(p, index++);
      if (!g.defined()) continue;
      Tensor buffer;
      if (o.momentum != 0.0) {
        auto it = s.buffers.find("momentum_buffer");
        ZENGEN_CHECK(it != s.buffers.end(), ValueError, "SGD: momentum was switched on after construction");
        if (it->second.device() != p.device()) it->second = it->second.to(p.device());
        buffer = it->second;
      }
      kernels::sgd_update(p, g, buffer, scalars, s.step == 0);
      ++s.step;
    }
  }
}

}  // namespace zengen::optim
